bexport TOKEN_FILE=/run/secrets/token
export PASSWORD_FILE=/run/secrets/db_password
export SECRET_PATH=/etc/app/secret
