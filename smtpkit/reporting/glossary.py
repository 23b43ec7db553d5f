"""Every finding code of a report explained inside it, from the catalogue, for a reader who has no smtpkit.

A code such as ``tls.cert.expired`` is what people search for and quote in a
ticket. The report's reader cannot run ``smtpkit findings CODE``, so the end of
the report carries the catalogue's own entry for each code it contains: the
title and the explanation as written once in ``smtpkit/knowledge/codes/``,
with the parts a check fills in shown as ‹placeholders› (the findings above
show them filled in), the severity and the reference.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from smtpkit.knowledge.catalogue import catalogue, placeholder
from smtpkit.model import Finding, Report, worst_severity
from smtpkit.render import Viewable
from smtpkit.render.html import (
    CSS,
    PANEL_CSS,
    PANEL_ROOT_CLASSES,
    STATUS_STYLE,
    badge,
    esc,
    prose_html,
    references_html,
)
from smtpkit.render.text import terminal_safe, wrap

__all__ = ["Entry", "Glossary", "generic", "glossary"]

_FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(?:[:!][^{}]*)?\}")

INTRO = (
    "Each finding in this report has a code. Here is what each code means, as smtpkit's catalogue explains it;"
    " words in ‹angle quotes› stand for what the check found, shown in full with the finding above."
)


# A placeholder that is a whole sentence on its own ("... using {cipher}. {verdict}"): the finding above says it.
_SENTENCE_FIELD = re.compile(r"(?:^|(?<=[.!?] ))\{[A-Za-z_][A-Za-z0-9_]*(?:[:!][^{}]*)?\}(?:\. |\.?$)")


def generic(template: str) -> str:
    """A catalogue template in words: ``{not_after}`` becomes ‹not after›, escaped braces stay braces.

    A placeholder that stands for a whole sentence (``{verdict}``, ``{meaning}``, ``{hint}``) is left
    out: "‹version› using ‹cipher›. ‹verdict›" reads as a form never filled in, and the finding the entry
    explains says that sentence in full.
    """
    text = template.replace("{{", "\x00").replace("}}", "\x01")
    text = _SENTENCE_FIELD.sub("", text).rstrip()
    text = _FIELD.sub(lambda m: placeholder(m.group(1)), text)
    return text.replace("\x00", "{").replace("\x01", "}")


@dataclass(frozen=True)
class Entry:
    """One code as the catalogue explains it, and how often the report has it."""

    code: str
    severity: str
    title: str
    explanation: str
    reference: str
    count: int = 1


@dataclass
class Glossary(Viewable):
    """The catalogue entries of the codes in a report, in the order they first appear."""

    entries: list[Entry] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.entries)

    def codes(self) -> list[str]:
        return [e.code for e in self.entries]

    def to_html(self) -> str:
        """The entries as finding-like blocks (the title of the report's section is the notebook's heading)."""
        out = [CSS, PANEL_CSS, f'<div class="{PANEL_ROOT_CLASSES} smtpkit-glossary">']
        if not self.entries:
            out.append("<p>This report has no finding codes.</p></div>")
            return "".join(out)
        out.append(f'<p class="smtpkit-lesson">{esc(INTRO)}</p>')
        for e in self.entries:
            colour = STATUS_STYLE.get(e.severity, ("#d0d7de", ""))[0]
            ref = f'<div class="smtpkit-decoded">Reference: {references_html(e.reference)}</div>' if e.reference else ""
            out.append(
                f'<div class="finding" id="code-{esc(e.code)}" style="border-left-color:{colour}">'
                f"<div>{badge(e.severity)} <code>{esc(e.code)}</code> — <strong>{esc(e.title)}</strong></div>"
                f"<div>{prose_html(e.explanation)}</div>{ref}</div>"
            )
        out.append("</div>")
        return "".join(out)

    def to_text(self) -> str:
        out = ["What the finding codes mean"]
        for e in self.entries:
            out.append(f"\n{e.code} [{e.severity.upper()}]: {e.title}")
            out.append(wrap(e.explanation, "  ", 100))
            if e.reference:
                out.append(f"  Reference: {e.reference}")
        return terminal_safe("\n".join(out))


def glossary(reports: Iterable[Report | None]) -> Glossary:
    """The catalogue entry of every code in `reports` (a code the catalogue lacks is named with its title)."""
    cat = catalogue()
    by_code: dict[str, list[Finding]] = {}  # in the order the codes first appear
    for report in reports:
        for f in report.findings if report is not None else ():
            by_code.setdefault(f.code, []).append(f)
    entries = []
    for code, found in by_code.items():
        # the severity the report gave it, the worst of its findings (a misaligned SPF where DKIM can still carry
        # DMARC warns): the catalogue's FAIL under a report that said WARN read as something broken
        worst = (worst_severity(found) or found[0].severity).value
        spec, first = cat.get(code), found[0]
        if spec is None:
            entries.append(Entry(code, worst, first.title, first.explanation, first.reference, len(found)))
        else:
            title, explanation = generic(spec.title), generic(spec.explanation)
            entries.append(Entry(code, worst, title, explanation, spec.reference, len(found)))
    return Glossary(entries)
