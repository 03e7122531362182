SECRET_KEY = 'django-insecure-=_wu%7#cy9s1yu5989yvru&ur*(88$we_2k8122%*vs7vtiypq'
