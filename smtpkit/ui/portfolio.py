"""`PortfolioForm`: your own domains pasted into notebook 10 and audited with Run, as the other forms work.

Why a form: the notebook had a bare text box and a cell to run under it. In the no-code app (Voilà), where no
cell can be run again, that box did nothing, so a person who does not write code could audit only the lab's
portfolio. With Run (and Enter in a field, Cancel, the time limit line, inline messages on a bad DNS server)
the pasted list is audited in JupyterLab and in the app alike, and the result is the portfolio's own summary
and sortable table (`smtpkit.audit.views.PastedAudit`).

Practice-lab domains (``spf-plus-all.test``, a generated ``dmarc-none--p000042.test``) exist only in the lab's
DNS: pasted with no DNS server typed, they are asked of the lab, with its selectors and ports, and the result
says "Practice lab". Your own domains go to the DNS server you type, or this computer's. A paste mixing both
is refused with the names of each kind, never checked half through the wrong resolver.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

import ipywidgets as widgets

from smtpkit.errors import InvalidSettings
from smtpkit.ui.fields import hint_html, refuse_empty, text_area, text_field
from smtpkit.ui.lab import is_lab_domain, lab_zones
from smtpkit.ui.modes import LAB, OWN, Banner, describe_dns
from smtpkit.ui.runner import BaseForm, FormBox

__all__ = ["MAX_PASTED", "PortfolioForm"]

#: The most lines a paste may hold: more is a file's job (`domains_file`, `smtpkit audit FILE`), with its
#: Parquet output, resume and progress bar.
MAX_PASTED = 10_000


def _words(text: str) -> tuple[str, ...]:
    """Values typed in one field, separated by spaces, commas or semicolons."""
    return tuple(w for w in re.split(r"[\s,;]+", text.strip()) if w)


def _same_dns(typed: Sequence[str], lab: Sequence[str]) -> bool:
    """No DNS server typed, or the lab's own: the lab's domains then get the lab's selectors and ports too (its
    server typed by hand had given them the common selectors, and a lower grade, than the empty field)."""
    if not typed:
        return True
    from smtpkit.settings import validate_nameserver

    try:
        return [validate_nameserver(n) for n in typed] == [validate_nameserver(n) for n in lab]
    except ValueError:
        return False  # not a DNS server at all: AuditConfig names the field


class PortfolioForm(BaseForm):
    """Domains pasted one a line, DKIM selectors and DNS servers: Run audits them (`smtpkit.audit`)."""

    title = "Your domains"

    def __init__(
        self,
        *,
        lab: Any = None,
        domains: str = "",
        selectors: Sequence[str] | None = None,
        nameservers: Sequence[str] | str | None = None,
        query_limit: int | None = None,
    ) -> None:
        super().__init__(self._audit)
        self.lab = lab
        self.query_limit = query_limit
        self.domains = text_area(
            "Domains",
            value=domains,
            placeholder="example.com\nexample.org\n(one a line; a column copied from a spreadsheet works)",
        )
        listed = [nameservers] if isinstance(nameservers, str) else list(nameservers or ())
        self.selectors = text_field(
            "DKIM selectors", value=" ".join(selectors or ()), placeholder="optional, e.g. google selector1"
        )
        self.nameservers = text_field(
            "DNS server", value=" ".join(listed), placeholder="optional: this computer's resolvers"
        )
        f = self.fields
        self.box = FormBox(
            [
                self.css,
                widgets.HTML(
                    hint_html(
                        "Each domain's MX, SPF, DKIM and DMARC are looked up through the DNS server you give (or"
                        " this computer's); nothing else is sent anywhere."
                    ),
                    layout=widgets.Layout(),
                ),
                f.add("domains", self.domains, label="Domains"),
                f.add("selectors", self.selectors, label="DKIM selectors"),
                f.add("nameservers", self.nameservers, label="DNS server", aliases=("nameserver",)),
                *self._controls(),
            ],
            label="portfolio form",
        )

    def settings(self) -> dict[str, Any]:
        from smtpkit.settings.audit import AuditConfig

        text = refuse_empty("domains", self.domains.value, "Nothing pasted: paste your domains, one a line.")
        lines = [line for line in text.splitlines() if line.strip()]
        if len(lines) > MAX_PASTED:
            raise InvalidSettings(
                f"{len(lines):,} lines pasted; at most {MAX_PASTED:,} here: for more, put them in a file and set"
                " domains_file in the parameters cell (or run smtpkit audit FILE)",
                field="domains",
            )
        chosen: dict[str, Any] = {
            "selectors": _words(self.selectors.value),
            "nameservers": _words(self.nameservers.value),
        }
        lab: dict[str, Any] | None = None
        if self.lab is not None:
            from smtpkit.lab.portfolio import audit_options

            lab = audit_options(self.lab)  # the lab's DNS server, its selectors, CA and ports
        in_lab = lab is not None and _same_dns(chosen["nameservers"], lab["nameservers"]) and self._in_lab(lines)
        if in_lab and lab is not None:
            chosen = {**lab, "selectors": chosen["selectors"] or lab["selectors"]}
        if self.query_limit is not None:
            chosen["query_limit"] = self.query_limit
        config = AuditConfig(**chosen)  # refuses a bad DNS server, naming its field
        return {"text": text, "domains": len(lines), "config": config, "in_lab": in_lab}

    def _in_lab(self, lines: list[str]) -> bool:
        """Every pasted name is the practice lab's (True), none is (False); both: refused, with examples."""
        if self.lab is None:
            return False
        from smtpkit.lab.portfolio import template_of
        from smtpkit.settings import validate_domain

        zones = lab_zones(self.lab)
        names = []
        for line in lines:
            try:
                names.append(validate_domain(line))
            except ValueError:
                continue  # a comment, or not a domain at all: its row says so, in either mode
        ours = [n for n in names if is_lab_domain(n, zones) or template_of(n) is not None]
        if ours and len(ours) < len(names):
            others = [n for n in names if n not in ours]
            raise InvalidSettings(
                f"practice-lab domains ({', '.join(ours[:2])}) and others ({', '.join(others[:2])}) in one paste:"
                " the lab's exist only in its DNS, so audit them apart (or type a DNS server for all of them)",
                field="domains",
            )
        return bool(ours)

    def _audit(self, s: dict[str, Any]) -> Any:
        from smtpkit.audit.views import audit_pasted

        return audit_pasted(s["text"], config=s["config"])

    def _limit(self, settings: dict[str, Any]) -> float | None:
        config = settings["config"]
        return float(config.deadline * math.ceil(settings["domains"] / config.concurrency))

    def _banner(self, settings: dict[str, Any], result: Any) -> Banner:
        from smtpkit.dkim.selectors import COMMON_SELECTORS

        config = settings["config"]
        selectors = ", ".join(config.selectors) if config.selectors else f"the {len(COMMON_SELECTORS)} common ones"
        lines = (("DNS", describe_dns(config.nameservers, self.lab)), ("DKIM selectors", selectors))
        if settings["in_lab"]:
            return Banner(LAB, "the practice lab's domains you pasted", lines)
        return Banner(OWN, "the domains you pasted", lines)

    def _describe(self, settings: dict[str, Any]) -> str:
        n = settings["domains"]
        return f"{self.title}: {n} domain{'s' if n != 1 else ''}"
