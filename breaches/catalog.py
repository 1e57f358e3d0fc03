"""The catalog: which case studies readers may see, in the order the site lists them.

What it is for: every page that lists case studies (the index and its filters, the home
page's highlights, the related case studies under each case study, the feed) has to choose a
handful out of all of them. Asked of PostgreSQL, each choice scans and sorts every live case
study (about 4 ms of database CPU a page with a thousand of them, more than the rest of its
queries together), on every render. The catalog holds the few facts those choices need, one
small tuple a case study, so a page chooses in Python in microseconds and then loads only the
cards it shows, by id.

How it stays correct: it is kept with the site snapshot (home.page_cache.memoised), which is
rebuilt by the next request after any page is published, unpublished, moved or deleted, or a
view restriction, site or site setting is saved: the only ways a case study's listing facts
(live, public, parent, dates, sector, breach types, editor's picks) change. The cards
themselves are then read from the database, so a card never shows older text than its page.
Outside a request (a management command, a test) it is built from the database each time.
"""

from typing import NamedTuple

from django.apps import apps

from home.page_cache import active_snapshot, memoised, public


class Entry(NamedTuple):
    """What choosing needs to know of one live, public case study."""

    pk: int
    parent_path: str
    sector: str
    period_start: int | None
    period_end: int | None
    featured: bool
    type_ids: frozenset


class Catalog:
    """The live, public case studies newest first, and each page's picks (its editor's
    related case studies, in order, saved or not yet live)."""

    def __init__(self, entries, picks):
        self.entries = tuple(entries)
        self.by_pk = {entry.pk: entry for entry in self.entries}
        self.picks = picks
        # Where each case study stands in the list: the position orders any subset.
        self.place = {entry.pk: place for place, entry in enumerate(self.entries)}
        self.by_type = {}
        self.by_sector = {}
        for entry in self.entries:
            for type_id in entry.type_ids:
                self.by_type.setdefault(type_id, []).append(entry.pk)
            self.by_sector.setdefault(entry.sector, []).append(entry.pk)

    def listed(self, parent_path=None, type_id=None, sector=None, year=None):
        """The ids of the case studies under `parent_path` (all when None) matching every
        filter given, newest first. A case study matches a year its period covers: a single
        year, or start to end."""
        if type_id is not None:
            candidates = (self.by_pk[pk] for pk in self.by_type.get(type_id, ()))
        elif sector is not None:
            candidates = (self.by_pk[pk] for pk in self.by_sector.get(sector, ()))
        else:
            candidates = self.entries
        return [
            entry.pk
            for entry in candidates
            if (parent_path is None or entry.parent_path == parent_path)
            and (sector is None or entry.sector == sector)
            and (year is None or _covers(entry, year))
        ]

    def highlights(self, count):
        """(the newest `count` featured case studies, the newest `count` of the others)."""
        featured = [entry.pk for entry in self.entries if entry.featured][:count]
        chosen = set(featured)
        latest = []
        for entry in self.entries:
            if len(latest) == count:
                break
            if entry.pk not in chosen:
                latest.append(entry.pk)
        return featured, latest


def _covers(entry, year):
    start, end = entry.period_start, entry.period_end
    if start is None or start > year:
        return False
    return end >= year if end is not None else start == year


def catalog():
    """The catalog for this request's site snapshot (built once per snapshot)."""
    return memoised("case-study-catalog", build)


def kept_catalog():
    """The catalog when the request's site snapshot keeps it, else None: outside a request,
    building it to look up a few case studies would cost more than asking for them."""
    return catalog() if active_snapshot() is not None else None


def build():
    """Three queries: the live, public case studies, their breach types, everyone's picks."""
    # By name: breaches.models lists case studies through this module.
    BreachCaseStudyPage = apps.get_model("breaches", "BreachCaseStudyPage")
    RelatedCaseStudy = apps.get_model("breaches", "RelatedCaseStudy")
    rows = (
        public(BreachCaseStudyPage.objects.live())
        .order_by("-published_date", "-first_published_at", "-pk")
        .values_list("pk", "path", "depth", "sector", "period_start", "period_end", "featured")
    )
    through = BreachCaseStudyPage.breach_types.through
    types = {}
    for page_id, type_id in through.objects.values_list("breachcasestudypage_id", "breachtype_id"):
        types.setdefault(page_id, set()).add(type_id)
    steplen = BreachCaseStudyPage.steplen
    entries = [
        Entry(
            pk,
            path[: (depth - 1) * steplen],
            sector,
            start,
            end,
            featured,
            frozenset(types.get(pk, ())),
        )
        for pk, path, depth, sector, start, end, featured in rows
    ]
    picks = {}
    links = RelatedCaseStudy.objects.filter(related_page__isnull=False).order_by(
        "page_id", "sort_order", "pk"
    )
    for page_id, related_id in links.values_list("page_id", "related_page_id"):
        picks.setdefault(page_id, []).append(related_id)
    return Catalog(entries, {page_id: tuple(ids) for page_id, ids in picks.items()})
