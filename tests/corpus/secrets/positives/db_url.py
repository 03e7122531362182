DATABASE_URL = 'postgresql://app_rw:Mz6XbPIAZVnfUp@db.prod.internal:5432/orders'
