from django.contrib.contenttypes.fields import GenericRelation
from django.db import models
from wagtail.admin.panels import FieldPanel, MultiFieldPanel, PageChooserPanel
from wagtail.models import RevisionMixin
from wagtail.search import index


class CallBackForm(RevisionMixin, index.Indexed, models.Model):
    """The call-back box editors place on pages: its wording, and where its leads are announced.

    Pages know it only through a foreign key; the site-wide default lives in the site settings.
    """

    name = models.CharField(
        max_length=100,
        unique=True,
        help_text="For editors only: how this form is named in choosers, e.g. 'Default call back'.",
    )
    heading = models.CharField(
        max_length=120,
        default="Request a call back from our team",
        help_text="The box's heading, shown above the form.",
    )
    intro = models.CharField(
        max_length=255,
        blank=True,
        default="Complete our quick form below and we'll contact you when you're ready to talk.",
        help_text="One sentence under the heading saying what happens next.",
    )
    required_note = models.CharField(
        max_length=80,
        default="All fields are required.",
        help_text="Tells readers before they start that every field must be filled in.",
    )
    submit_label = models.CharField(
        max_length=40,
        default="Request a call back",
        help_text="The text on the submit button: say what happens when it is pressed.",
    )
    success_message = models.CharField(
        max_length=255,
        default="Thank you. Our team will call you back at the time you chose.",
        help_text="Shown to the reader once their request has been received.",
    )
    privacy_notice = models.CharField(
        max_length=255,
        default="Information on how we handle your data is available in our",
        help_text="Shown at the point of collection; the privacy page link follows it.",
    )
    privacy_page = models.ForeignKey(
        "wagtailcore.Page",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The privacy policy page linked from the notice.",
    )
    privacy_link_text = models.CharField(
        max_length=60,
        default="Privacy Policy",
        help_text="The words of the link to the privacy policy page.",
    )

    panels = [
        FieldPanel("name"),
        MultiFieldPanel(
            [
                FieldPanel("heading"),
                FieldPanel("intro"),
                FieldPanel("required_note"),
                FieldPanel("submit_label"),
                FieldPanel("success_message"),
            ],
            heading="Wording",
        ),
        MultiFieldPanel(
            [
                FieldPanel("privacy_notice"),
                PageChooserPanel("privacy_page"),
                FieldPanel("privacy_link_text"),
            ],
            heading="Privacy notice",
        ),
    ]

    # Deleting a form deletes its revisions too.
    _revisions = GenericRelation("wagtailcore.Revision", related_query_name="callbackform")

    search_fields = [index.SearchField("name"), index.AutocompleteField("name")]

    class Meta:
        verbose_name = "call-back form"
        ordering = ["name"]

    def __str__(self):
        return self.name
