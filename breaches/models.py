import datetime
from urllib.parse import urlencode

from django import forms
from django.core.paginator import Paginator
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Max, Min
from django.db.models.functions import Coalesce
from django.utils.functional import SimpleLazyObject, cached_property
from django.utils.text import slugify
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from wagtail.admin.forms import WagtailAdminPageForm
from wagtail.admin.panels import (
    FieldPanel,
    FieldRowPanel,
    InlinePanel,
    MultiFieldPanel,
    PageChooserPanel,
)
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import RichTextField, StreamField
from wagtail.images import get_image_model
from wagtail.models import Orderable, Page, Site
from wagtail.search import index

from breaches import related, search_index
from breaches.blocks import CaseStudyStreamBlock
from breaches.catalog import catalog, kept_catalog
from breaches.feeds import CaseStudyFeed
from home.blocks import RICH_TEXT_FEATURES
from home.callback_form import CallBackFormMixin
from home.page_cache import (
    MemoisedViewRestrictionsMixin,
    memoised,
    prepared_list,
    public,
    reads_query,
)
from leads.conversion import ConversionPanel

CASE_STUDIES_PER_PAGE = 10
FIRST_YEAR = 1990


class Sector(models.TextChoices):
    """The kinds of organisation a breach happened at; readers filter the index by these."""

    POLICE = "police", "Police and justice"
    HEALTH = "health", "NHS and healthcare"
    COUNCIL = "council", "Local government"
    CENTRAL_GOVERNMENT = "government", "Central government"
    EDUCATION = "education", "Education"
    RETAIL = "retail", "Retail"
    FINANCE = "finance", "Banking and finance"
    TELECOMS = "telecoms", "Telecoms"
    TRAVEL = "travel", "Travel and airlines"
    CHARITY = "charity", "Charities"
    OTHER = "other", "Other"


class BreachType(index.Indexed, models.Model):
    """A kind of data breach (lost device, wrong-address letter…): the taxonomy case studies
    are tagged with, listed for readers in plain words and used to find related case studies."""

    name = models.CharField(
        max_length=80,
        unique=True,
        help_text="A short name readers understand, e.g. 'Lost or stolen devices'.",
    )
    slug = models.SlugField(
        max_length=80,
        unique=True,
        blank=True,
        help_text="Used in filter links. Leave empty to make it from the name.",
    )
    description = models.CharField(
        max_length=255,
        blank=True,
        help_text="One plain sentence saying what happens in this kind of breach.",
    )

    panels = [FieldPanel("name"), FieldPanel("slug"), FieldPanel("description")]
    search_fields = [
        index.SearchField("name"),
        index.AutocompleteField("name"),
        index.SearchField("description"),
    ]

    class Meta:
        ordering = ["name"]
        verbose_name = "breach type"

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = slugify(self.name)[:80]
        super().save(*args, **kwargs)


def _card_queryset():
    """Case studies ready to show as cards, with the hero image joined (prefetch_cards adds
    the rest). A card never shows the body, the longest column: left in the database."""
    return public(BreachCaseStudyPage.objects.live()).defer("body").select_related("hero_image")


def _numbered(prefix, ids):
    return {f"{prefix}{place}": pk for place, pk in enumerate(ids)}


def _type_links(**ids):
    through = BreachCaseStudyPage.breach_types.through
    return through.objects.filter(breachcasestudypage_id__in=list(ids.values()))


def _images(**ids):
    return get_image_model().objects.filter(pk__in=list(ids.values()))


def _renditions(**ids):
    rendition_model = get_image_model().get_rendition_model()
    return rendition_model.objects.filter(image_id__in=list(ids.values()))


def _breach_types_by_id():
    # A short list, the same for every page: kept with the site snapshot (saving a breach
    # type, a snippet, replaces it).
    return memoised("breach-types-by-id", lambda: {one.pk: one for one in BreachType.objects.all()})


def cards_by_id(ids):
    """The live, public case studies with these ids as cards (hero image joined), in the order
    given: one query, compiled once per site snapshot and number of ids."""
    ids = list(ids)
    if not ids:
        return []
    found = prepared_list(("cards-by-id", len(ids)), _cards_with_ids, **_numbered("p", ids))
    by_pk = {page.pk: page for page in found}
    return [by_pk[pk] for pk in ids if pk in by_pk]


def _cards_with_ids(**ids):
    return _card_queryset().filter(pk__in=list(ids.values()))


