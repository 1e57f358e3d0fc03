"""Related reading under a case study: the editor's picks, then case studies like it.

The page passes in the case studies a reader may be shown, loaded as cards, so choosing
needs nothing from breaches.models.
"""

from django.db import models
from django.db.models import Exists, F, OuterRef, Q, Subquery, Value

from home.page_cache import prepared_list

RELATED_POSTS = 3


def related_posts(page, cards):
    """Up to three related case studies: the editor's picks in their order (live and public
    only), then the most recent sharing a breach type, then the same sector.

    `cards`: the live, public case studies a reader may be shown.
    One query ranks and loads them: picks first, then the automatic criteria, newest first
    within each; what a card shows besides its row (types, images) is for the caller to
    fetch in bulk. For a saved page the query differs from page to page only in the page's
    id and sector, so its SQL is compiled once (home.page_cache.prepared_list)."""
    if _saved(page):
        return prepared_list(
            ("related-posts", cards.model, bool(page.sector)),
            lambda pk, **sector: _ranked(_stand_in(page, pk, **sector), cards),
            pk=page.pk,
            **({"sector": page.sector} if page.sector else {}),
        )
    query = _ranked(page, cards)
    return [] if query is None else list(query)


def _saved(page):
    """True when the page's picks and breach types are those in the database."""
    return in_database(page, page.related_links.all()) and in_database(
        page, page.breach_types.all()
    )


def _stand_in(page, pk, sector=""):
    """An unsaved page of the same type ranking as a saved one with this id and sector."""
    return type(page)(pk=pk, sector=sector)


def _ranked(page, cards):
    """The ranking query for `page`, or None when nothing can match."""
    annotations, ranking, either = {}, [], Q()
    picks = _picks(page)
    if picks is not None:
        position, picked = picks
        annotations["pick"] = position
        ranking.append(F("pick").asc(nulls_last=True))
        # Matched as a set (one hashed subquery), not through the per-row position.
        either |= Q(pk__in=picked)
    # Each criterion is used only when it can match: PostgreSQL refuses to order by the
    # constant an empty criterion compiles to.
    through = cards.model.breach_types.through
    type_ids = _type_ids(page, through)
    if type_ids is not None:
        annotations["shares_type"] = Exists(
            through.objects.filter(
                breachcasestudypage_id=OuterRef("pk"), breachtype_id__in=type_ids
            )
        )
        ranking.append(F("shares_type").desc())
        either |= Q(shares_type=True)
    if page.sector:
        annotations["same_sector"] = models.Case(
            models.When(sector=page.sector, then=True),
            default=False,
            output_field=models.BooleanField(),
        )
        ranking.append(F("same_sector").desc())
        either |= Q(same_sector=True)
    if not ranking:
        return None
    # One annotate, filter and order_by: each call copies the query, which costs as much
    # Python as running it.
    return (
        cards.annotate(**annotations)
        .filter(either, ~Q(pk=page.pk))
        .order_by(*ranking, F("published_date").desc(), "-first_published_at")[:RELATED_POSTS]
    )


def _picks(page):
    """(an expression giving a candidate's place among the editor's picks, None when not
    picked; the picked ids or a subquery of them), or None when there is nothing to rank by.

    Saved picks are matched in the database; picks held in memory (a preview) by their ids."""
    links = page.related_links.all()
    if in_database(page, links):
        position = Subquery(
            links.filter(related_page_id=OuterRef("pk"))
            .order_by("sort_order", "pk")
            .values("sort_order")[:1]
        )
        return position, links.values("related_page_id")
    picked = list(dict.fromkeys(link.related_page_id for link in links if link.related_page_id))
    if not picked:
        return None
    position = models.Case(
        *[models.When(pk=pk, then=Value(place)) for place, pk in enumerate(picked)],
        default=None,
        output_field=models.IntegerField(),
    )
    return position, picked


def _type_ids(page, through):
    """The page's breach type ids as a subquery (saved) or a list (in memory, as in a
    preview); None when an in-memory page has none."""
    breach_types = page.breach_types.all()
    if in_database(page, breach_types):
        return through.objects.filter(breachcasestudypage_id=page.pk).values("breachtype_id")
    ids = [breach_type.pk for breach_type in breach_types]
    return ids or None


def in_database(page, related):
    """True when `related` (a page's child objects or many-to-many values) is what the
    database holds; False when the page, or they, exist only in memory (a preview)."""
    return page.pk is not None and isinstance(related, models.QuerySet)
