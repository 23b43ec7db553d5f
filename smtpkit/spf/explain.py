"""A record read back in plain words, term by term. Pure (no DNS).

People paste SPF records from guides without knowing what `~all` or
`include:` mean. The reading turns `v=spf1 mx a ip4:192.168.1.1
include:thirdparty.com -all` into "your domain's MX servers, your domain's A
record, the address 192.168.1.1, any server authorised by thirdparty.com, and
strictly fail everyone else", and names the provider behind common includes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from smtpkit.render import Viewable
from smtpkit.spf.macros import LETTER_MEANING, Macro, MacroSyntaxError, tokenize
from smtpkit.spf.parser import Term, parse_record

if TYPE_CHECKING:
    from smtpkit.render.panel import Panel

# Includes people meet every day, and who is behind them. Suffix matches count
# too (u123.wl.sendgrid.net is SendGrid), so keys are registrable names.
KNOWN_INCLUDES: dict[str, str] = {
    "_spf.google.com": "Google Workspace / Gmail",
    "spf.protection.outlook.com": "Microsoft 365 / Exchange Online",
    "spf.protection.office365.us": "Microsoft 365 GCC High",
    "amazonses.com": "Amazon SES",
    "sendgrid.net": "SendGrid (Twilio)",
    "mailgun.org": "Mailgun",
    "eu.mailgun.org": "Mailgun (EU region)",
    "_spf.mx.cloudflare.net": "Cloudflare Email Routing",
    "servers.mcsv.net": "Mailchimp",
    "spf.mandrillapp.com": "Mailchimp Transactional (Mandrill)",
    "_spf.salesforce.com": "Salesforce",
    "mail.zendesk.com": "Zendesk",
    "spf.mailjet.com": "Mailjet",
    "spf.sendinblue.com": "Brevo (Sendinblue)",
    "spf.brevo.com": "Brevo",
    "mktomail.com": "Adobe Marketo",
    "_spf.createsend.com": "Campaign Monitor",
    "spf.mtasv.net": "Postmark",
    "zoho.com": "Zoho Mail",
    "zoho.eu": "Zoho Mail (EU)",
    "zohomail.com": "Zoho Mail",
    "_spf.protonmail.ch": "Proton Mail",
    "spf.messagingengine.com": "Fastmail",
    "hubspotemail.net": "HubSpot",
    "secureserver.net": "GoDaddy email",
    "helpscoutemail.com": "Help Scout",
    "spf.emailsrvr.com": "Rackspace Email",
    "_spf.mlsend.com": "MailerLite",
    "sparkpostmail.com": "SparkPost",
    "_spf.elasticemail.com": "Elastic Email",
    "spf.smtp2go.com": "SMTP2GO",
    "relay.mailchannels.net": "MailChannels",
    "_spf.yandex.net": "Yandex 360",
    "spf.mail.yahoo.com": "Yahoo Mail",
    "_spf.qq.com": "Tencent QQ Mail",
    "mailsenders.netsuite.com": "Oracle NetSuite",
    "spf.freshemail.io": "Freshworks",
    "_spf.intermedia.net": "Intermedia",
}

QUALIFIER_WORDS = {
    "+": "pass (authorised)",
    "-": "fail (reject)",
    "~": "softfail (accept but mark as suspicious)",
    "?": "neutral (no statement)",
}

_ALL_READING = {
    "-": "strictly fail everyone else",
    "~": "softfail everyone else (receivers accept the mail but treat it as suspicious)",
    "?": "make no statement about everyone else (neutral: as if there were no SPF)",
    "+": "allow everyone else: any server on the internet may send as this domain",
}

_QUALIFIED_PREFIX = {
    "-": "reject mail from ",
    "~": "mark as suspicious mail from ",
    "?": "make no statement about ",
}


def provider_of(domain: str) -> str | None:
    """The service behind an include target, by exact or suffix match."""
    d = domain.lower().rstrip(".")
    for key, name in KNOWN_INCLUDES.items():
        if d == key or d.endswith("." + key):
            return name
    return None


@dataclass
class TermReading:
    term: str
    kind: str
    qualifier: str
    reading: str
    lookups: int
    provider: str | None = None
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "term": self.term,
            "qualifier": self.qualifier,
            "reading": self.reading,
            "lookups": self.lookups,
            "provider": self.provider or "",
            "note": self.note,
        }


@dataclass
class Reading(Viewable):
    """The plain-language reading: one row per term and a summary sentence."""

    record: str
    domain: str
    rows: list[TermReading] = field(default_factory=list)
    summary: str = ""
    errors: list[str] = field(default_factory=list)

    def to_rows(self) -> list[dict[str, Any]]:
        return [r.to_dict() for r in self.rows]

    def to_frame(self):  # type: ignore[no-untyped-def]
        import pandas as pd

        return pd.DataFrame(self.to_rows(), columns=["term", "qualifier", "reading", "lookups", "provider", "note"])

    def panel(self) -> Panel:
        """The summary sentence, the term-by-term table and any problems (its two views)."""
        from smtpkit.render.panel import Panel

        panel = Panel("This SPF record in plain words", [("Summary", self.summary), ("Term by term", self.to_rows())])
        if self.errors:
            panel.status = "fail"
            panel.add("Problems", "\n\n".join(self.errors))
        return panel

    def to_html(self) -> str:
        return self.panel().to_html()

    def to_text(self) -> str:
        return self.panel().to_text()


def _macro_note(spec: str | None) -> str:
    if not spec or "%" not in spec:
        return ""
    try:
        tokens = tokenize(spec)
    except MacroSyntaxError as exc:
        return f"malformed macro: {exc.message}"
    parts = []
    seen: set[str] = set()
    for tok in tokens:
        if isinstance(tok, Macro) and tok.source not in seen:
            seen.add(tok.source)
            extra = []
            if tok.reverse:
                extra.append("reversed")
            if tok.digits:
                extra.append(f"last {tok.digits} parts")
            if tok.upper:
                extra.append("URL-escaped")
            suffix = f" ({', '.join(extra)})" if extra else ""
            parts.append(f"{tok.source} is {LETTER_MEANING[tok.letter]}{suffix}")
    return "; ".join(parts) + "; the name is filled in for each message"


def _cidr_words(term: Term) -> str:
    bits = []
    if term.cidr4 is not None:
        bits.append(f"IPv4 /{term.cidr4} network")
    if term.cidr6 is not None:
        bits.append(f"IPv6 /{term.cidr6} network")
    return f" (and the whole {' and '.join(bits)} around each address)" if bits else ""


def _network_words(term: Term) -> str:
    net = term.network
    assert net is not None
    if net.prefixlen == net.max_prefixlen:
        return f"the address {net.network_address}"
    if net.prefixlen == 0:
        return f"every IPv{net.version} address ({net}) — that authorises the whole internet"
    return f"the {net.num_addresses:,} addresses {net}"


def read_term(term: Term, domain: str | None) -> TermReading:
    own = "your domain's"
    target = term.domain_spec
    lookups = 1 if term.counts_lookup else 0
    provider = None
    note = _macro_note(target)
    if term.kind == "modifier":
        if term.name == "redirect":
            provider = provider_of(target or "")
            who = f"{target}" + (f" ({provider})" if provider else "")
            reading = f"if nothing before matched, use the SPF record of {who} instead"
        elif term.name == "exp":
            reading = f"when mail fails, receivers may quote the text published in the TXT record of {target}"
        else:
            reading = f"an unknown modifier '{term.name}': receivers ignore it"
        return TermReading(term.text, "modifier", "", reading, lookups, provider, note)
    name = term.name
    if name == "all":
        reading = _ALL_READING[term.qualifier]
        return TermReading(term.text, "mechanism", QUALIFIER_WORDS[term.qualifier], reading, 0)
    if name == "include":
        provider = provider_of(target or "")
        reading = f"any server authorised by {target}" + (f" ({provider})" if provider else "")
    elif name == "a":
        if target is None:
            reading = f"{own} A record" if term.cidr4 is None and term.cidr6 is None else f"{own} A/AAAA addresses"
        else:
            reading = f"the address(es) of {target}"
        reading += _cidr_words(term)
    elif name == "mx":
        reading = f"{own} MX servers" if target is None else f"the MX servers of {target}"
        reading += _cidr_words(term)
    elif name == "ptr":
        where = "your domain" if target is None else target
        reading = f"any server whose confirmed reverse-DNS name ends in {where}"
        note = (
            note + "; " if note else ""
        ) + "ptr is deprecated (RFC 7208 §5.5): slow, unreliable, and some receivers ignore it"
    elif name in ("ip4", "ip6"):
        reading = _network_words(term)
    elif name == "exists":
        reading = f"any client for which the DNS name {target} exists"
    else:  # pragma: no cover
        reading = term.text
    if term.qualifier in _QUALIFIED_PREFIX:
        reading = _QUALIFIED_PREFIX[term.qualifier] + reading
    return TermReading(term.text, "mechanism", QUALIFIER_WORDS[term.qualifier], reading, lookups, provider, note)


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + ", and " + items[-1]


def explain_record(record: str, domain: str | None = None) -> Reading:
    """Read an SPF record in plain words: one row per term and a summary.

    >>> explain_record("v=spf1 mx a ip4:192.168.1.1 include:thirdparty.com -all", domain="example.com").summary
    ... # doctest: +NORMALIZE_WHITESPACE
    "Allow your domain's MX servers, your domain's A record, the address 192.168.1.1, any server authorised
    by thirdparty.com, and strictly fail everyone else."
    """
    parsed = parse_record(record)
    reading = Reading(record=record, domain=domain or "")
    for problem in parsed.errors:
        reading.errors.append(f"'{problem.term}': {problem.message}")
    terms = list(parsed.terms)
    rows = [read_term(t, domain) for t in terms]
    reading.rows = rows
    if not parsed.version_ok:
        reading.summary = "This is not an SPF record: it does not start with 'v=spf1'."
        return reading
    allowed: list[str] = []
    tail: list[str] = []
    after_all = False
    all_reading = ""
    for term, row in zip(terms, rows, strict=True):
        if term.kind == "modifier":
            continue
        if after_all:
            continue
        if term.name == "all":
            all_reading = row.reading
            after_all = True
        elif term.qualifier == "+":
            allowed.append(row.reading)
        else:
            tail.append(row.reading)
    parts = allowed + tail
    sentences: list[str] = []
    if parts and all_reading:
        sentences.append("Allow " + _join(parts + [all_reading]) + ".")
    elif parts:
        sentences.append("Allow " + _join(parts) + ".")
    elif all_reading:
        sentences.append(all_reading[0].upper() + all_reading[1:].replace(" else", "") + ".")
    redirect = parsed.redirect
    if redirect is not None and not all_reading and not parts:
        sentences.append(f"The SPF record of {redirect.domain_spec} decides for this domain (redirect).")
    elif redirect is not None and not all_reading:
        sentences.append(f"If none of that matches, the SPF record of {redirect.domain_spec} decides.")
    elif redirect is not None:
        sentences.append(f"The redirect to {redirect.domain_spec} is never used, because 'all' always matches first.")
    elif not all_reading:
        sentences.append(
            "Everyone else gets neutral (no statement), because the record has no 'all' term and no redirect."
        )
    ignored = [t.text for t in terms if t.kind == "mechanism"][len(allowed) + len(tail) + (1 if all_reading else 0) :]
    if ignored:
        sentences.append(f"Terms after 'all' are never reached: {' '.join(ignored)}.")
    cost = sum(r.lookups for r in rows)
    if cost:
        sentences.append(
            f"This record itself uses {cost} of the 10 DNS lookups a receiver allows"
            + (
                " (each include adds the lookups of the record it names)."
                if any(t.name in ("include",) or (t.kind == "modifier" and t.name == "redirect") for t in terms)
                else "."
            )
        )
    if reading.errors:
        sentences.append(
            "It has syntax errors, so receivers ignore it entirely (permerror): " + "; ".join(reading.errors) + "."
        )
    reading.summary = " ".join(sentences)
    return reading
