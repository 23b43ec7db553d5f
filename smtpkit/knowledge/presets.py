"""Provider presets: the settings and limits people otherwise hunt for in help pages.

Most "my mail does not send" problems with a big provider are one of a few
facts: the wrong port for the security mode, a normal password where an App
Password or API key is needed, or a sending limit. A preset carries those
facts, so the UI can fill the form and a finding's fix can name the
provider's own remedy and numbers.

Limits change; each preset has a `docs` link to the provider's page, and the
numbers are those the providers published when this table was written.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import re
from types import MappingProxyType

from smtpkit.record import field, record

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (~4 ms of a CLI start); mypy reads it the same
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "PortMode",
    "Preset",
    "PRESETS",
    "preset",
    "preset_keys",
    "provider_for_host",
    "provider_from_banner",
    "presets_frame",
    "ses_host",
]


@record(frozen=True)
class PortMode:
    """One port and how to secure it: ``starttls`` (upgrade after EHLO), ``tls`` (implicit TLS), ``plain``."""

    port: int
    security: str

    def __str__(self) -> str:
        mode = {"starttls": "STARTTLS", "tls": "implicit TLS"}.get(self.security, "no TLS")
        return f"{self.port} ({mode})"


@record(frozen=True)
class Preset:
    """What a user needs to point a client at one provider.

    `host` may contain ``{region}`` (Amazon SES); `host_patterns` are shell
    patterns matched against a hostname to recognise the provider;
    `banner_signatures` are lower-case substrings of its greeting or EHLO reply.
    """

    key: str
    name: str
    host: str
    ports: tuple[PortMode, ...]
    username_hint: str
    password_hint: str
    limits: str
    notes: str = ""
    docs: str = ""
    max_message_mb: float | None = None
    host_patterns: tuple[str, ...] = ()
    banner_signatures: tuple[str, ...] = ()
    extra_hosts: tuple[str, ...] = ()
    params: Any = field(default_factory=dict)
    # the provider's own registered domains (its users' addresses, its servers): names that exist
    domains: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))

    @property
    def default_port(self) -> int | None:
        return self.ports[0].port if self.ports else None

    @property
    def security(self) -> str:
        """Security of the recommended (first) port."""
        return self.ports[0].security if self.ports else "auto"

    def ports_text(self) -> str:
        return ", ".join(str(pm) for pm in self.ports)

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "provider": self.name,
            "host": self.host,
            "ports": self.ports_text(),
            "default_port": self.default_port,
            "security": self.security,
            "username": self.username_hint,
            "password": self.password_hint,
            "sending_limits": self.limits,
            "max_message_mb": self.max_message_mb,
            "notes": self.notes,
            "docs": self.docs,
        }


_S, _T = "starttls", "tls"

PRESETS: tuple[Preset, ...] = (
    Preset(
        key="lab",
        name="Practice lab (this machine)",
        host="127.0.0.1",
        ports=(),
        username_hint="the lab user (shown by `smtpkit lab`)",
        password_hint="the lab password (shown by `smtpkit lab`; never typed on a command line)",
        limits="none: every failure is a scenario you pick",
        notes="Real servers on loopback that reproduce common failures; the port is filled from the running lab.",
        host_patterns=("*.smtpkit.test", "smtpkit.test"),
    ),
    Preset(
        key="gmail",
        domains=("gmail.com", "googlemail.com", "google.com"),
        name="Gmail / Google Workspace",
        host="smtp.gmail.com",
        ports=(PortMode(587, _S), PortMode(465, _T)),
        username_hint="your full Gmail or Workspace address",
        password_hint=(
            "a 16-character App Password when 2-Step Verification is on (your normal password is refused); or OAuth 2.0"
            " (XOAUTH2)"
        ),
        limits="about 500 messages/day for a Gmail account, 2,000/day on Google Workspace",
        notes=(
            "App Passwords: Google Account > Security > 2-Step Verification > App passwords. Workspace admins can turn"
            " App Passwords off. Google Workspace also offers smtp-relay.gmail.com for devices."
        ),
        docs="https://support.google.com/a/answer/176600",
        max_message_mb=35,
        host_patterns=(
            "smtp.gmail.com",
            "smtp-relay.gmail.com",
            "*.gmail.com",
            "*.googlemail.com",
            "*.google.com",
            "aspmx.l.google.com",
        ),
        banner_signatures=("mx.google.com", "smtp.gmail.com", "gsmtp", "google esmtp"),
    ),
    Preset(
        key="office365",
        domains=("office365.com", "onmicrosoft.com", "microsoft.com"),
        name="Microsoft 365 / Exchange Online",
        host="smtp.office365.com",
        ports=(PortMode(587, _S),),
        username_hint="the mailbox's full address (user principal name)",
        password_hint=(
            "the account password only while SMTP AUTH and Basic authentication are allowed for the mailbox; Microsoft"
            " is retiring Basic authentication for SMTP AUTH, so plan for OAuth 2.0 (XOAUTH2)"
        ),
        limits="10,000 recipients/day and 30 messages/minute per mailbox",
        notes=(
            "SMTP AUTH must be enabled for the tenant and the mailbox (Microsoft 365 admin center > user > Mail >"
            " Manage email apps > Authenticated SMTP). Security defaults block it. Port 587 with STARTTLS only; TLS 1.2"
            " or newer."
        ),
        docs="https://learn.microsoft.com/exchange/clients-and-mobile-in-exchange-online/authenticated-client-smtp-submission",
        max_message_mb=35,
        host_patterns=(
            "smtp.office365.com",
            "*.office365.com",
            "*.protection.outlook.com",
            "outlook.office365.com",
            "*.outlook.com",
        ),
        banner_signatures=("microsoft esmtp mail service", "outlook.com", "office365.com"),
    ),
    Preset(
        key="outlook",
        domains=("outlook.com", "hotmail.com", "live.com", "msn.com"),
        name="Outlook.com / Hotmail (personal)",
        host="smtp-mail.outlook.com",
        ports=(PortMode(587, _S),),
        username_hint="your full Outlook.com / Hotmail / Live address",
        password_hint=(
            "Microsoft has turned off password (Basic) sign-in for personal accounts; use an app that signs in with"
            " OAuth 2.0 (XOAUTH2)"
        ),
        limits=(
            "a daily recipient limit that starts low on new accounts; unusual volume gets the account blocked"
            " (OutboundSpamException)"
        ),
        notes="The From address must be the account itself or a verified alias.",
        docs="https://support.microsoft.com/office/pop-imap-and-smtp-settings-for-outlook-com-d088b986-291d-42b8-9564-9c414e2aa040",
        host_patterns=("smtp-mail.outlook.com", "smtp.live.com", "*.hotmail.com", "*.live.com"),
        banner_signatures=(),
    ),
    Preset(
        key="yahoo",
        domains=("yahoo.com", "ymail.com", "rocketmail.com", "yahoodns.net"),
        name="Yahoo Mail",
        host="smtp.mail.yahoo.com",
        ports=(PortMode(465, _T), PortMode(587, _S)),
        username_hint="your full Yahoo address",
        password_hint="an app password (Account security > Generate app password); the normal password is refused",
        limits="not published exactly; commonly reported as about 500 messages/day and 100 recipients per message",
        notes=(
            "Yahoo answers 'Too many bad auth attempts' (AUTH005) even on the first try when the account password is"
            " used instead of an app password."
        ),
        docs="https://help.yahoo.com/kb/SLN4724.html",
        max_message_mb=25,
        host_patterns=("smtp.mail.yahoo.com", "*.yahoo.com", "*.yahoodns.net"),
        banner_signatures=("yahoo",),
    ),
    Preset(
        key="ses",
        domains=("amazonses.com", "amazonaws.com"),
        name="Amazon SES",
        host="email-smtp.{region}.amazonaws.com",
        ports=(PortMode(587, _S), PortMode(465, _T), PortMode(2587, _S), PortMode(2465, _T), PortMode(25, _S)),
        username_hint=(
            "the SMTP user name from SES > SMTP settings > Create SMTP credentials (starts with AKIA, but is not your"
            " IAM access key)"
        ),
        password_hint=(
            "the SMTP password shown once when the SMTP credentials were created; an IAM secret access key does not"
            " work"
        ),
        limits=(
            "sandbox: 200 messages per 24 hours, 1 message/second, verified recipients only; production: your account's"
            " quota (SES console > Account dashboard)"
        ),
        notes=(
            "Use the endpoint of the region where your identities are verified: identities and SMTP credentials are per"
            " region. Port 25 is often blocked by cloud providers; use 587 or 2587."
        ),
        docs="https://docs.aws.amazon.com/ses/latest/dg/smtp-connect.html",
        max_message_mb=40,
        host_patterns=("email-smtp.*.amazonaws.com", "email-smtp-fips.*.amazonaws.com", "*.amazonses.com"),
        banner_signatures=("amazonaws.com", "simpleemailservice", "amazonses"),
        params={"default_region": "us-east-1"},
    ),
    Preset(
        key="sendgrid",
        domains=("sendgrid.net", "sendgrid.com"),
        name="Twilio SendGrid",
        host="smtp.sendgrid.net",
        ports=(PortMode(587, _S), PortMode(465, _T), PortMode(2525, _S), PortMode(25, _S)),
        username_hint="the literal word apikey",
        password_hint="an API key (starts with SG.) with Mail Send permission",
        limits="Free plan: 100 emails/day; paid plans: per plan (credits)",
        notes=(
            "The From address must match a verified Sender Identity (Single Sender Verification or Domain"
            " Authentication)."
        ),
        docs="https://www.twilio.com/docs/sendgrid/for-developers/sending-email/integrating-with-the-smtp-api",
        max_message_mb=30,
        host_patterns=("smtp.sendgrid.net", "*.sendgrid.net"),
        banner_signatures=("sendgrid", "sg esmtp"),
    ),
    Preset(
        key="mailgun",
        domains=("mailgun.org", "mailgun.com"),
        name="Mailgun",
        host="smtp.mailgun.org",
        ports=(PortMode(587, _S), PortMode(465, _T), PortMode(2525, _S), PortMode(25, _S)),
        username_hint="the SMTP login of your sending domain (e.g. postmaster@mg.example.com)",
        password_hint=(
            "that domain's SMTP password (Sending > Domain settings > SMTP credentials), not your account password or"
            " API key"
        ),
        limits="per plan; sandbox domains and free accounts deliver only to up to 5 authorized recipients",
        notes="EU-region domains use smtp.eu.mailgun.org. A sandbox domain (sandbox….mailgun.org) is for testing only.",
        docs="https://documentation.mailgun.com/docs/mailgun/user-manual/sending-messages/send-smtp",
        max_message_mb=25,
        host_patterns=("smtp.mailgun.org", "smtp.eu.mailgun.org", "*.mailgun.org"),
        banner_signatures=("mailgun",),
        extra_hosts=("smtp.eu.mailgun.org",),
    ),
    Preset(
        key="custom",
        name="Other server",
        host="",
        ports=(PortMode(587, _S), PortMode(465, _T), PortMode(25, _S), PortMode(2525, _S)),
        username_hint="as your provider or administrator told you",
        password_hint="as your provider or administrator told you",
        limits="ask your provider",
        notes="Any SMTP server: your own Postfix or Exchange, a hosting provider, a relay.",
    ),
)

_BY_KEY = {p.key: p for p in PRESETS}

# Presets that say where a server is, not who runs it: a host matching one of these must not stop
# the greeting or EHLO from naming the real provider (a lab server imitating Gmail, a relay behind
# a custom name), because the provider's own fix is what the person needs.
GENERIC_PRESETS = frozenset({"lab", "custom"})


def preset(key: str) -> Preset:
    """The preset for `key` (``gmail``, ``office365``, …); KeyError lists the valid keys."""
    try:
        return _BY_KEY[key]
    except KeyError:
        raise KeyError(f"unknown provider preset {key!r}; choose one of {', '.join(_BY_KEY)}") from None


def preset_keys() -> list[str]:
    return [p.key for p in PRESETS]


def ses_host(region: str) -> str:
    """The Amazon SES SMTP endpoint of a region; rejects anything that is not a region name."""
    region = (region or "").strip().lower()
    if not re.fullmatch(r"[a-z]{2}(-gov)?-[a-z]+-\d", region):
        raise ValueError(f"{region!r} is not an AWS region name like us-east-1 or eu-west-1")
    return f"email-smtp.{region}.amazonaws.com"


def provider_key_for_host(host: str | None) -> str | None:
    """The key of the provider `provider_for_host` recognises (what a finding's provider-specific fix is chosen
    by), or None."""
    found = provider_for_host(host)
    return found.key if found is not None else None


def provider_for_host(host: str | None) -> Preset | None:
    """Recognise a provider from the server's hostname (``email-smtp.eu-west-1.amazonaws.com`` -> SES).

    IP addresses and unknown names return None: we only claim a provider when
    the name says so, because a wrong provider-specific fix is worse than a
    generic one.
    """
    name = (host or "").strip().rstrip(".").lower()
    if not name:
        return None
    try:
        ipaddress.ip_address(name.strip("[]"))
        return None
    except ValueError:
        pass
    # Exact names first, so smtp-mail.outlook.com is Outlook.com and not *.outlook.com.
    for p in PRESETS:
        if name == p.host.lower() or name in p.extra_hosts:
            return p
    for p in PRESETS:
        for pattern in p.host_patterns:
            if fnmatch.fnmatchcase(name, pattern):
                return p
    return None


_AWS_REGION = re.compile(r"^[a-z]{2}(?:-gov)?-[a-z]+-\d$")


def published_host(host: str | None) -> Preset | None:
    """The provider whose documented SMTP server `host` is exactly (``smtp.gmail.com``), or None.

    Unlike `provider_for_host`, no wildcard: only names a provider publishes as
    its submission server (and an Amazon SES endpoint of a well-formed region).
    Such a name exists, so an NXDOMAIN for it says that the resolver asked is
    broken, filtered or offline, not that a record is missing.
    """
    name = (host or "").strip().rstrip(".").lower()
    for p in PRESETS:
        if p.key in GENERIC_PRESETS or not p.host:
            continue
        if "{region}" in p.host:
            head, _, tail = p.host.partition("{region}")
            if name.startswith(head) and name.endswith(tail):
                region = name[len(head) : len(name) - len(tail)]
                if _AWS_REGION.match(region):
                    return p
        elif name == p.host.lower() or name in p.extra_hosts:
            return p
    return None


def published_domain(domain: str | None) -> Preset | None:
    """The provider that owns `domain` exactly (``gmail.com``, ``outlook.com``), or None.

    These domains certainly exist: an NXDOMAIN for one of them says that the
    resolver asked is broken, filtered or offline. Subdomains do not count (a
    name below a provider's domain may really not exist).
    """
    name = (domain or "").strip().rstrip(".").lower()
    for p in PRESETS:
        if name and name in p.domains:
            return p
    return None


def close_domain(domain: str | None) -> str | None:
    """A provider's domain one typo away from `domain` (``gmial.com`` -> ``gmail.com``), or None."""
    name = (domain or "").strip().rstrip(".").lower()
    known = [d for p in PRESETS for d in p.domains]
    import difflib

    close = difflib.get_close_matches(name, known, n=1, cutoff=0.8)
    return close[0] if close and close[0] != name else None


def provider_from_banner(text: str | None) -> str | None:
    """A provider key from a greeting or EHLO reply, or None.

    The greeting names the software or host (``mx.google.com ESMTP … gsmtp``,
    ``Microsoft ESMTP MAIL Service ready``, ``email-smtp.amazonaws.com ESMTP
    SimpleEmailService``). Used when the user typed an IP address or a CNAME
    that hides the provider.
    """
    low = (text or "").lower()
    if not low:
        return None
    for p in PRESETS:
        for sig in p.banner_signatures:
            if sig in low:
                return p.key
    return None


def presets_frame():  # type: ignore[no-untyped-def]
    """The presets as a pandas DataFrame for the notebooks (one row a provider)."""
    import pandas as pd

    rows = [p.to_dict() for p in PRESETS]
    cols = [
        "key",
        "provider",
        "host",
        "ports",
        "security",
        "username",
        "password",
        "sending_limits",
        "max_message_mb",
        "notes",
        "docs",
    ]
    return pd.DataFrame(rows, columns=cols)
