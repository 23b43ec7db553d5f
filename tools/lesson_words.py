#!/usr/bin/env python3
"""Write `smtpkit/lab/data/lesson_words.json`: the words each lab domain's findings will say, for its hint.

    python tools/lesson_words.py            # start the lab, check every lab domain, write the file
    python tools/lesson_words.py --check    # exit 1 if the file is not what the lab says now

A lab domain's hint says what its result will show before it is run, by the
findings' catalogue titles ("“'‹term›' lets the whole internet send as
spf-plus-all.test”"). What only a result knows read as ‹placeholders›, and
the result then said "'+all'": the two did not match word for word. The lab's
zones are fixed, so these words are known: this tool runs every lab domain's
check against the lab, as its form does, reads each expected finding's words
back out of its title (the catalogue template matched against it), and keeps
those that do not change from one lab to the next (not the lab's ports; not
the words in which two findings of one code differ, such as dmarc-badvalue's
two tags), nor those the form fills in itself when it writes the hint (the
domain, the sending IP, a lone DKIM selector, the MX port).
The file holds, by lab domain and finding code, each template field's words
(`smtpkit.lab.lessons.hint_words` reads it). tests/lab/test_lessons.py checks
it against a real run of every lab domain: when a zone changes, that test
fails and says to run this tool.
"""

from __future__ import annotations

import argparse
import json
import re
import string
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from smtpkit.lab import LabInfo

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "smtpkit" / "lab" / "data" / "lesson_words.json"


def words_in(template: str, title: str) -> dict[str, str] | None:
    """The template's fields as `title` fills them, or None when the title is not the template's."""
    pattern, names = "", []
    for literal, name, _spec, _conversion in string.Formatter().parse(template):
        pattern += re.escape(literal)
        if name is None:
            continue
        if name in names:
            pattern += f"(?P={name})"
        else:
            pattern += f"(?P<{name}>.+?)"
            names.append(name)
    m = re.fullmatch(pattern, title, flags=re.DOTALL)
    if m is None:
        return None
    found = m.groupdict()
    return found if template.format(**found) == title else None


def collect() -> dict[str, dict[str, dict[str, str]]]:
    """Every lab domain's expected findings' words, from a run against a lab started here."""
    from smtpkit.checks.domain import check_domain
    from smtpkit.knowledge.catalogue import catalogue
    from smtpkit.lab import Lab
    from smtpkit.lab.lessons import domain_lesson, form_words
    from smtpkit.ui.lab import lab_domain_settings, lab_zones

    specs = catalogue()
    lab = Lab()
    info = lab.start()
    try:
        ports = {str(p) for p in _ports(info)}
        out: dict[str, dict[str, dict[str, str]]] = {}
        for zone in lab_zones(info):
            lesson = domain_lesson(info, zone)
            if not lesson.expect:
                continue
            query = lab_domain_settings(info, zone, timeout=15)
            report = check_domain(query)
            own = form_words(query)  # what the form fills in itself
            words: dict[str, dict[str, str]] = {}
            for code in lesson.expect:
                spec = specs.get(code)
                if spec is None:
                    continue
                seen = [words_in(spec.title, f.title) for f in report.findings if f.code == code]
                found = [w for w in seen if w is not None]
                if not found:
                    continue
                kept = {
                    name: value
                    for name, value in found[0].items()
                    if all(w.get(name) == value for w in found[1:])
                    and name not in own
                    and not any(p in value for p in ports)
                }
                if kept:
                    words[code] = dict(sorted(kept.items()))
            if words:
                out[zone] = dict(sorted(words.items()))
        return dict(sorted(out.items()))
    finally:
        lab.stop()


def _ports(info: LabInfo) -> list[int]:
    """Every port the lab listens on (they change from one lab to the next, so no word may hold one)."""
    ports = [ep.port for ep in info.smtp]
    if info.dns is not None:
        ports.append(info.dns.port)
    if info.mta_sts_port:
        ports.append(info.mta_sts_port)
    return ports


def render(words: dict[str, dict[str, dict[str, str]]]) -> str:
    return json.dumps(words, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the file differs from what the lab says")
    args = parser.parse_args()
    text = render(collect())
    if args.check:
        same = DATA.exists() and DATA.read_text(encoding="utf-8") == text
        print(f"{DATA.relative_to(ROOT)} is {'up to date' if same else 'stale: run python tools/lesson_words.py'}")
        return 0 if same else 1
    DATA.parent.mkdir(exist_ok=True)
    DATA.write_text(text, encoding="utf-8")
    print(f"wrote {DATA.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