def prefetch_cards(pages, *, types=True, images=True):
    """What cards show besides their own rows, for case studies already loaded (a list): each
    one's breach types (`card_types`; unless `types` is false), its hero image where it is
    not joined yet, and the images' renditions (unless `images` is false). At most three
    queries whatever the number of cards, each compiled once per site snapshot and number of
    cards (home.page_cache.prepared_list)."""
    pages = list(pages)
    saved = [page for page in pages if page.pk is not None]  # a new page's preview is not
    if types and saved:
        # The catalog knows the types of every live, public case study; others are asked for.
        kept = kept_catalog()
        listed = kept.by_pk if kept is not None else {}
        found = {page.pk: set(listed[page.pk].type_ids) for page in saved if page.pk in listed}
        ids = sorted({page.pk for page in saved} - found.keys())
        if ids:
            links = prepared_list(("card-types", len(ids)), _type_links, **_numbered("p", ids))
            found.update((pk, set()) for pk in ids)
            for link in links:
                found[link.breachcasestudypage_id].add(link.breachtype_id)
        by_id = _breach_types_by_id()
        if any(type_id not in by_id for type_ids in found.values() for type_id in type_ids):
            by_id = {one.pk: one for one in BreachType.objects.all()}  # newer than the snapshot
        for page in saved:
            page.card_types = sorted(
                (by_id[type_id] for type_id in found[page.pk]), key=lambda one: one.name
            )
    if not images:
        return pages
    hero_field = BreachCaseStudyPage._meta.get_field("hero_image")
    # The images already loaded with a card's row; a page without its image loaded shares
    # one of these where it can, and the rest come in one query.
    by_id = {
        page.hero_image_id: page.hero_image
        for page in pages
        if page.hero_image_id and hero_field.is_cached(page) and page.hero_image is not None
    }
    missing = sorted({page.hero_image_id for page in pages if page.hero_image_id} - by_id.keys())
    if missing:
        fetched = prepared_list(("card-images", len(missing)), _images, **_numbered("i", missing))
        by_id.update((image.pk, image) for image in fetched)
    for page in pages:
        if page.hero_image_id in by_id and not hero_field.is_cached(page):
            page.hero_image = by_id[page.hero_image_id]
    # Every instance of each image (a joined row brings its own), given the renditions.
    instances = {}
    for page in pages:
        if page.hero_image_id and hero_field.is_cached(page) and page.hero_image is not None:
            instances.setdefault(page.hero_image_id, []).append(page.hero_image)
    if instances:
        ids = sorted(instances)
        renditions = {pk: [] for pk in ids}
        for rendition in prepared_list(
            ("card-renditions", len(ids)), _renditions, **_numbered("i", ids)
        ):
            rendition.image = instances[rendition.image_id][0]
            renditions[rendition.image_id].append(rendition)
        for pk, images_of_pk in instances.items():
            for image in images_of_pk:
                # Where Wagtail's own Image.prefetch_renditions() leaves them, and looks first.
                image.prefetched_renditions = list(renditions[pk])
    return pages


