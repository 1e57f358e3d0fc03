"""Querysets compiled once and run many times with other values: `prepared_list()`.

What it is for: building a queryset with annotations and subqueries and compiling it to SQL
costs several times the Python of running it, and much more than the database takes to answer
(a case study's related posts: about 2 ms of CPU in Django, 0.2 ms in PostgreSQL). Where the
query's shape is the same for every page and only values differ (a page's id, its sector),
it is built once with stand-in values, compiled by Django's own compiler (adapters/django.py),
and then run with the real values in the stand-ins' places: the same SQL the ORM would send,
the instances built as the ORM's own iterator builds them.

How it stays correct: the compiled SQL is kept with the site snapshot (``memoised``), so
whatever the queryset's shape depends on beyond the values given (the view restrictions that
``public()`` writes into it, anything a purge of every page replaces) is built afresh when the
snapshot is. A stand-in the compiled SQL does not carry as a parameter (a value Django wrote
into the SQL text, or one the query did not use) means the shape depends on the value: then
the ORM runs the query every time, as without this module.
"""

from django.core.exceptions import EmptyResultSet, FullResultSet

from home.page_cache.adapters.django import CompiledRows, compiled_sql
from home.page_cache.snapshot import active_snapshot, memoised

# Stand-ins: two sets, so that compiling with each shows which parameters carry the values
# and that nothing else in the SQL depends on them. Integers stay within a small positive
# integer column's range: Django compiles a comparison with a value outside the column's
# range to an empty result, without the parameter.
_INT_STAND_INS = (30_011, 30_311)


def _stand_ins(values, which):
    stand_ins = {}
    for place, (name, value) in enumerate(sorted(values.items())):
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise TypeError(f"prepared_list: {name} must be an int or a str, not {value!r}")
        stand_ins[name] = (
            _INT_STAND_INS[which] + place
            if isinstance(value, int)
            else f"\x1fstand-in {which} {name}\x1f"
        )
    return stand_ins


def _same_kind(param, stand_in):
    if isinstance(stand_in, str):
        return isinstance(param, str)
    return isinstance(param, int) and not isinstance(param, bool)


class _Prepared:
    """A queryset compiled once, with the parameter positions of each value."""

    __slots__ = ("rows", "slots")

    def __init__(self, build, values):
        first, second = _stand_ins(values, 0), _stand_ins(values, 1)
        self.rows = CompiledRows(build(**first))
        params = self.rows.params
        other_sql, other_params = compiled_sql(build(**second))
        if other_sql != self.rows.sql or len(other_params) != len(params):
            raise ValueError("the SQL's shape depends on the values")
        self.slots = {name: [] for name in values}
        for position, (one, other) in enumerate(zip(params, other_params, strict=True)):
            names = [
                name
                for name in values
                if _same_kind(one, first[name]) and one == first[name] and other == second[name]
            ]
            if names:
                self.slots[names[0]].append(position)
            elif one != other:
                raise ValueError("a parameter depends on the values in another way")
        if not all(self.slots.values()):
            raise ValueError("a value is not a parameter of the compiled SQL")

    def run(self, values):
        params = list(self.rows.params)
        for name, positions in self.slots.items():
            for position in positions:
                # The same type as the stand-in's parameter: on PostgreSQL an integer column's
                # value may come wrapped (psycopg's Int2, Int4), and the SQL relies on its type.
                params[position] = type(params[position])(values[name])
        return self.rows.run(params)


def _prepare(build, values):
    try:
        return _Prepared(build, values)
    except (ValueError, EmptyResultSet, FullResultSet):
        return False  # the shape depends on a value: the ORM decides every time


def prepared_list(key, build, **values):
    """`list(build(**values))`, its SQL compiled once per site snapshot under `key`.

    `build` takes the values by name (ints and strings) and returns a queryset of model
    instances whose SQL differs only in those values; `key` names that shape (a query whose
    SQL also depends on something else puts it in the key). The instances are built as the
    ORM builds them (select_related and annotations included). Only for values the ORM would
    send as they are (ids and choices of saved rows)."""
    if active_snapshot() is None:
        return list(build(**values))  # nowhere to keep the SQL: compiled as the ORM would
    prepared = memoised(("prepared-sql", key), lambda: _prepare(build, values))
    if prepared is False:
        return list(build(**values))
    return prepared.run(values)
