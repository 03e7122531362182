import os

DEBUG = False
SECRET_KEY = '&h_s1c&a#hfbq@tkqg2(=-um9nk1+l#v68#sk5kdi8o8bg04zr'
ALLOWED_HOSTS = ['app.internal']
