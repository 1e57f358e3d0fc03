"""The page cache's reach into Django beyond its public API: the redis-py client of Django's
own Redis cache backend, for the purge channel (Redis pub/sub, which the cache API lacks), and
the SQL compiler's work for loading a page by its primary key, done once per model, and for
any queryset prepared once and run with other values (home/page_cache/prepared.py)."""

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.db import connections
from django.db.models.query import ModelIterable, get_related_populators


def redis_backend():
    """The default cache if it is Django's Redis backend, else None (no purge channel)."""
    backend = caches["default"]
    return backend if isinstance(backend, RedisCache) else None


def redis_client(backend, *, write=False):
    """A redis-py client on the backend's own connection pool (its servers and options).

    Private: RedisCache keeps its RedisCacheClient in `_cache` and offers no public way to
    reach redis-py; building our own pool from CACHES would have to mirror how Django reads
    LOCATION and OPTIONS (several servers, pool and parser classes) and could drift from it.
    """
    return backend._cache.get_client(write=write)


def compiled_sql(queryset):
    """(sql, params) of a queryset, exactly as its own evaluation would send them.

    Private: Query.get_compiler() and SQLCompiler.as_sql() are Django's own way from a
    queryset to its SQL; no public API returns SQL with separate parameters."""
    return queryset.query.get_compiler(using=queryset.db).as_sql()


def converted(row, converters, connection):
    """`row` with each column's converters applied, as the ORM's iterator applies them
    (`converters`: (position, functions, expression) from the compiler's get_converters())."""
    if not converters:
        return row
    row = list(row)
    for position, functions, expression in converters:
        value = row[position]
        for function in functions:
            value = function(value, expression, connection)
        row[position] = value
    return row


class CompiledRows:
    """A queryset of model instances compiled once: its SQL and parameters, and how Django's
    own iterator (ModelIterable) turns each row into instances: the model's columns, the
    rows joined by select_related, the annotations, each column's converters. `run(params)`
    runs the SQL with other parameters and builds the instances the same way, with the
    public Model.from_db()."""

    __slots__ = (
        "sql",
        "params",
        "model",
        "db",
        "init_list",
        "start",
        "end",
        "annotations",
        "converters",
        "populators",
    )

    def __init__(self, queryset):
        # Private, as ModelIterable.__iter__ uses them: after as_sql(), the compiler's select
        # (column, sql, alias), klass_info (the model and its columns' positions, the joined
        # models') and annotation_col_map; get_converters(); get_related_populators().
        if queryset._iterable_class is not ModelIterable or queryset._known_related_objects:
            raise ValueError("only a plain queryset of model instances can be compiled once")
        self.db = queryset.db
        compiler = queryset.query.get_compiler(using=self.db)
        self.sql, params = compiler.as_sql()
        self.params = list(params)
        select, klass_info = compiler.select, compiler.klass_info
        if klass_info is None:
            raise ValueError("the queryset selects no model")
        self.model = klass_info["model"]
        fields = klass_info["select_fields"]
        self.start, self.end = fields[0], fields[-1] + 1
        self.init_list = [column[0].target.attname for column in select[self.start : self.end]]
        self.annotations = tuple(compiler.annotation_col_map.items())
        self.converters = tuple(
            (position, functions, expression)
            for position, (functions, expression) in compiler.get_converters(
                [column[0] for column in select]
            ).items()
        )
        self.populators = get_related_populators(klass_info, select, self.db)

    def run(self, params):
        connection = connections[self.db]
        with connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            rows = cursor.fetchall()
        instances = []
        for row in rows:
            row = converted(row, self.converters, connection)
            instance = self.model.from_db(self.db, self.init_list, row[self.start : self.end])
            for populator in self.populators:
                populator.populate(row, instance)
            for name, position in self.annotations:
                setattr(instance, name, row[position])
            instances.append(instance)
        return instances


class PrecompiledGet:
    """`model.objects.get(pk=...)` for one model and database, compiled once: the SQL with
    the position of the primary key among its parameters, the field of each selected column,
    and the database converters of each column, exactly as Django's compiler works them out
    for the ORM's own iterator. The caller runs the SQL and builds the instance with the
    public Model.from_db()."""

    __slots__ = ("sql", "params", "pk_index", "attnames", "converters")

    # A primary key no row has, so the compiled SQL carries it as a parameter to replace.
    PLACEHOLDER = -7_391_204_117

    def __init__(self, model, db):
        queryset = model._default_manager.using(db).filter(pk=self.PLACEHOLDER)
        # Private: Query.get_compiler() and SQLCompiler.as_sql() are Django's own way from a
        # queryset to its SQL; no public API returns SQL with separate parameters.
        compiler = queryset.query.get_compiler(using=db)
        self.sql, params = compiler.as_sql()
        self.params = list(params)
        self.pk_index = self.params.index(self.PLACEHOLDER)
        # Private: after as_sql(), compiler.select holds (column, sql, alias) per selected
        # column; each column's `target` is the model field it reads. A plain get() selects
        # the model's concrete fields in their order, which Model.from_db() expects (checked:
        # a manager adding columns or related rows gets no plan).
        columns = [column for column, _sql, _alias in compiler.select]
        self.attnames = [column.target.attname for column in columns]
        if self.attnames != [field.attname for field in model._meta.concrete_fields]:
            raise ValueError(f"{model._meta.label}: a get() selects more than its own fields")
        # Private: SQLCompiler.get_converters() pairs each column position with the backend's
        # and the field's from-database converters, as the ORM's iterator applies them.
        self.converters = [
            (position, functions, expression)
            for position, (functions, expression) in compiler.get_converters(columns).items()
        ]
