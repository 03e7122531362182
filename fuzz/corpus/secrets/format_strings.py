hurl = 'postgres://%s:%s@%s/%s' % (user, pwd, host, db)
url2 = f'redis://{user}:{password}@{host}'
url3 = 'amqp://{}:{}@{}/'.format(u, p, h)
