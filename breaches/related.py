"""Related reading under a case study: the editor's picks, then case studies like it.

Chosen from the catalog (breaches/catalog.py), so choosing costs no query; the caller loads
the chosen case studies as cards.
"""

from heapq import merge
from itertools import islice

from django.db import models

RELATED_POSTS = 3


def related_ids(page, catalog):
    """The ids of up to three related case studies, in the order shown: the editor's picks in
    their order (live and public only), then the newest sharing a breach type and the sector,
    the newest sharing a breach type, the newest in the same sector. Never the page itself,
    never one twice.

    A saved page's breach types and picks are those the catalog holds; a page held in memory
    (a preview) is ranked by the ones it holds."""
    breach_types, links = page.breach_types.all(), page.related_links.all()
    own = catalog.by_pk.get(page.pk)
    if own is not None and in_database(page, breach_types):
        type_ids = own.type_ids
    else:
        type_ids = {breach_type.pk for breach_type in breach_types}
    if in_database(page, links):
        picks = catalog.picks.get(page.pk, ())
    else:
        picks = [link.related_page_id for link in links if link.related_page_id]
    shown = {page.pk}
    chosen = []
    for pk in picks:
        if pk not in shown and pk in catalog.by_pk:
            shown.add(pk)
            chosen.append(pk)
    need = RELATED_POSTS - len(chosen)
    if need <= 0:
        return chosen[:RELATED_POSTS]
    # Each breach type's case studies are listed newest first: merged, they give the ones
    # sharing a type newest first, read only as far as needed.
    sector = page.sector
    both, type_only = [], []
    sharing = merge(
        *(catalog.by_type.get(type_id, ()) for type_id in type_ids), key=catalog.place.__getitem__
    )
    for pk in sharing:
        if pk in shown:
            continue
        shown.add(pk)
        if sector and catalog.by_pk[pk].sector == sector:
            both.append(pk)
            if len(both) == need:
                break
        else:
            type_only.append(pk)
    found = both + type_only
    if len(found) < need and sector:
        same_sector = (pk for pk in catalog.by_sector.get(sector, ()) if pk not in shown)
        found += islice(same_sector, need - len(found))
    return chosen + found[:need]


def in_database(page, related):
    """True when `related` (a page's child objects or many-to-many values) is what the
    database holds; False when the page, or they, exist only in memory (a preview)."""
    return page.pk is not None and isinstance(related, models.QuerySet)
