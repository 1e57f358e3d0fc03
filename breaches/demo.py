"""Demo data owned by the breaches app: breach types, the case study index and case studies.

The West Midlands Police case study is written from facts that were publicly reported. Every
other organisation and event here is invented for the demo and says so on the page. Images are
drawn with Pillow at load time; nothing is downloaded. Running it again changes nothing.
"""

import datetime
import io
import random

from django.core.files.images import ImageFile
from PIL import Image as PILImage
from PIL import ImageDraw
from wagtail.images import get_image_model

from breaches.models import BreachCaseStudyPage, BreachIndexPage, BreachType, RelatedCaseStudy
from home.models import HomePage

ORDER = 30

BREACH_TYPES = [
    (
        "wrong-address-subject-access",
        "Subject access responses sent to the wrong address",
        "Someone asked to see the information held about them, and the reply went to somebody "
        "else's address.",
    ),
    (
        "insecure-email",
        "Insecure email",
        "Personal information sent by email with no password or encryption protecting it.",
    ),
    (
        "lost-devices",
        "Lost or stolen devices",
        "Laptops, phones or USB sticks holding personal information lost, left behind or stolen.",
    ),
    (
        "inappropriate-disclosure",
        "Inappropriate disclosure",
        "Personal information sent or shown to people who had no right to see it.",
    ),
    (
        "misuse-of-systems",
        "Misuse of systems",
        "Staff looking up or using records for reasons that had nothing to do with their job.",
    ),
    (
        "misdirected-post",
        "Misdirected post",
        "Letters containing personal details printed with the wrong name or sent to the wrong "
        "address.",
    ),
    (
        "cyber-attack",
        "Cyber attack",
        "Criminals breaking into an organisation's systems, for example with stolen passwords "
        "or ransomware.",
    ),
    (
        "unsecured-database",
        "Unsecured database",
        "A database left open on the internet where anyone who found it could read it.",
    ),
]

ILLUSTRATIVE = (
    "<p><em>This is an illustrative case study written for the demonstration site. "
    "The organisation and the events described are invented.</em></p>"
)

CLAIMING = (
    "<p>Organisations that hold personal information have a legal duty to keep it safe. "
    "When they fall short, the people affected may be able to claim compensation for the "
    "distress the breach caused as well as any money they lost. Ask us to call you back for "
    "free, no-obligation advice.</p>"
)


def _types(*slugs):
    return list(BreachType.objects.filter(slug__in=slugs))


