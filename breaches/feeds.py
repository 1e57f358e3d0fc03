"""The RSS feed of case studies at /case-studies/feed/."""

import datetime

from django.contrib.syndication.views import Feed
from django.utils import timezone


class CaseStudyFeed(Feed):
    """The latest case studies for feed readers: title, summary, date and breach types."""

    limit = 20

    def get_object(self, request, index_page):
        self.request = request
        return index_page

    def title(self, index_page):
        return index_page.seo_title or index_page.title

    def link(self, index_page):
        return index_page.full_url

    def description(self, index_page):
        return index_page.search_description or f"The latest {index_page.title.lower()}."

    def items(self, index_page):
        return index_page.newest(self.limit)

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return item.summary

    def item_link(self, item):
        return item.full_url

    def item_guid(self, item):
        return item.full_url

    def item_pubdate(self, item):
        moment = datetime.datetime.combine(item.published_date, datetime.time(9, 0))
        return timezone.make_aware(moment)

    def item_updateddate(self, item):
        return item.last_published_at

    def item_categories(self, item):
        return [breach_type.name for breach_type in item.card_types]
