"""Related reading under a case study: the editor's picks, then case studies like it.

The page passes in the case studies a reader may be shown, loaded as cards, so choosing
needs nothing from breaches.models.
"""

from django.db import models
from django.db.models import Exists, F, OuterRef, Q

RELATED_POSTS = 3


def related_posts(page, cards):
    """Up to three related case studies: the editor's picks in their order (live and public
    only), then the most recent sharing a breach type, then the same sector.

    `cards`: the live, public case studies with what a card shows prefetched. The automatic
    candidates are found as ids first so that picks and candidates are loaded, with their
    breach types and image renditions, in one batch."""
    picked_ids = list(
        dict.fromkeys(
            link.related_page_id
            for link in page.related_links.all()
            if link.related_page_id and link.related_page_id != page.pk
        )
    )[:RELATED_POSTS]
    auto_ids = []
    if len(picked_ids) < RELATED_POSTS:
        candidates = cards.prefetch_related(None)
        auto_ids = list(automatic_related_ids(page, candidates, exclude=picked_ids))
    found = cards.in_bulk(picked_ids + auto_ids)
    related = [found[pk] for pk in picked_ids if pk in found]
    related += [found[pk] for pk in auto_ids if pk in found]
    return related[:RELATED_POSTS]


def automatic_related_ids(page, candidates, exclude):
    """Ids of the case studies among `candidates` most like `page`: sharing a breach type
    first, then the same sector, newest first within each."""
    queryset = candidates.exclude(pk__in=[page.pk, *exclude])
    # Each criterion is used only when it can match: PostgreSQL refuses to order by the
    # constant an empty criterion compiles to.
    ranking = []
    type_ids = [breach_type.pk for breach_type in page.breach_type_list]
    if type_ids:
        through = candidates.model.breach_types.through
        queryset = queryset.annotate(
            shares_type=Exists(
                through.objects.filter(
                    breachcasestudypage_id=OuterRef("pk"), breachtype_id__in=type_ids
                )
            )
        )
        ranking.append("shares_type")
    if page.sector:
        queryset = queryset.annotate(
            same_sector=models.Case(
                models.When(sector=page.sector, then=True),
                default=False,
                output_field=models.BooleanField(),
            )
        )
        ranking.append("same_sector")
    if not ranking:
        return []
    either = Q()
    for name in ranking:
        either |= Q(**{name: True})
    return (
        queryset.filter(either)
        .order_by(
            *[F(name).desc() for name in ranking],
            F("published_date").desc(),
            "-first_published_at",
        )
        .values_list("pk", flat=True)[:RELATED_POSTS]
    )
