"""Database states the suite returns to hundreds of times a run, kept as rows and put back.

Two states matter. The migrated database (root page, site, groups, cookie groups, content
types and permissions) is what every transactional test must start from and leave behind:
Django's way back to it is a flush, post_migrate and a deserialization, about a second each
time. The demo site is what `demo_site` gives a test: `load_demo_content` draws a dozen images
and publishes thirty pages, three to four seconds each time. Both are a few hundred rows in a
few dozen tables, so this module copies those rows out once per run (COPY on PostgreSQL, a
plain SELECT on SQLite) and writes them back in milliseconds.

Rows alone are not all of the demo site: its images' files live in the media storage, which is
in memory in tests and replaced whenever a test overrides STORAGES, so they are kept too and
written back when missing.
"""

from dataclasses import dataclass, field

from django.core.files.base import ContentFile
from django.db import connections, transaction


def _quote(connection, table):
    return connection.ops.quote_name(table)


def model_tables(connection):
    """The tables a flush empties (every model's, auto-created many-to-many ones included) and,
    on SQLite, the search index's full-text tables, which flush leaves alone: their model is
    unmanaged, but search results come from them."""
    tables = connection.introspection.django_table_names(only_existing=True)
    return write_order(connection, {*tables, *_sqlite_virtual_tables(connection)})


def write_order(connection, tables):
    """Full-text tables last: SQLite's search index keeps its full-text table in step with
    its entries through triggers, so writing the entries writes it too; writing it after
    them (emptied first) leaves exactly the rows it had, writing it before leaves them twice."""
    virtual = _sqlite_virtual_tables(connection)
    return sorted(tables, key=lambda table: (table in virtual, table))


def _sqlite_virtual_tables(connection):
    if connection.vendor != "sqlite":
        return set()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'"
            " AND sql LIKE 'CREATE VIRTUAL TABLE%%'"
        )
        return {row[0] for row in cursor.fetchall()}


def read_table(connection, table):
    """A table's rows in a form `write_table` accepts and `==` compares regardless of order."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.copy(f"COPY {_quote(connection, table)} TO STDOUT") as copy:
                data = b"".join(bytes(chunk) for chunk in copy)
            # COPY's text format writes one row a line (newlines inside values are escaped).
            return tuple(sorted(data.splitlines(keepends=True)))
        # A full-text table's row ids are what its entries are joined on; SELECT * omits them.
        rowid = "rowid, " if table in _sqlite_virtual_tables(connection) else ""
        cursor.execute(f"SELECT {rowid}* FROM {_quote(connection, table)}")  # noqa: S608
        columns = tuple(column[0] for column in cursor.description)
        return (columns, tuple(sorted(cursor.fetchall(), key=repr)))


def _is_empty(rows):
    return not rows or (isinstance(rows[0], tuple) and not rows[1])


def write_table(connection, table, rows):
    """Replace every row of `table` with `rows` (from `read_table`), in the open transaction.

    Django's foreign keys are deferred to commit on PostgreSQL and SQLite, so tables can be
    emptied and refilled in any order as long as the whole is consistent when it commits."""
    name = _quote(connection, table)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {name}")  # noqa: S608 - our own table names
        if _is_empty(rows):
            return
        if connection.vendor == "postgresql":
            with cursor.copy(f"COPY {name} FROM STDIN") as copy:
                for line in rows:
                    copy.write(line)
            return
        columns, values = rows
        placeholders = ", ".join(["%s"] * len(columns))
        column_list = ", ".join(_quote(connection, column) for column in columns)
        cursor.executemany(
            f"INSERT INTO {name} ({column_list}) VALUES ({placeholders})",  # noqa: S608
            values,
        )


def read_sequences(connection):
    """Where each table's ids go on: {sequence: (last_value, is_called)} on PostgreSQL,
    {table: seq} from SQLite's AUTOINCREMENT counters."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT schemaname, sequencename, last_value FROM pg_sequences"
                " WHERE schemaname = current_schema()"
            )
            return {
                f"{connection.ops.quote_name(schema)}.{connection.ops.quote_name(name)}": (
                    (value, True) if value is not None else (1, False)
                )
                for schema, name, value in cursor.fetchall()
            }
        cursor.execute("SELECT name, seq FROM sqlite_sequence")
        return dict(cursor.fetchall())


