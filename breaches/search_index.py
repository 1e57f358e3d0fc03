"""The case studies' own full-text index on PostgreSQL, which the reader's search reads.

Two columns on `breaches_breachcasestudypage`, made by migration 0004 on PostgreSQL only and
deliberately not model fields (SQLite has neither type nor index; the ORM never loads them):

- `search_vector` (tsvector, GIN index): title and organisation weighted A; summary, sector and
  breach type names B; the body's words, without positions (weight D).
- `search_names` (text, pg_trgm GIN index): title and organisation, for names typed with a
  spelling mistake.

Each case study is indexed from what its row holds once saved, which is its live content
(drafts are saved as revisions, not to the row): `BreachCaseStudyPage.save()` calls
`index_case_studies`, renaming or deleting a breach type re-indexes the case studies that
carry it, and after `migrate` any row still unindexed is filled (`breaches.signals`).
Wagtail's own search index (modelsearch) is kept too: the admin's search uses it."""

from django.db import connection
from django.db.models.expressions import RawSQL

TABLE = "breaches_breachcasestudypage"
CONFIG = "english"
BATCH = 200
# Saving only these (or none named) changes what is indexed.
INDEXED_FIELDS = frozenset({"title", "organisation", "summary", "sector", "body", "breach_types"})

_VECTOR = (
    f"setweight(to_tsvector('{CONFIG}', v.names), 'A')"
    f" || setweight(to_tsvector('{CONFIG}', v.about), 'B')"
    # The body without word positions: it is matched but, in ranking, counts once at weight D
    # whatever its length. Its positions would double the column, which every search that
    # matches most pages reads for each of them.
    f" || strip(to_tsvector('{CONFIG}', v.body))"
)


def enabled():
    return connection.vendor == "postgresql"


def column(name, output_field):
    """One of the index columns as an ORM expression (they are not model fields)."""
    return RawSQL(f'"{TABLE}"."{name}"', [], output_field)  # noqa: S611 - constant names only


def texts(page):
    """What one case study is found by: (names, about, body) as plain text."""
    names = f"{page.title} {page.organisation}"
    types = " ".join(breach_type.name for breach_type in page.breach_types.all())
    about = f"{page.summary} {page.get_sector_display()} {types}"
    body_field = page._meta.get_field("body")
    body = " ".join(str(piece) for piece in body_field.get_searchable_content(page.body))
    return names, about, body


def index_case_studies(pages):
    """Write the index columns of these case studies (instances as saved), in batches."""
    if not enabled():
        return
    pages = list(pages)
    with connection.cursor() as cursor:
        for start in range(0, len(pages), BATCH):
            batch = pages[start : start + BATCH]
            rows = ", ".join(["(%s, %s, %s, %s)"] * len(batch))
            params = []
            for page in batch:
                params.extend([page.pk, *texts(page)])
            # Only constants are formatted in; every value is a parameter.
            sql = (
                f"UPDATE {TABLE} AS cs SET search_vector = {_VECTOR}, search_names = v.names"  # noqa: S608
                f" FROM (VALUES {rows}) AS v(id, names, about, body) WHERE cs.page_ptr_id = v.id"
            )
            cursor.execute(sql, params)


def reindex(queryset):
    """Re-index case studies from their saved rows (after a breach type changed, or to fill)."""
    if not enabled():
        return
    ids = list(queryset.values_list("pk", flat=True))
    for start in range(0, len(ids), BATCH):
        pages = queryset.model.objects.filter(pk__in=ids[start : start + BATCH])
        index_case_studies(pages.prefetch_related("breach_types"))


def unindexed_ids():
    """Ids of the case studies never indexed (rows that existed before migration 0004, or
    were written without save()); none before migration 0004 itself."""
    if not enabled():
        return []
    with connection.cursor() as cursor:
        columns = connection.introspection.get_table_description(cursor, TABLE)
        if "search_vector" not in {column.name for column in columns}:
            return []
        cursor.execute(
            "SELECT page_ptr_id FROM breaches_breachcasestudypage WHERE search_vector IS NULL"
        )
        return [row[0] for row in cursor.fetchall()]