CASE_STUDIES = [
    {
        "slug": "west-midlands-police-data-breaches",
        "title": "West Midlands Police data breaches over the years",
        "organisation": "West Midlands Police",
        "sector": "police",
        "period_start": 2016,
        "incidents_reported": 24,
        "published_date": datetime.date(2022, 3, 14),
        "featured": True,
        "colour": (11, 79, 138),
        "types": [
            "wrong-address-subject-access",
            "insecure-email",
            "lost-devices",
            "inappropriate-disclosure",
            "misuse-of-systems",
        ],
        "summary": (
            "Reports in 2017 said West Midlands Police officers were behind as many as 24 data "
            "breaches during 2016, most of them down to human error and the inappropriate "
            "disclosure of private information."
        ),
        "body": [
            (
                "paragraph",
                "<p>In 2017 it came to light that officers at West Midlands Police had been "
                "responsible for up to 24 data breaches in a single year. The incidents took "
                "place during 2016, and most of them were put down to human error: private "
                "information was disclosed to people who should never have seen it.</p>"
                "<p>The force did not publish the details of each case. Even so, a police force "
                "holds some of the most sensitive information there is about victims, witnesses "
                "and suspects. When it leaks, the harm can go beyond distress and put people's "
                "safety at risk.</p>",
            ),
            ("heading", {"text": "How the breaches happened", "level": "h2"}),
            (
                "breach_types",
                {
                    "intro": "The reported breaches took several forms:",
                    "breach_types": [],
                    "show_descriptions": True,
                },
            ),
            (
                "paragraph",
                "<p>One further case was recorded as a &ldquo;misuse of systems&rdquo;; what "
                "that involved was not made public.</p>",
            ),
            ("heading", {"text": "A problem across UK policing", "level": "h2"}),
            (
                "statistic",
                {
                    "figure": "about 2,300",
                    "description": "data breach incidents recorded by UK police in 2020, "
                    "at just 22 of the 45 forces",
                    "source_title": "Press reports of figures gathered from UK police forces",
                    "source_url": "",
                    "source_date": datetime.date(2021, 5, 1),
                },
            ),
            (
                "paragraph",
                "<p>Those figures came from fewer than half of the UK's forces, so the real "
                "number is likely to be higher. They echo a study published in 2016, which "
                "counted more than 2,000 police data breaches since the middle of 2011.</p>",
            ),
            (
                "statistic",
                {
                    "figure": "2,000+",
                    "description": "police data breaches between mid-2011 and 2016",
                    "source_title": "A study of police data breaches published in 2016",
                    "source_url": "",
                    "source_date": None,
                },
            ),
            ("heading", {"text": "Claiming compensation for a police data breach", "level": "h2"}),
            ("paragraph", CLAIMING),
        ],
        "sources": [
            {
                "title": "West Midlands Police data breaches during 2016",
                "publisher": "Press reports",
                "date": datetime.date(2017, 1, 1),
            },
            {
                "title": "Data breach incidents recorded by UK police forces in 2020",
                "publisher": "Press reports",
                "date": datetime.date(2021, 5, 1),
            },
        ],
    },
    {
        "slug": "northmere-hospitals-nhs-trust-appointment-letters",
        "title": "Northmere Hospitals NHS Trust: appointment letters sent to the wrong patients",
        "organisation": "Northmere Hospitals NHS Trust",
        "sector": "health",
        "period_start": 2023,
        "incidents_reported": 37,
        "people_affected": 1150,
        "published_date": datetime.date(2024, 2, 6),
        "featured": True,
        "colour": (0, 94, 184),
        "types": ["misdirected-post", "insecure-email", "inappropriate-disclosure"],
        "summary": (
            "After a change to its patient records system, an invented hospital trust sent "
            "clinic letters naming patients' conditions to the wrong homes for several weeks."
        ),
        "body": [
            ("paragraph", ILLUSTRATIVE),
            (
                "paragraph",
                "<p>When Northmere Hospitals NHS Trust moved its outpatient letters to a new "
                "system, addresses from old records were matched to the wrong patients. For six "
                "weeks, appointment letters that named clinics such as sexual health and "
                "mental health services went to neighbours and former occupants.</p>",
            ),
            (
                "breach_types",
                {"intro": "What went wrong:", "breach_types": [], "show_descriptions": True},
            ),
            (
                "statistic",
                {
                    "figure": "1,150",
                    "description": "patients whose letters went to the wrong address",
                    "source_title": "Illustrative figure for this demo case study",
                    "source_url": "",
                    "source_date": None,
                },
            ),
            ("heading", {"text": "Why health data matters more", "level": "h2"}),
            (
                "paragraph",
                "<p>Health information is special category data: the law expects extra care "
                "with it because of the harm that exposure can do. Claims involving medical "
                "details are often valued higher for that reason.</p>",
            ),
            ("paragraph", CLAIMING),
        ],
        "sources": [],
    },
    {
        "slug": "kettlewick-borough-council-spreadsheet",
        "title": "Kettlewick Borough Council published tenants' details in a spreadsheet",
        "organisation": "Kettlewick Borough Council",
        "sector": "council",
        "period_start": 2022,
        "incidents_reported": 1,
        "people_affected": 2400,
        "published_date": datetime.date(2023, 5, 18),
        "colour": (29, 107, 53),
        "types": ["inappropriate-disclosure"],
        "summary": (
            "An invented council answered a freedom of information request with a spreadsheet "
            "whose hidden tabs held the names, addresses and benefit details of 2,400 tenants."
        ),
        "body": [
            ("paragraph", ILLUSTRATIVE),
            (
                "paragraph",
                "<p>Kettlewick Borough Council meant to publish a simple count of housing "
                "repairs. The file it put online still held hidden worksheets with tenants' "
                "names, addresses, rent arrears and housing benefit status. It stayed on the "
                "council's website for eleven days.</p>",
            ),
            (
                "breach_types",
                {"intro": "", "breach_types": [], "show_descriptions": True},
            ),
            ("paragraph", CLAIMING),
        ],
        "sources": [],
    },
    {
        "slug": "brightmart-loyalty-accounts-attack",
        "title": "Brightmart Stores: loyalty accounts opened by attackers",
        "organisation": "Brightmart Stores",
        "sector": "retail",
        "period_start": 2024,
        "people_affected": 180000,
        "published_date": datetime.date(2024, 11, 2),
        "colour": (179, 38, 30),
        "types": ["cyber-attack"],
        "summary": (
            "Attackers used passwords stolen elsewhere to get into loyalty accounts at an "
            "invented retailer, seeing names, addresses and purchase histories."
        ),
        "body": [
            ("paragraph", ILLUSTRATIVE),
            (
                "paragraph",
                "<p>Brightmart's loyalty website let people try passwords without limit. "
                "Attackers fed it lists of email addresses and passwords leaked from other "
                "sites, and got into the accounts of customers who had reused them.</p>",
            ),
            ("breach_types", {"intro": "", "breach_types": [], "show_descriptions": True}),
            ("paragraph", CLAIMING),
        ],
        "sources": [],
    },
    {
        "slug": "harbourline-bank-staff-snooping",
        "title": "Harbourline Bank: call-centre worker looked up customers' accounts",
        "organisation": "Harbourline Bank",
        "sector": "finance",
        "period_start": 2021,
        "period_end": 2022,
        "incidents_reported": 220,
        "people_affected": 220,
        "published_date": datetime.date(2023, 9, 12),
        "colour": (8, 58, 102),
        "types": ["misuse-of-systems", "inappropriate-disclosure"],
        "summary": (
            "Over fourteen months an employee of an invented bank viewed the accounts of people "
            "they knew and passed some details on, without any business reason."
        ),
        "body": [
            ("paragraph", ILLUSTRATIVE),
            (
                "paragraph",
                "<p>Harbourline Bank's call-centre systems let any agent open any customer's "
                "account. One agent used that to look up former partners, neighbours and "
                "colleagues, and shared some of what they found.</p>",
            ),
            ("breach_types", {"intro": "", "breach_types": [], "show_descriptions": True}),
            ("paragraph", CLAIMING),
        ],
        "sources": [],
    },
    {
        "slug": "skylark-mobile-open-database",
        "title": "Skylark Mobile left a customer database open online",
        "organisation": "Skylark Mobile",
        "sector": "telecoms",
        "period_start": 2023,
        "people_affected": 410000,
        "published_date": datetime.date(2025, 1, 21),
        "featured": True,
        "colour": (74, 20, 140),
        "types": ["unsecured-database", "cyber-attack"],
        "summary": (
            "A contractor for an invented mobile network left a copy of its customer database "
            "on an unprotected server, where it was found and copied."
        ),
        "body": [
            ("paragraph", ILLUSTRATIVE),
            (
                "paragraph",
                "<p>A test copy of Skylark Mobile's customer records sat on a cloud server with "
                "no password for at least three months. It held names, dates of birth, "
                "addresses and phone numbers: everything a fraudster needs to take over a "
                "phone number.</p>",
            ),
            ("breach_types", {"intro": "", "breach_types": [], "show_descriptions": True}),
            ("paragraph", CLAIMING),
        ],
        "sources": [],
    },
    {
        "slug": "albion-skies-booking-system-attack",
        "title": "Albion Skies Airways: passport details taken from booking system",
        "organisation": "Albion Skies Airways",
        "sector": "travel",
        "period_start": 2024,
        "people_affected": 96000,
        "published_date": datetime.date(2025, 6, 3),
        "colour": (0, 105, 120),
        "types": ["cyber-attack"],
        "summary": (
            "Criminals planted code on an invented airline's booking pages and collected "
            "passengers' passport numbers and card details for two weeks."
        ),
        "body": [
            ("paragraph", ILLUSTRATIVE),
            (
                "paragraph",
                "<p>A script added to Albion Skies' checkout page copied everything passengers "
                "typed, including passport numbers and payment cards, and sent it to a server "
                "the attackers controlled.</p>",
            ),
            ("breach_types", {"intro": "", "breach_types": [], "show_descriptions": True}),
            ("paragraph", CLAIMING),
        ],
        "sources": [],
    },
    {
        "slug": "fernhill-academy-trust-stolen-laptop",
        "title": "Fernhill Academy Trust: unencrypted laptop with pupil records stolen",
        "organisation": "Fernhill Academy Trust",
        "sector": "education",
        "period_start": 2025,
        "incidents_reported": 1,
        "people_affected": 640,
        "published_date": datetime.date(2025, 10, 8),
        "colour": (120, 72, 0),
        "types": ["lost-devices"],
        "summary": (
            "A laptop holding special educational needs records for 640 pupils was stolen "
            "from a car. It was not encrypted. The trust is invented for the demo."
        ),
        "body": [
            ("paragraph", ILLUSTRATIVE),
            (
                "paragraph",
                "<p>A member of staff at Fernhill Academy Trust took a laptop home to finish "
                "reports. It was stolen from their car overnight, and with it the support plans "
                "of 640 children, including diagnoses and family circumstances.</p>",
            ),
            ("breach_types", {"intro": "", "breach_types": [], "show_descriptions": True}),
            ("paragraph", CLAIMING),
        ],
        "sources": [],
    },
]

