"""How a client must talk to each lab server or ask about each lab domain for its lesson to show.

A lab scenario teaches one failure, but only to a client that does what
triggers it: the relay-denied server refuses only a recipient outside its own
domain, the size limit and the SES/SendGrid/Send-As refusals come after the
message itself (a real send, not a dry run), the PTR-mismatch domain is wrong
only for the address 127.0.2.2, and an inbound MX expects no login at all.
A form filled with one default for every scenario showed ✔ PASS for those, and
taught nothing. So each scenario's setup is data here, next to why it is
needed, and `smtpkit.ui.lab` applies it when a form picks the scenario; a
result that still misses the lesson (because the person changed a setting)
says why (`missed`).

The expected finding codes come from the lab itself: `SmtpEndpoint.expect`
for servers, and for domains the catalogue codes named in the zone's own
description (each zone module's ``ZONES``).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from smtpkit.lab.zones.dnsbl import LAB_LISTS, LIST_ZONE, LISTED_IP
from smtpkit.lab.zones.mx import PTR_MISMATCH_IP, PTR_NOFORWARD_IP

if TYPE_CHECKING:
    from smtpkit.settings.domain import DomainQuery

__all__ = [
    "GOOD_LISTS",
    "Lesson",
    "domain_lesson",
    "expected",
    "form_words",
    "hint_words",
    "lesson_line",
    "missed",
    "server_lesson",
    "without_codes",
    "zone_descriptions",
]


@dataclass(frozen=True)
class Lesson:
    """One scenario's lesson: the finding codes it teaches, the settings that show them, and why.

    `settings` are `Target` fields for a server (``rcpt_to``, ``send``,
    ``username``) or `DomainQuery` fields for a domain (``ip``, ``mail_from``,
    ``probe_mx``, or ``domain`` when the lesson is on a name under the lab
    domain); a value of None means "leave this out" (no login for an MX).
    """

    name: str
    expect: tuple[str, ...] = ()
    settings: Mapping[str, Any] = field(default_factory=dict)
    why: str = ""
    description: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "settings", MappingProxyType(dict(self.settings)))


_OUTSIDE = "friend@example.org"
#: The practice blocklist that works; the deliberately broken ones (`LAB_LISTS`) are dnsbl.test's own lesson.
GOOD_LISTS = (LIST_ZONE,)

# scenario -> (settings, why); scenarios not listed need nothing beyond the form's defaults
_SERVER: dict[str, tuple[dict[str, Any], str]] = {
    "relay_denied": (
        {"rcpt_to": (_OUTSIDE,)},
        f"the recipient is {_OUTSIDE}, outside smtpkit.test, the only domain this server relays for; "
        "a recipient inside it is accepted, which is why a relay problem often shows only for outside addresses",
    ),
    "too_large": (
        {"send": True},
        "a real test send: the size limit bites on the message itself, which a dry run (MAIL, RCPT, RSET) never sends",
    ),
    "o365_send_as_denied": (
        {"send": True},
        "a real test send: Microsoft 365 refuses a From it may not send as only after the message, never at MAIL FROM",
    ),
    "ses_unverified_sender": (
        {"send": True},
        "a real test send: Amazon SES checks the verified identities after the message, so a dry run passes",
    ),
    "sendgrid_sender_identity": (
        {"send": True},
        "a real test send: SendGrid checks the Sender Identity after the message, so a dry run passes",
    ),
    "gmail_likely_spam": (
        {"send": True},
        "a real test send: Gmail judges a message as spam only after reading it, so a dry run passes",
    ),
    "gmail_missing_message_id": (
        {"send": True},
        "a real test send: the headers Gmail refuses are in the message itself, which a dry run never sends",
    ),
    "queue_expired": (
        {"send": True},
        "a real test send: this relay fails only at the end of the message, after a dry run would have stopped",
    ),
}
_NO_LOGIN_WHY = "an MX takes mail for its own domain from anyone, without a login, so no AUTH is tried or expected"

# domain -> (settings, why)
_DOMAIN: dict[str, tuple[dict[str, Any], str]] = {
    "ptr-mismatch.test": (
        {"ip": PTR_MISMATCH_IP},
        f"the sending IP is {PTR_MISMATCH_IP}, whose PTR names a host that points elsewhere",
    ),
    "ptr-noforward.test": (
        {"ip": PTR_NOFORWARD_IP},
        f"the sending IP is {PTR_NOFORWARD_IP}, whose PTR names a host without an address",
    ),
    "dmarc-strict.test": (
        {"mail_from": "bounce@mail.dmarc-strict.test"},
        "the MAIL FROM is bounce@mail.dmarc-strict.test, a subdomain that strict SPF alignment (aspf=s) refuses",
    ),
    "dmarc-sp-none.test": (
        {"domain": "news.dmarc-sp-none.test"},
        "the subdomain news.dmarc-sp-none.test, which inherits the parent's sp=none",
    ),
    "dmarc-np.test": (
        {"domain": "ghost.dmarc-np.test"},
        "ghost.dmarc-np.test, a subdomain that does not exist (so the result first says that it does not exist in "
        "DNS: that is the point), which gets the parent's np=none",
    ),
    "parked.test": ({"ip": None}, "no sending IP: a parked domain sends no mail, so no address is checked"),
    "dnsbl.test": (
        {"ip": LISTED_IP, "dnsbl_lists": LAB_LISTS},
        f"the sending IP is {LISTED_IP}, the address the practice blocklist lists, asked of every practice list "
        "(each of the others is broken in its own way)",
    ),
}
_PROBE_MX_WHY = "every MX is probed over STARTTLS, since what is wrong is on the MX's TLS, not in DNS"
_PROBE_MX = ("mxtls-", "dane-", "sts-mxcert.")


@cache
def zone_descriptions() -> Mapping[str, str]:
    """Every lab domain -> what it demonstrates (the zone modules' ``ZONES`` and the DANE zones)."""
    from smtpkit.lab import dane
    from smtpkit.lab.zones import discover_zone_modules

    out: dict[str, str] = {}
    for name in discover_zone_modules():
        out.update(getattr(importlib.import_module(name), "ZONES", {}) or {})
    out.update(dane.ZONES)
    return MappingProxyType(out)


def _codes_in(text: str) -> tuple[str, ...]:
    """The catalogue codes a description names, in the order it names them."""
    from smtpkit.knowledge.catalogue import catalogue

    found = [(text.find(code), code) for code in catalogue() if code in text]
    # a code that is part of a longer one named there (mx.tls vs mx.tls.unreachable) is not meant
    codes = [c for _i, c in sorted(found) if not any(o != c and o.startswith(c + ".") for _j, o in found)]
    return tuple(dict.fromkeys(codes))


def without_codes(text: str, codes: Iterable[str] | None = None) -> str:
    """`text` (a zone's description) without the finding codes it names, `codes` or every one it names, with
    an aside of severity after one ("512-bit DKIM key (selector default): dkim.key_too_short (fail)"). A hint
    names each code once, with its title; a menu line had no room for them."""
    for code in _codes_in(text) if codes is None else codes:
        text = re.sub(rf"[,:]?\s*\(?{re.escape(code)}\b\)?(\s*\((?:fail|warning|warn|info)\))?", "", text)
    return text


def server_lesson(lab: Any, name: str) -> Lesson:
    """The lesson of lab endpoint `name`: its expected finding and the client settings that show it."""
    from smtpkit.lab.scenarios import scenario_named

    ep = lab.endpoint(name)
    settings, why = _SERVER.get(name, ({}, ""))
    scenario = scenario_named(name)
    if scenario is not None and scenario.auth == "none":
        settings = {**settings, "username": None, "password": None}
        why = why or _NO_LOGIN_WHY
    return Lesson(name, (ep.expect,) if ep.expect else (), settings, why, ep.description)


def domain_lesson(lab: Any, domain: str) -> Lesson:
    """The lesson of lab domain `domain` (empty for a domain the lab does not serve)."""
    name = domain.strip().rstrip(".").lower()
    description = zone_descriptions().get(name, "")
    settings, why = _DOMAIN.get(name, ({}, ""))
    if name.startswith(_PROBE_MX):
        settings = {**settings, "probe_mx": True}
        why = why or _PROBE_MX_WHY
    if name == getattr(lab, "domain", None):
        settings = {"selectors": ("lab",), **settings}
    return Lesson(name, _codes_in(description), settings, why, description)


def lesson_line(lesson: Lesson, result: Any, joiner: str, healthy: str) -> str:
    """A result banner's "Lesson" line: each finding the lesson teaches by its title in `result` and its code
    ("“sts-nocover.test's MTA-STS policy does not cover mx2…” (mta_sts.mx_not_covered)"), a code the result
    lacks by its code alone (the banner's note says why: `missed`), `healthy` for a lesson with none. The
    line used to hold the codes alone, which mean nothing to someone meeting them for the first time."""
    if not lesson.expect:
        return healthy
    titles: dict[str, str] = {}
    for f in getattr(result, "findings", None) or ():
        titles.setdefault(f.code, f.title)
    return joiner.join(f"“{titles[c]}” ({c})" if c in titles else f"{c} (not in this result)" for c in lesson.expect)


class _Unknown(dict):  # type: ignore[type-arg]
    """A title's parameters before any result exists: the ones known, a named ‹placeholder› for the rest
    ("“… … is not aligned with From domain …”" told nothing)."""

    def __missing__(self, key: str) -> str:
        from smtpkit.knowledge.catalogue import placeholder

        return placeholder(key)


def expected(codes: Iterable[str], joiner: str = " and ", words: Mapping[str, Mapping[str, str]] | None = None) -> str:
    """The findings a lesson teaches, before it is run: each by its catalogue title and its code
    ("“'+all' lets the whole internet send as spf-plus-all.test” (spf.plus_all)"). A hint that named the code
    alone meant nothing to someone meeting it for the first time. A title's fields are filled from `words`,
    by code (`hint_words` for a lab domain, `server_words` for a lab server); any other reads ‹as named›."""
    from smtpkit.knowledge.catalogue import catalogue

    specs = catalogue()
    out = []
    for code in codes:
        spec = specs.get(code)
        fields = _Unknown((words or {}).get(code, {}))
        title = spec.title.format_map(fields) if spec is not None else ""
        out.append(f"“{title}” ({code})" if title else code)
    return joiner.join(out)


@cache
def _lesson_words() -> dict[str, dict[str, dict[str, str]]]:
    import json
    from importlib import resources

    text = resources.files("smtpkit.lab").joinpath("data/lesson_words.json").read_text(encoding="utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


def hint_words(lesson: Lesson, query: DomainQuery) -> dict[str, dict[str, str]]:
    """By expected code, the words a lab domain's finding will say, for its hint before it is run: the lab's
    (``data/lesson_words.json``, written by ``tools/lesson_words.py`` from a run of every lab domain) and the
    form's own (`form_words`). The hint named them ‹term›, ‹count›, and the result then said '+all', 2: the two
    did not match word for word."""
    own = form_words(query)
    stored = _lesson_words().get(lesson.name, {})
    return {code: {**stored.get(code, {}), **own} for code in lesson.expect}


def server_words(lab: Any, name: str, *, timeout: float | None, peer_ip: str = "127.0.0.1") -> dict[str, str]:
    """The words lab server `name`'s finding will say, for its hint before it is run: the reply it sends
    (its template filled as the server fills it), its certificate's dates (read from the certificate the lab
    issued, with the same code as the check), the TLS version it speaks, and the wait a silent server costs
    (`timeout`, the form's). The hint read “The server's certificate expired on ‹not after› (‹days ago› days
    ago)” where the result then gave the date. A word that cannot be known here is left out (‹as named›)."""
    import datetime as _dt

    from smtpkit.checks.session.state import seconds
    from smtpkit.checks.tls import cert_params, pretty_version
    from smtpkit.knowledge.certs import parse_pem
    from smtpkit.lab.ca import chain_file_of
    from smtpkit.lab.scenarios import scenario_named

    ep = lab.endpoint(name)
    scenario = scenario_named(name)
    words: dict[str, str] = {}
    if scenario is None or not ep.expect:
        return words
    template = scenario.replies.get(scenario.lesson_reply or "")
    if template:
        try:
            words["reply"] = template.format(hostname=scenario.hostname, peer_ip=peer_ip)
        except (KeyError, IndexError, ValueError):
            pass  # a field only a session knows: the hint names it
    if ep.expect.startswith("tls.cert.") and scenario.cert != "good":
        try:
            text = chain_file_of(lab.ca_file, scenario.cert).read_bytes()
            certs = parse_pem(text)
        except (OSError, ValueError):
            certs = []
        if certs:
            params = cert_params(certs[0], ep.hostname, _dt.datetime.now(_dt.UTC))
            words.update({k: str(v) for k, v in params.items() if v is not None})
    if ep.expect == "tls.protocol_outdated" and scenario.tls_versions:
        words["version"] = pretty_version(scenario.tls_versions[-1])  # the best it speaks, as a permissive client finds
    if ep.expect == "banner.timeout" and timeout is not None:
        words["waited"] = seconds(timeout)
    return words


def form_words(query: DomainQuery) -> dict[str, str]:
    """The words of a domain check's findings that its settings already say: the domain checked, the sending
    IP, the DKIM selector when there is one, the MX port when MX hosts are connected to."""
    own = {"domain": query.domain}
    if query.ip:
        own["ip"] = query.ip
    if len(query.selectors) == 1:
        own["selector"] = query.selectors[0]
    if query.probe_mx:
        own["port"] = str(query.mx_port)
    return own


def missed(lesson: Lesson, codes: Iterable[str], changed: Iterable[str] = ()) -> str:
    """Why a result lacks the lesson's finding, in words (empty when it shows, or there is none to show).

    `changed` names the settings the person changed from the lesson's own,
    which is the usual reason.
    """
    seen = set(codes)
    if not lesson.expect or any(code in seen for code in lesson.expect):
        return ""
    wanted = " or ".join(lesson.expect)
    changed = list(changed)
    if changed:
        because = (
            f"the settings were changed ({', '.join(changed)}), and this lesson shows only with the lab's own: "
            f"{lesson.why or 'choose the scenario again to restore them'}"
        )
    elif lesson.why:
        because = f"this lesson needs its own settings: {lesson.why}"
    else:
        because = "the lab server did not behave as its scenario says; please report it"
    return f"This lab scenario teaches {wanted}, which did not appear: {because}."
