"""Searching the whole database for a value, the way a data-protection audit would: every
table, every row, every text it holds (JSON as stored too, where non-ASCII is escaped)."""

import json

from django.db import connection


def _variants(value):
    escaped = json.dumps(value)[1:-1]
    return {value.lower(), escaped.lower()}


def tables_holding(value):
    """The tables with a row whose text contains `value` (any case), as (table, column)."""
    variants = _variants(value)
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"SELECT * FROM {quoted}")  # noqa: S608 - names from introspection
            columns = [column[0] for column in cursor.description]
            for row in cursor.fetchall():
                for column, cell in zip(columns, row, strict=True):
                    if cell is None or isinstance(cell, int | float):
                        continue
                    text = (
                        json.dumps(cell, ensure_ascii=False)
                        if isinstance(cell, dict | list)
                        else str(bytes(cell) if isinstance(cell, memoryview) else cell)
                    ).lower()
                    if any(variant in text for variant in variants):
                        found.append((table, column))
    return sorted(set(found))
