"""The practice lab's SMTP scenarios, as data.

Each `Scenario` is one lab server: a healthy one, or one that is wrong in
exactly one way people meet in real life. The table is declarative so that a
scenario can be read (and taught) in one place, and so that adding one is
adding a row, not writing a server: `smtpkit.lab.smtp_servers` turns any row
into a running server.

Other parts of the kit add their own rows without touching this file: any
module of this package (``smtpkit/lab/scenarios/<topic>.py``) that exposes ``SCENARIOS:
list[Scenario]`` is discovered when the lab starts (for example provider-style
rejections such as a Yahoo app-password reply or Amazon SES's "Email address
is not verified"). Names must be unique across all tables.

Reply texts are real ones wherever a real server is imitated, because
recognising them is the lesson. A reply may span several lines, written with
``\\n`` between them and the usual ``code-``/``code `` continuation markers.
Templates may use these fields, filled in per command:

``{hostname}`` the server's name, ``{peer_ip}`` the client's address,
``{sender}`` the MAIL FROM address, ``{rcpt}`` the RCPT TO address,
``{user}`` the AUTH user name, ``{size}`` the SIZE limit, ``{date}`` an
RFC 5322 date, ``{queue_id}`` a fresh queue id.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

__all__ = [
    "AUTH_MECHANISMS",
    "CATEGORIES",
    "LAB_DOMAIN",
    "LAB_MAILBOXES",
    "STAGES",
    "Scenario",
    "all_scenarios",
    "discover_scenario_modules",
]

LAB_DOMAIN = "smtpkit.test"
# Local parts that exist at smtpkit.test on the inbound MX (besides the lab user's own).
LAB_MAILBOXES: tuple[str, ...] = ("postmaster", "abuse", "lab", "alice", "bob", "dmarc-reports")

# The protocol stages a reply override can replace, named as in
# smtpkit.knowledge.rules.classify_reply: the greeting, the reply to
# EHLO, to STARTTLS, the final AUTH reply, MAIL, RCPT, the DATA command (354)
# and the reply after the message's final dot.
STAGES: tuple[str, ...] = ("banner", "ehlo", "starttls", "auth", "mail", "rcpt", "data", "message")
# Where the scenario's lesson shows up (SmtpEndpoint.scenario).
CATEGORIES: tuple[str, ...] = ("healthy", "connect", "tls", "auth", "send")
AUTH_MECHANISMS: tuple[str, ...] = ("PLAIN", "LOGIN", "CRAM-MD5", "XOAUTH2")
SECURITIES = ("starttls", "tls", "plain")
KINDS = ("smtp", "silent", "refusing")
AUTH_MODES = ("after_tls", "plaintext_refused", "none")

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,40}$")
_REPLY_LINE = re.compile(r"^([2-5][0-9][0-9])([ -])(.*)$")
_CODE = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)+$")
_TEMPLATE_FIELDS = {"hostname", "peer_ip", "sender", "rcpt", "user", "size", "date", "queue_id"}


@dataclass(frozen=True)
class Scenario:
    """One lab SMTP server and the lesson it teaches.

    Fields:

    name
        The endpoint name (``info.endpoint(name)``): lower-case, digits, ``_``.
    description
        What the server does and what a person meets when their client talks
        to it, in plain words; shown by ``smtpkit lab --servers-only`` and in
        notebooks.
    category
        Where the problem shows up: ``healthy``, ``connect``, ``tls``,
        ``auth`` or ``send`` (``SmtpEndpoint.scenario``).
    expect
        The finding code a correct diagnosis of this endpoint names (for
        example ``tls.cert.expired``), or None for a healthy server.
    security
        How a client connects to reproduce the lesson: ``starttls`` (plain
        connection upgraded with STARTTLS, like port 587), ``tls`` (TLS from
        the first byte, like port 465) or ``plain`` (no encryption, like an
        application set to "none").
    offer_starttls
        Whether EHLO advertises STARTTLS. None (default) means "when
        `security` is starttls"; a ``plain`` scenario may still offer it
        (that is the point of ``starttls_required``).
    kind
        ``smtp`` (an aiosmtpd server), ``silent`` (accepts TCP, never says a
        word) or ``refusing`` (nothing listens: connections are refused).
    cert
        The certificate presented, a key of `smtpkit.lab.ca.CERT_KINDS`:
        good, good_rsa, self_signed, expired, not_yet_valid, expiring_soon,
        wrong_host.
    tls_versions
        (minimum, maximum) TLS versions, e.g. ``("TLSv1", "TLSv1.1")`` for a
        server stuck on obsolete TLS; None for this machine's defaults.
    auth
        ``after_tls`` (AUTH advertised and accepted only on an encrypted
        connection, the modern norm), ``plaintext_refused`` (AUTH advertised
        before TLS but answered ``530 5.7.0 Must issue a STARTTLS command
        first``), or ``none`` (no AUTH at all, like an inbound MX).
    auth_mechanisms
        The SASL mechanisms offered, from PLAIN, LOGIN, CRAM-MD5, XOAUTH2.
    require_auth
        MAIL FROM is refused (``530 5.7.57``) until the client has logged in.
    local_domains
        None: relay to any domain (for an authenticated client). A tuple:
        accept only recipients in these domains (unknown mailboxes get
        ``550 5.1.1``), everything else gets Postfix's ``554 5.7.1 Relay
        access denied``.
    size_limit
        The SIZE advertised in EHLO and enforced at MAIL (SIZE=) and at the
        end of DATA (``552 5.3.4``).
    replies
        Stage -> reply that replaces the server's own at that stage (see
        `STAGES`), e.g. ``{"rcpt": "451 4.7.1 ..."}``. An ``auth`` override
        is sent after the client has sent its credentials, right or wrong,
        as real servers do. A 421 reply closes the connection.
    lesson_reply
        The stage of `replies` whose reply the expected finding quotes (a form's hint says that reply before
        the run, as the finding will); None when the finding quotes none.
    hostname
        The name in the greeting and EHLO reply.
    provider
        The provider imitated (a key of `smtpkit.knowledge.presets`, e.g.
        ``gmail``, ``office365``), so fixes can name its remedy; None for a
        generic server.
    requires
        A capability this machine may lack (``old_tls``); the lab skips the
        scenario, saying why, where it is missing.
    """

    name: str
    description: str
    category: str = "healthy"
    expect: str | None = None
    security: str = "starttls"
    offer_starttls: bool | None = None
    kind: str = "smtp"
    cert: str = "good"
    tls_versions: tuple[str, ...] | None = None  # (minimum, maximum)
    auth: str = "after_tls"
    auth_mechanisms: tuple[str, ...] = AUTH_MECHANISMS
    require_auth: bool = True
    local_domains: tuple[str, ...] | None = None
    size_limit: int = 10 * 1024 * 1024
    replies: Mapping[str, str] = field(default_factory=dict)
    lesson_reply: str | None = None
    hostname: str = "mail.smtpkit.test"
    provider: str | None = None
    requires: str | None = None

    def __post_init__(self) -> None:
        problems = []
        if not _NAME.match(self.name):
            problems.append("name must be lower-case letters, digits and _ (at most 41 characters)")
        if not self.description.strip():
            problems.append("description must say what the scenario teaches")
        if self.category not in CATEGORIES:
            problems.append(f"category must be one of {CATEGORIES}")
        if self.expect is not None and not _CODE.match(self.expect):
            problems.append(f"expect {self.expect!r} is not a dotted finding code")
        if self.security not in SECURITIES:
            problems.append(f"security must be one of {SECURITIES}")
        if self.kind not in KINDS:
            problems.append(f"kind must be one of {KINDS}")
        if self.auth not in AUTH_MODES:
            problems.append(f"auth must be one of {AUTH_MODES}")
        unknown_mechs = set(self.auth_mechanisms) - set(AUTH_MECHANISMS)
        if unknown_mechs:
            problems.append(f"auth_mechanisms {sorted(unknown_mechs)} are not implemented (only {AUTH_MECHANISMS})")
        if self.size_limit <= 0:
            problems.append("size_limit must be positive")
        from smtpkit.lab.ca import CERT_KINDS

        if self.cert not in CERT_KINDS:
            problems.append(f"cert must be one of {tuple(CERT_KINDS)}")
        if self.tls_versions is not None and len(self.tls_versions) != 2:
            problems.append("tls_versions is a (minimum, maximum) pair")
        for stage, reply in self.replies.items():
            if stage not in STAGES:
                problems.append(f"reply stage {stage!r} is not one of {STAGES}")
                continue
            problem = _reply_problem(reply)
            if problem:
                problems.append(f"reply for {stage}: {problem}")
        if self.lesson_reply is not None and self.lesson_reply not in self.replies:
            problems.append(f"lesson_reply {self.lesson_reply!r} is not a stage of its replies")
        if problems:
            raise ValueError(f"lab scenario {self.name!r}: " + "; ".join(problems))
        object.__setattr__(self, "replies", MappingProxyType(dict(self.replies)))
        object.__setattr__(self, "auth_mechanisms", tuple(self.auth_mechanisms))
        if self.local_domains is not None:
            object.__setattr__(self, "local_domains", tuple(d.lower() for d in self.local_domains))

    @property
    def starttls_offered(self) -> bool:
        return self.security == "starttls" if self.offer_starttls is None else self.offer_starttls

    @property
    def uses_tls(self) -> bool:
        """Whether the server needs a certificate at all."""
        return self.kind == "smtp" and (self.security == "tls" or self.starttls_offered)


def _reply_problem(reply: str) -> str | None:
    lines = reply.split("\n")
    codes = set()
    for i, line in enumerate(lines):
        m = _REPLY_LINE.match(line)
        if not m:
            return f"line {line!r} does not start with a 3-digit code and a space or '-'"
        codes.add(m.group(1))
        last = i == len(lines) - 1
        if (m.group(2) == " ") != last:
            return "every line but the last continues with 'code-', the last is 'code '"
    if len(codes) != 1:
        return "all lines of one reply carry the same code"
    try:
        fields = {f for _, f, _, _ in __import__("string").Formatter().parse(reply) if f}
    except ValueError as exc:
        return f"bad template: {exc}"
    if fields - _TEMPLATE_FIELDS:
        return f"unknown template fields {sorted(fields - _TEMPLATE_FIELDS)}; use {sorted(_TEMPLATE_FIELDS)}"
    return None


def discover_scenario_modules() -> list[str]:
    """Dotted names of every module of this package, in their `ORDER` (healthy servers first)."""
    found = []
    for m in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{m.name}")
        found.append((getattr(module, "ORDER", 500), module.__name__))
    return [name for _, name in sorted(found)]


def scenario_named(name: str) -> Scenario | None:
    """The discovered scenario called `name` (None for another name): a lookup made once per process, where
    each caller built its own map of every scenario at each call."""
    return _by_name().get(name)


@functools.cache
def _by_name() -> dict[str, Scenario]:
    return {s.name: s for s in all_scenarios()}


def all_scenarios(modules: Iterable[str] | None = None) -> list[Scenario]:
    """Every discovered scenario table (or those of `modules`); a duplicate name is an error naming both."""
    found: list[Scenario] = []
    owner: dict[str, str] = {}
    sources: list[tuple[str, Iterable[Scenario]]] = []
    for module_name in discover_scenario_modules() if modules is None else modules:
        try:
            module = importlib.import_module(module_name)
        except Exception as exc:  # a scenario author's mistake must name the module, not break silently
            raise ImportError(
                f"lab scenario module {module_name} failed to import: {type(exc).__name__}: {exc}"
            ) from exc
        sources.append((module_name, getattr(module, "SCENARIOS", ())))
    for module_name, table in sources:
        for scenario in table:
            if not isinstance(scenario, Scenario):
                raise TypeError(f"{module_name}.SCENARIOS holds {scenario!r}, not a Scenario")
            if scenario.name in owner:
                raise ValueError(
                    f"lab scenario name {scenario.name!r} is defined in both {owner[scenario.name]} and {module_name}"
                )
            owner[scenario.name] = module_name
            found.append(scenario)
    return found
