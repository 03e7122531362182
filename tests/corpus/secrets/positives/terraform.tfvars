db_password = "mIVpRFYErj1hBmrEkA"
