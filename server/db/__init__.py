"""PostgreSQL for Plaza: the embedded default, the connection pool, migrations and retries."""