# Editors' picks; the remaining places fill themselves from shared breach types and sector.
RELATED_PICKS = {
    "west-midlands-police-data-breaches": ["harbourline-bank-staff-snooping"],
    "northmere-hospitals-nhs-trust-appointment-letters": ["west-midlands-police-data-breaches"],
}


def _draw_image(title, colour, seed):
    """A simple abstract picture: a coloured field with shapes, drawn locally."""
    rng = random.Random(seed)
    width, height = 1200, 675
    canvas = PILImage.new("RGB", (width, height), colour)
    draw = ImageDraw.Draw(canvas)
    for _ in range(14):
        x, y = rng.randrange(width), rng.randrange(height)
        size = rng.randrange(40, 260)
        shade = tuple(min(255, channel + rng.randrange(20, 90)) for channel in colour)
        draw.rectangle((x, y, x + size, y + size // 2), outline=shade, width=6)
    for row in range(6):
        draw.line((0, 420 + row * 30, width, 380 + row * 30), fill=(255, 255, 255), width=2)
    buffer = io.BytesIO()
    canvas.save(buffer, format="PNG")
    return buffer


def _image(slug, title, colour):
    image_model = get_image_model()
    image_title = f"Abstract illustration for: {title}"
    existing = image_model.objects.filter(title=image_title).first()
    if existing:
        return existing
    buffer = _draw_image(title, colour, slug)
    image = image_model(
        title=image_title,
        description="Abstract coloured shapes; an illustration, not a photograph.",
    )
    image.file = ImageFile(buffer, name=f"{slug}.png")
    image.save()
    return image


def _breach_types():
    for slug, name, description in BREACH_TYPES:
        BreachType.objects.get_or_create(
            slug=slug, defaults={"name": name, "description": description}
        )


def _index(home):
    index = BreachIndexPage.objects.child_of(home).first()
    if index:
        return index
    index = BreachIndexPage(
        title="Data breach case studies",
        slug="case-studies",
        intro=(
            "<p>How personal data gets lost, leaked and misused, told for the people it "
            "happened to. Filter by the kind of breach, the sector or the year.</p>"
        ),
        search_description=(
            "Data breach case studies from police forces, the NHS, councils, banks, retailers "
            "and airlines: what happened and who can claim."
        ),
        show_in_menus=True,
    )
    home.add_child(instance=index)
    index.save_revision().publish()
    return index


def _case_study(index, data):
    page = BreachCaseStudyPage.objects.filter(slug=data["slug"]).first()
    if page:
        return page, False
    page = BreachCaseStudyPage(
        title=data["title"],
        slug=data["slug"],
        organisation=data["organisation"],
        sector=data["sector"],
        period_start=data["period_start"],
        period_end=data.get("period_end"),
        incidents_reported=data.get("incidents_reported"),
        people_affected=data.get("people_affected"),
        published_date=data["published_date"],
        featured=data.get("featured", False),
        summary=data["summary"],
        body=data["body"],
        hero_image=_image(data["slug"], data["title"], data["colour"]),
    )
    page.breach_types = _types(*data["types"])
    for position, source in enumerate(data["sources"]):
        page.sources.add(page.sources.model(sort_order=position, **source))
    index.add_child(instance=page)
    page.save_revision().publish()
    return page, True


def load(stdout):
    home = HomePage.objects.first()
    if home is None:
        stdout.write("No home page: run the home demo first.")
        return
    _breach_types()
    index = _index(home)
    created = 0
    pages = {}
    for data in CASE_STUDIES:
        page, is_new = _case_study(index, data)
        pages[page.slug] = page
        created += is_new
    for slug, picks in RELATED_PICKS.items():
        page = pages[slug]
        if page.related_links.exists():
            continue
        for position, pick in enumerate(picks):
            RelatedCaseStudy.objects.create(
                page=page, related_page=pages[pick], sort_order=position
            )
        # Keep the latest revision in step so the next editor does not lose the picks.
        page = BreachCaseStudyPage.objects.get(pk=page.pk)
        page.save_revision().publish()
    stdout.write(
        f"Case studies ready: {len(pages)} under {index.url_path} ({created} new), "
        f"{BreachType.objects.count()} breach types"
    )
