hdef test_login(client):
    client.login(username='alice', password='password')
    assert client.get('/secret').status_code == 200
    PASSWORD = 'test'
