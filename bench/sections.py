"""Sections of bench/RESULTS.md that a sub-command writes on its own (`## Faults run`,
`## Purge storm`): found by their heading, replaced in place, kept when `make bench` rewrites
the rest of the file."""

import re
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def _pattern(heading):
    return re.compile(rf"^## {re.escape(heading)}\n.*?(?=^## |\Z)", re.MULTILINE | re.DOTALL)


def section_of(heading, text):
    """The section under `## heading` in a RESULTS.md text, or None."""
    found = _pattern(heading).search(text)
    return found.group(0).rstrip("\n") if found else None


def write_section(heading, section, path=None):
    """Puts `section` (which starts with `## heading`) into RESULTS.md in place of the last
    one, keeping the rest of the file."""
    path = path or RESULTS
    text = path.read_text() if path.exists() else "# Benchmark results\n"
    pattern = _pattern(heading)
    if pattern.search(text):
        text = pattern.sub(lambda _: section + "\n", text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text.rstrip("\n") + "\n")
