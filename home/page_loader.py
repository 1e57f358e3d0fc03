"""Loading one specific page by its id for routing, without compiling the same SQL each time.

What it is for: a page rendered outside the page cache costs one query, the page's own row
(home/site_memo.py has the rest). Building that query through the ORM (a multi-table join over
some forty columns) costs several times what PostgreSQL takes to answer it. The SQL and the
column-to-field mapping of `Model.objects.get(pk=...)` depend only on the model, so they are
worked out once per model and process, by Django's own compiler, and reused: the same SQL, the
same converters, the same `Model.from_db()` as the ORM's own iterator.
"""

from django.db import connections, router

# A primary key no page has, so the compiled SQL carries it as a parameter to replace.
_PLACEHOLDER = -7_391_204_117

_plans = {}


class _Plan:
    __slots__ = ("sql", "params", "pk_index", "init_list", "fields", "converters")

    def __init__(self, model, db):
        compiler = model._default_manager.filter(pk=_PLACEHOLDER).query.get_compiler(using=db)
        self.sql, params = compiler.as_sql()
        self.params = list(params)
        self.pk_index = self.params.index(_PLACEHOLDER)
        select_fields = compiler.klass_info["select_fields"]
        columns = compiler.select[select_fields[0] : select_fields[-1] + 1]
        self.init_list = [column[0].target.attname for column in columns]
        self.fields = slice(select_fields[0], select_fields[-1] + 1)
        self.converters = [
            (position, functions, expression)
            for position, (functions, expression) in compiler.get_converters(
                [column[0] for column in compiler.select]
            ).items()
        ]


def load_page(model, pk):
    """`model.objects.get(pk=pk)`, the same instance, built from a precompiled query."""
    db = router.db_for_read(model)
    plan = _plans.get((model, db))
    if plan is None:
        plan = _plans[(model, db)] = _Plan(model, db)
    params = list(plan.params)
    params[plan.pk_index] = pk
    connection = connections[db]
    with connection.cursor() as cursor:
        cursor.execute(plan.sql, params)
        row = cursor.fetchone()
    if row is None:
        raise model.DoesNotExist(f"{model._meta.object_name} {pk} does not exist.")
    if plan.converters:
        row = list(row)
        for position, functions, expression in plan.converters:
            value = row[position]
            for function in functions:
                value = function(value, expression, connection)
            row[position] = value
    return model.from_db(db, plan.init_list, row[plan.fields])