class BreachIndexPage(MemoisedViewRestrictionsMixin, RoutablePageMixin, Page):
    """The list of case studies at /case-studies/: newest first, filtered by breach type,
    sector and year through plain links and a GET form, and the RSS feed."""

    intro = RichTextField(
        features=RICH_TEXT_FEATURES,
        blank=True,
        help_text="A short introduction above the list of case studies.",
    )

    content_panels = Page.content_panels + [FieldPanel("intro")]
    search_fields = Page.search_fields + [index.SearchField("intro")]

    template = "breaches/breach_index_page.html"
    parent_page_types = ["home.HomePage"]
    subpage_types = ["breaches.BreachCaseStudyPage"]
    max_count = 1

    class Meta:
        verbose_name = "case study index"

    def listed(self, chosen=None):
        """The ids of the live, public case studies under this index matching `chosen`
        (read_filters'), newest first: from the catalog, without a query."""
        chosen = chosen or {}
        return catalog().listed(
            self.path,
            type_id=chosen["type"].pk if "type" in chosen else None,
            sector=chosen.get("sector"),
            year=chosen.get("year"),
        )

    def newest(self, count):
        """The newest `count` case studies with their breach types (`card_types`), for the
        feed."""
        return prefetch_cards(cards_by_id(self.listed()[:count]), images=False)

    def filter_options(self):
        """What readers can filter by: breach types, sectors, and the years case studies cover.

        Kept until a case study is published or a breach type edited
        (home/page_cache/snapshot.py)."""
        return memoised(("breach-filter-options", self.pk), self._filter_options)

    def _filter_options(self):
        years = BreachCaseStudyPage.objects.live().aggregate(
            first=Min("period_start"), last=Max(Coalesce("period_end", "period_start"))
        )
        year_choices = []
        if years["first"] and years["last"]:
            year_choices = list(range(years["last"], years["first"] - 1, -1))
        breach_types = list(BreachType.objects.all())
        return {
            "breach_types": breach_types,
            "sectors": Sector.choices,
            "years": year_choices,
            # As the form's options show them: (value, label).
            "type_choices": [(one.slug, one.name) for one in breach_types],
            "year_choices": [(year, year) for year in year_choices],
        }

    @staticmethod
    def read_filters(request, options):
        """The filters in the URL that match a real choice; anything else is ignored."""
        chosen = {}
        type_slug = request.GET.get("type", "")
        for breach_type in options["breach_types"]:
            if breach_type.slug == type_slug:
                chosen["type"] = breach_type
        sector = request.GET.get("sector", "")
        if sector in Sector.values:
            chosen["sector"] = sector
        year = request.GET.get("year", "")
        if year.isdigit() and len(year) == 4 and int(year) in options["years"]:
            chosen["year"] = int(year)
        return chosen

    @path("")
    @reads_query("type", "sector", "year", "page")
    def index_route(self, request):
        options = self.filter_options()
        chosen = self.read_filters(request, options)
        paginator = Paginator(self.listed(chosen), CASE_STUDIES_PER_PAGE)
        # get_page turns a missing, non-numeric or out-of-range number into a real page.
        page_of_results = paginator.get_page(request.GET.get("page"))
        # Loaded when the list is shown (a shared fragment may already hold it).
        shown = list(page_of_results.object_list)
        page_of_results.object_list = SimpleLazyObject(lambda: prefetch_cards(cards_by_id(shown)))
        query = {}
        if "type" in chosen:
            query["type"] = chosen["type"].slug
        if "sector" in chosen:
            query["sector"] = chosen["sector"]
        if "year" in chosen:
            query["year"] = chosen["year"]
        # Given the request: its site root paths come with the site snapshot (full_url would
        # ask the cache for them).
        canonical = self.get_full_url(request)
        if not chosen and page_of_results.number > 1:
            canonical += f"?page={page_of_results.number}"
        return self.render(
            request,
            context_overrides={
                "case_studies": page_of_results,
                "filters": options,
                # Each filter's chosen value (the type's slug), or None.
                "chosen": {
                    "type": chosen["type"].slug if "type" in chosen else None,
                    "sector": chosen.get("sector"),
                    "year": chosen.get("year"),
                },
                "filtered": bool(chosen),
                "filter_query": urlencode(query),
                "page_numbers": list(
                    paginator.get_elided_page_range(page_of_results.number, on_each_side=2)
                ),
                "sector_labels": dict(Sector.choices),
                "canonical_url": canonical,
                # Filtered views are near-duplicates of the index: keep them out of search engines.
                "robots_noindex": bool(chosen),
            },
        )

    @path("feed/", name="feed")
    @reads_query()
    def feed_route(self, request):
        return CaseStudyFeed()(request, index_page=self)


