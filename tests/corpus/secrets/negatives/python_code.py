import getpass, os

password = getpass.getpass()
token = os.environ['GITHUB_TOKEN']
secret_key = settings.SECRET_KEY
api_key = config.get('api_key')
if password == confirm_password:
    pass
self.token = token
PASSWORD_FIELD = 'password'
token_type = 'Bearer'
max_token_length = 4096
