"""Body blocks for case studies: the shared blocks plus the facts a breach story is built from."""

from wagtail import blocks
from wagtail.snippets.blocks import SnippetChooserBlock

from home.blocks import BaseStreamBlock


class StatisticBlock(blocks.StructBlock):
    """One figure that puts the breach in context, always shown with where it came from."""

    figure = blocks.CharBlock(
        max_length=40,
        help_text="The number as readers should see it, e.g. '2,300' or '1 in 4'.",
    )
    description = blocks.CharBlock(
        max_length=200,
        help_text="What the figure counts, e.g. 'breach incidents recorded by UK police in 2020'.",
    )
    source_title = blocks.CharBlock(
        max_length=200,
        help_text="Who published the figure, e.g. the report or newspaper's name.",
    )
    source_url = blocks.URLBlock(required=False, help_text="A link to the source, if it is online.")
    source_date = blocks.DateBlock(
        required=False, help_text="When the source was published, if known."
    )

    class Meta:
        icon = "table"
        label = "Statistic with source"
        template = "breaches/blocks/statistic_block.html"


class BreachTypeListBlock(blocks.StructBlock):
    """A bullet list of breach types, each with its plain-language description."""

    intro = blocks.CharBlock(
        required=False,
        max_length=200,
        help_text="A sentence before the list, e.g. 'The breaches included:'.",
    )
    breach_types = blocks.ListBlock(
        SnippetChooserBlock("breaches.BreachType"),
        required=False,
        help_text="Leave empty to list this case study's own breach types.",
    )
    show_descriptions = blocks.BooleanBlock(
        required=False,
        default=True,
        help_text="Show each type's short description after its name.",
    )

    class Meta:
        icon = "list-ul"
        label = "Breach types list"
        template = "breaches/blocks/breach_type_list_block.html"


class CaseStudyStreamBlock(BaseStreamBlock):
    """The body of a case study: shared blocks, statistics with sources and breach-type lists."""

    statistic = StatisticBlock()
    breach_types = BreachTypeListBlock()

    class Meta:
        block_counts = {"breach_types": {"max_num": 3}}