class BreachCaseStudyPageForm(WagtailAdminPageForm):
    """The editor's form: drafts may be incomplete, but publishing needs the facts a reader
    relies on, each with an error saying what is missing."""

    REQUIRED_MESSAGES = {
        "organisation": "Name the organisation that was breached before publishing.",
        "sector": "Choose the organisation's sector before publishing.",
        "period_start": "Give the year the breach happened (or began) before publishing.",
        "summary": "Write a short summary before publishing: it is shown in lists and search.",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, message in self.REQUIRED_MESSAGES.items():
            if name in self.fields:
                self.fields[name].error_messages["required"] = message

    def clean(self):
        cleaned_data = super().clean()
        start, end = cleaned_data.get("period_start"), cleaned_data.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", "The last year cannot be before the first year.")
        if end and not start:
            self.add_error("period_start", "Give the first year as well as the last.")
        # Saving a draft defers required fields; publishing and previewing a publish do not.
        needs_types = not self.is_deferred_validation and "breach_types" in self.fields
        if needs_types and not cleaned_data.get("breach_types"):
            self.add_error(
                "breach_types",
                "Choose at least one breach type before publishing: readers filter by "
                "them and related case studies are found through them.",
            )
        return cleaned_data


class BreachCaseStudyPage(MemoisedViewRestrictionsMixin, CallBackFormMixin, Page):
    """One data breach told for the people it affected: the facts at a glance, the story,
    its sources, how to claim, and related case studies."""

    organisation = models.CharField(
        max_length=160,
        help_text="The organisation that was breached, as readers know it, e.g. "
        "'West Midlands Police'.",
    )
    sector = models.CharField(
        max_length=20,
        choices=Sector.choices,
        help_text="The kind of organisation; readers filter case studies by sector.",
    )
    period_start = models.PositiveSmallIntegerField(
        "first year",
        null=True,
        validators=[MinValueValidator(FIRST_YEAR), MaxValueValidator(2100)],
        help_text="The year the breach happened, or the first year of a longer period.",
    )
    period_end = models.PositiveSmallIntegerField(
        "last year",
        null=True,
        blank=True,
        validators=[MinValueValidator(FIRST_YEAR), MaxValueValidator(2100)],
        help_text="For breaches over several years, the last year. Empty for a single year.",
    )
    incidents_reported = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="How many separate incidents were reported, if known.",
    )
    people_affected = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="How many people were affected, if known. Leave empty rather than guess.",
    )
    breach_types = ParentalManyToManyField(
        "breaches.BreachType",
        blank=True,
        related_name="case_studies",
        help_text="Every kind of breach involved. At least one is needed to publish.",
    )
    published_date = models.DateField(
        "publication date",
        default=datetime.date.today,
        help_text="The date readers see on the case study; lists are ordered by it.",
    )
    hero_image = models.ForeignKey(
        "wagtailimages.Image",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="A wide picture shown at the top and when the page is shared. Screen readers "
        "read the image's description (or its title), so describe it when you upload it.",
    )
    summary = models.TextField(
        max_length=400,
        help_text="Two or three sentences: who was breached, what happened, who it affected. "
        "Shown in lists, search results and as the search-engine description.",
    )
    body = StreamField(
        CaseStudyStreamBlock(),
        blank=True,
        help_text="The story: what happened, the wider picture with sourced figures, "
        "and how to claim.",
    )
    featured = models.BooleanField(
        default=False,
        help_text="Show this case study in the 'featured' list on the home page.",
    )

    content_panels = Page.content_panels + [
        FieldPanel("summary"),
        MultiFieldPanel(
            [
                FieldPanel("organisation"),
                FieldPanel("sector"),
                FieldRowPanel([FieldPanel("period_start"), FieldPanel("period_end")]),
                FieldRowPanel([FieldPanel("incidents_reported"), FieldPanel("people_affected")]),
                FieldPanel("breach_types", widget=forms.CheckboxSelectMultiple),
            ],
            heading="Facts at a glance",
        ),
        FieldPanel("published_date"),
        FieldPanel("hero_image"),
        FieldPanel("body"),
        InlinePanel(
            "sources",
            heading="Sources",
            label="Source",
            help_text="Where the facts come from; shown to readers as numbered citations.",
        ),
        InlinePanel(
            "related_links",
            heading="Related case studies",
            label="Related case study",
            max_num=related.RELATED_POSTS,
            help_text=f"Up to {related.RELATED_POSTS}, in the order shown. Empty places are "
            "filled with recent case studies sharing breach types or sector.",
        ),
        *CallBackFormMixin.callback_panels,
    ]
    # What the page brings in, beside how it is promoted (leads/conversion/).
    promote_panels = [
        ConversionPanel(heading="Readers and call-back requests"),
        *Page.promote_panels,
        FieldPanel("featured"),
    ]

    search_fields = Page.search_fields + [
        index.SearchField("title", boost=3),
        index.AutocompleteField("title"),
        index.SearchField("organisation", boost=3),
        index.AutocompleteField("organisation"),
        index.SearchField("summary", boost=1.5),
        index.SearchField("get_sector_display"),
        index.SearchField("body"),
        index.RelatedFields(
            "breach_types",
            [
                index.SearchField("name", boost=2),
                index.SearchField("description"),
                index.FilterField("slug"),
            ],
        ),
        index.FilterField("sector"),
        index.FilterField("published_date"),
        index.FilterField("period_start"),
    ]

    base_form_class = BreachCaseStudyPageForm
    template = "breaches/breach_case_study_page.html"
    parent_page_types = ["breaches.BreachIndexPage"]
    subpage_types = []

    class Meta:
        verbose_name = "case study"
        verbose_name_plural = "case studies"

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        # After super().save(), which also stores the breach types (modelcluster commits them
        # after the row). Saving a draft names only bookkeeping fields: nothing to index.
        update_fields = kwargs.get("update_fields")
        if update_fields is None:
            search_index.index_case_studies([self])
        elif search_index.INDEXED_FIELDS.intersection(update_fields):
            # Fields not named may hold unsaved (draft) values: index the row as stored.
            search_index.reindex(BreachCaseStudyPage.objects.filter(pk=self.pk))

    @property
    def period(self):
        """The period as readers see it: '2016' or '2016–2018'."""
        if not self.period_start:
            return ""
        if self.period_end and self.period_end != self.period_start:
            return f"{self.period_start}–{self.period_end}"
        return str(self.period_start)

    @cached_property
    def breach_type_list(self):
        """The page's breach types: fetched with its related case studies' (the page shows
        both), or as held in memory (a preview)."""
        self.get_related_posts()
        return self.card_types

    @cached_property
    def card_types(self):
        """The breach types a card shows: prefetch_cards gives a list of cards theirs."""
        return list(self.breach_types.all())

    def get_related_posts(self):
        """Up to three related case studies as cards (breaches/related.py says how they are
        chosen), loaded once per instance."""
        return self._related_cards

    @cached_property
    def _related_cards(self):
        # Chosen from the catalog; then three queries whatever the page shows: the cards (their
        # hero images joined), this page's hero image and every image's renditions. The
        # breach types of live, public case studies come with the catalog.
        cards = cards_by_id(related.related_ids(self, catalog()))
        if related.in_database(self, self.breach_types.all()):
            prefetch_cards([self, *cards])
        else:  # a preview: the page's types are those in memory
            prefetch_cards(cards)
            prefetch_cards([self], types=False)
        return cards

    def get_sources(self):
        """The page's sources in order: one query compiled once per site snapshot, or as held
        in memory (a preview)."""
        sources = self.sources.all()
        if not related.in_database(self, sources):
            return list(sources)
        return prepared_list(
            "case-study-sources",
            lambda pk: CaseStudySource.objects.filter(page_id=pk).order_by("sort_order"),
            pk=self.pk,
        )

    def _hero_image_with_renditions(self):
        self.get_related_posts()
        return self.hero_image

    def get_breadcrumbs(self, request=None):
        """The pages from the site's home to this one (remembered: the template and the
        JSON-LD both need them). The ancestors are the same for every case study: kept with
        the site snapshot, which every publish, move or deletion replaces."""
        if getattr(self, "_breadcrumbs", None) is None:
            site = Site.find_for_request(request) if request else self.get_site()
            top = site.root_page.depth if site else 1
            parent_path = self.path[: -self.steplen]
            ancestors = memoised(
                ("ancestors", parent_path, top),
                lambda: list(self.get_ancestors().filter(depth__gte=top)),
            )
            self._breadcrumbs = [*ancestors, self]
        return self._breadcrumbs

    def get_context(self, request, *args, **kwargs):
        # Lazy: most of the page comes from a shared fragment ({% shared_fragment %}), so
        # what only the fragment shows is fetched only when the fragment is rendered.
        context = super().get_context(request, *args, **kwargs)
        context["breach_types"] = SimpleLazyObject(lambda: self.breach_type_list)
        context["sources"] = SimpleLazyObject(self.get_sources)
        context["related_posts"] = SimpleLazyObject(self.get_related_posts)
        context["breadcrumbs"] = SimpleLazyObject(lambda: self.get_breadcrumbs(request))
        context["callback_form"] = self.get_callback_form(request)
        if self.hero_image_id:
            context["hero_image"] = SimpleLazyObject(self._hero_image_with_renditions)
        return context


