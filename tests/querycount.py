"""Count the SQL statements a block of code sends (to catch N+1 queries)."""
from contextlib import contextmanager


@contextmanager
def count_queries(database):
    statements = []
    original = database.execute_sql

    def counting(sql, params=None, *args, **kwargs):
        statements.append(sql)
        return original(sql, params, *args, **kwargs)

    database.execute_sql = counting
    try:
        yield statements
    finally:
        del database.execute_sql