def write_sequences(connection, sequences, *, never_back=False):
    """Set the sequences to `sequences` (from `read_sequences`); with never_back, only ever
    move one forward, so rows the test already made can never be handed their ids again."""
    if not sequences:
        return
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            if not never_back:
                cursor.execute("DELETE FROM sqlite_sequence")
            for name, value in sequences.items():
                cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [name])
                row = cursor.fetchone()
                if row is None:
                    cursor.execute(
                        "INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [name, value]
                    )
                elif row[0] < value:
                    cursor.execute(
                        "UPDATE sqlite_sequence SET seq = %s WHERE name = %s", [value, name]
                    )
            return
        calls, params = [], []
        for name, (value, is_called) in sequences.items():
            if never_back:
                # A name read from pg_sequences and quoted above.
                calls.append(
                    f"setval(%s::regclass, GREATEST(%s, (SELECT last_value FROM {name})), true)"
                )
                params += [name, value]
            else:
                calls.append("setval(%s::regclass, %s, %s)")
                params += [name, value, is_called]
        cursor.execute("SELECT " + ", ".join(calls), params)


def non_empty_tables(connection, tables):
    """Which of `tables` hold a row, asked in one query."""
    if not tables:
        return set()
    parts = [
        f"SELECT {position} WHERE EXISTS (SELECT 1 FROM {_quote(connection, table)})"  # noqa: S608
        for position, table in enumerate(tables)
    ]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts))
        return {tables[row[0]] for row in cursor.fetchall()}


@dataclass
class DatabaseState:
    """The rows of some tables, the id sequences, and the media files those rows name."""

    tables: dict
    sequences: dict
    files: dict = field(default_factory=dict)

    @classmethod
    def read(cls, connection, tables):
        return cls(
            tables={table: read_table(connection, table) for table in tables},
            sequences=read_sequences(connection),
        )

    def matches(self, connection, tables=None):
        """True when these tables hold exactly these rows now."""
        return all(
            read_table(connection, table) == self.tables[table] for table in tables or self.tables
        )

    def restore_files(self):
        from django.core.files.storage import default_storage

        for name, content in self.files.items():
            if not default_storage.exists(name):
                default_storage.save(name, ContentFile(content))


def reset_to(state, using="default"):
    """Empty every model table and write `state` back: what a flush followed by a clean
    migration would leave, ids and sequences included, in one transaction."""
    connection = connections[using]
    with transaction.atomic(using=using):
        tables = list(state.tables)
        dirty = non_empty_tables(connection, tables)
        for table in tables:
            if table in dirty or not _is_empty(state.tables[table]):
                write_table(connection, table, state.tables[table])
        write_sequences(connection, state.sequences)


def storage_files():
    """Every file in the default storage as {name: bytes} (it is in memory in tests)."""
    from django.core.files.storage import default_storage

    found = {}

    def walk(directory):
        directories, files = default_storage.listdir(directory)
        for name in files:
            path = f"{directory}/{name}" if directory else name
            with default_storage.open(path) as handle:
                found[path] = handle.read()
        for name in directories:
            walk(f"{directory}/{name}" if directory else name)

    walk("")
    return found


def snapshots_enabled():
    """TEST_ROW_SNAPSHOTS=0 makes every fixture build its rows the slow way, to check that both
    ways pass the same tests."""
    import os

    return os.environ.get("TEST_ROW_SNAPSHOTS", "1") != "0"


def _non_empty_state(connection, tables):
    return DatabaseState.read(connection, sorted(non_empty_tables(connection, tables)))


_made = {}


def made_once(key, build, using="default"):
    """Run `build`, a fixture's body that only makes rows (and media files), the slow way the
    first time a test process reaches `key`; after that, whenever the database is exactly as it
    was that first time, write the rows it made instead. Returns what `build` returned the first
    time (so return ids, not model instances, and fetch them again).

    For data fixtures that publish dozens of pages for each of a dozen tests: the first test
    pays, the rest take milliseconds. When the database differs at all (the test made other
    rows first), `build` runs as it always did."""
    connection = connections[using]
    tables = model_tables(connection)
    record = _made.get(key)
    if record is not None and snapshots_enabled():
        before, after, result = record
        now_non_empty = non_empty_tables(connection, tables)
        if now_non_empty == set(before.tables) and before.matches(connection):
            with transaction.atomic(using=using):
                for table, rows in after.tables.items():
                    write_table(connection, table, rows)
                write_sequences(connection, after.sequences, never_back=True)
            after.restore_files()
            return result
    before = _non_empty_state(connection, tables)
    files_before = storage_files()
    result = build()
    if record is not None:
        return result
    made = _non_empty_state(connection, tables)
    changed = {
        table: made.tables.get(table, ())
        for table in write_order(connection, set(before.tables) | set(made.tables))
        if made.tables.get(table) != before.tables.get(table)
    }
    files_after = storage_files()
    _made[key] = (
        before,
        DatabaseState(
            tables=changed,
            sequences=made.sequences,
            files={
                name: content
                for name, content in files_after.items()
                if files_before.get(name) != content
            },
        ),
        result,
    )
    return result