class CaseStudySource(Orderable):
    """One source a case study's facts come from, shown to readers as a citation."""

    page = ParentalKey(BreachCaseStudyPage, on_delete=models.CASCADE, related_name="sources")
    title = models.CharField(
        max_length=255, help_text="The article or report's title, as published."
    )
    publisher = models.CharField(
        max_length=120, blank=True, help_text="Who published it, e.g. a newspaper or regulator."
    )
    url = models.URLField(blank=True, help_text="A link to the source, if it is online.")
    date = models.DateField(null=True, blank=True, help_text="When it was published, if known.")

    panels = [FieldPanel("title"), FieldPanel("publisher"), FieldPanel("url"), FieldPanel("date")]

    class Meta(Orderable.Meta):
        verbose_name = "source"

    def __str__(self):
        return self.title


class RelatedCaseStudy(Orderable):
    """A case study an editor has picked to show under another one."""

    page = ParentalKey(BreachCaseStudyPage, on_delete=models.CASCADE, related_name="related_links")
    related_page = models.ForeignKey(
        BreachCaseStudyPage,
        null=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="The case study to show. Drafts and private pages are skipped.",
    )

    panels = [PageChooserPanel("related_page", "breaches.BreachCaseStudyPage")]

    class Meta(Orderable.Meta):
        verbose_name = "related case study"
        verbose_name_plural = "related case studies"
