hpassword = os.environ['DB_PASSWORD']
token: ${TOKEN}
api_key = "changeme"
clave = 'xxxxxxxx'
