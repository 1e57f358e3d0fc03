"""StreamField blocks shared by every page type that has a body."""

from django.forms.utils import ErrorList
from wagtail import blocks
from wagtail.images.blocks import ImageChooserBlock

RICH_TEXT_FEATURES = ["h2", "h3", "bold", "italic", "link", "ol", "ul", "document-link"]


class HeadingBlock(blocks.StructBlock):
    """A section heading; level 2 or 3 so the page outline stays correct."""

    text = blocks.CharBlock(
        max_length=120, help_text="Short and specific: what the section is about."
    )
    level = blocks.ChoiceBlock(
        choices=[("h2", "Section (level 2)"), ("h3", "Sub-section (level 3)")],
        default="h2",
        help_text="Use level 3 only inside a level 2 section.",
    )

    class Meta:
        icon = "title"
        template = "blocks/heading_block.html"


class QuoteBlock(blocks.StructBlock):
    """A quotation with the person or source it came from."""

    quote = blocks.TextBlock(help_text="The words quoted, without quotation marks.")
    attribution = blocks.CharBlock(required=False, max_length=120, help_text="Who said it.")

    class Meta:
        icon = "openquote"
        template = "blocks/quote_block.html"


class ImageBlock(blocks.StructBlock):
    """An image with the alternative text readers of screen readers hear."""

    image = ImageChooserBlock()
    alt_text = blocks.CharBlock(
        max_length=200,
        help_text="Describe what the image shows for people who cannot see it.",
    )
    caption = blocks.CharBlock(required=False, max_length=200)

    class Meta:
        icon = "image"
        template = "blocks/image_block.html"


class CallToActionBlock(blocks.StructBlock):
    """A button linking to one page of the site or one web address: never both, never neither."""

    text = blocks.CharBlock(
        max_length=60, help_text="What the button says, e.g. 'Start your claim'."
    )
    page = blocks.PageChooserBlock(required=False, help_text="Link to a page on this site…")
    url = blocks.URLBlock(required=False, help_text="…or to a web address. Not both.")

    class Meta:
        icon = "link"
        template = "blocks/call_to_action_block.html"

    def clean(self, value):
        value = super().clean(value)
        page, url = value.get("page"), value.get("url")
        if page and url:
            message = "Choose a page or enter a web address, not both."
            raise blocks.StructBlockValidationError(
                block_errors={"page": ErrorList([message]), "url": ErrorList([message])}
            )
        if not page and not url:
            message = "Choose a page or enter a web address for the button to link to."
            raise blocks.StructBlockValidationError(block_errors={"page": ErrorList([message])})
        return value


class BaseStreamBlock(blocks.StreamBlock):
    """The body blocks every page may use; page types add their own on top."""

    heading = HeadingBlock()
    paragraph = blocks.RichTextBlock(features=RICH_TEXT_FEATURES, icon="pilcrow")
    quote = QuoteBlock()
    image = ImageBlock()
    call_to_action = CallToActionBlock()
