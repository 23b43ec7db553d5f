"""The bulk-sender requirements of Gmail, Yahoo and Microsoft (since 2024), checked on one message.

Since February 2024 Gmail and Yahoo (and Outlook.com since May 2025) require of
everyone who sends them mail: SPF or DKIM passing, forward-confirmed reverse
DNS of the sending IP, TLS, a valid RFC 5322 message (Message-ID, Date); and of
bulk senders (over 5,000 messages a day) also SPF *and* DKIM, a published
DMARC policy with aligned From, and one-click unsubscribe (RFC 8058). This
module turns what the message shows into a checklist; each row is met, not
met or cannot tell (never a guess), with the fix.

Pure: the facts come from the received chain, the receiver's results and the
kit's re-verification, gathered by `smtpkit.checks.evidence.message`.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field
from typing import Any

__all__ = ["MET", "NOT_MET", "CANNOT_TELL", "Facts", "Requirement", "bulk_signs", "check_requirements", "msgid_problem"]

MET, NOT_MET, CANNOT_TELL = "met", "not met", "cannot tell"

# RFC 5322 §3.6.4 msg-id: "<" id-left "@" id-right ">" (dot-atom-text or no-fold-literal on the right)
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
_MSGID = re.compile(rf"^<{_ATEXT}+(?:\.{_ATEXT}+)*@(?:{_ATEXT}+(?:\.{_ATEXT}+)*|\[[^\[\]\\\s]*\])>$")


@dataclass
class Facts:
    """What the message and the checks established; None means "not known"."""

    spf: str | None = None  # pass, fail, softfail, ... (kit's verdict, else the receiver's)
    spf_source: str = ""
    dkim: str | None = None  # pass if any signature verified
    dkim_source: str = ""
    dmarc_record: bool | None = None  # a DMARC policy is published for the From domain
    dmarc_policy: str = ""
    dmarc: str | None = None  # pass / fail (aligned)
    dmarc_source: str = ""
    from_domain: str = ""
    ip: str = ""
    fcrdns: bool | None = None
    fcrdns_detail: str = ""
    tls: bool | None = None
    tls_detail: str = ""
    headers: dict[str, list[str]] = field(default_factory=dict)  # lower-case name -> values
    now: _dt.datetime | None = None


@dataclass
class Requirement:
    name: str
    applies_to: str  # "all senders" or "bulk senders"
    status: str
    evidence: str
    fix: str
    code: str = ""  # the finding code a "not met" row produces, when it has its own

    def to_row(self) -> dict[str, Any]:
        return {
            "requirement": self.name,
            "applies to": self.applies_to,
            "status": self.status,
            "evidence": self.evidence,
            "fix": self.fix if self.status != MET else "",
        }


def msgid_problem(values: list[str]) -> str:
    """'' for one valid Message-ID, else what is wrong."""
    if not values:
        return "there is no Message-ID field"
    if len(values) > 1:
        return f"there are {len(values)} Message-ID fields (RFC 5322 allows one)"
    v = values[0].strip()
    if not _MSGID.match(v):
        return f"{v[:120]!r} is not of the form <unique@domain>"
    return ""


def date_problem(values: list[str], now: _dt.datetime | None = None) -> str:
    """'' for one readable Date not far in the future, else what is wrong."""
    from smtpkit.evidence.received import parse_date

    if not values:
        return "there is no Date field"
    if len(values) > 1:
        return f"there are {len(values)} Date fields (RFC 5322 allows one)"
    when = parse_date(values[0])
    if when is None:
        return f"{values[0][:80]!r} is not an RFC 5322 date"
    now = now or _dt.datetime.now(_dt.UTC)
    if when - now > _dt.timedelta(days=1):
        return f"{values[0][:80]!r} is more than a day in the future"
    return ""


def bulk_signs(headers: dict[str, list[str]]) -> list[str]:
    """Header evidence that this is bulk or list mail (empty: it looks like person-to-person mail)."""
    signs = []
    prec = " ".join(headers.get("precedence", [])).lower()
    if "bulk" in prec or "list" in prec:
        signs.append(f"Precedence: {prec.strip()}")
    for name, label in (
        ("list-id", "List-Id"),
        ("list-unsubscribe", "List-Unsubscribe"),
        ("feedback-id", "Feedback-ID"),
        ("x-campaign", "X-Campaign"),
        ("x-mailgun-tag", "X-Mailgun-Tag"),
        ("x-sg-eid", "X-SG-EID"),
        ("x-ses-outgoing", "X-SES-Outgoing"),
        ("x-mc-user", "X-MC-User"),
    ):
        if headers.get(name):
            signs.append(label)
    return signs


def _word(value: bool | None) -> str:
    return {True: MET, False: NOT_MET, None: CANNOT_TELL}[value]


def check_requirements(f: Facts) -> list[Requirement]:
    out: list[Requirement] = []
    spf_ok = None if f.spf is None else f.spf == "pass"
    dkim_ok = None if f.dkim is None else f.dkim == "pass"
    either = True if (spf_ok or dkim_ok) else (None if spf_ok is None or dkim_ok is None else False)
    out.append(
        Requirement(
            "SPF or DKIM passes",
            "all senders",
            _word(either),
            f"SPF {f.spf or 'unknown'} ({f.spf_source or 'not checked'}); DKIM {f.dkim or 'unknown'}"
            f" ({f.dkim_source or 'not checked'})",
            "Publish SPF for the envelope domain and sign with DKIM (see the auth-results findings).",
        )
    )
    both = True if (spf_ok and dkim_ok) else (None if spf_ok is None or dkim_ok is None else False)
    out.append(
        Requirement(
            "SPF and DKIM both pass",
            "bulk senders",
            _word(both),
            f"SPF {f.spf or 'unknown'}, DKIM {f.dkim or 'unknown'}",
            "Bulk senders need both: authorise the sending IP in SPF and sign every message with DKIM.",
        )
    )
    out.append(
        Requirement(
            "DMARC policy published for the From domain",
            "bulk senders",
            _word(f.dmarc_record),
            f"{f.from_domain or '(no From domain)'}: "
            + (
                f"p={f.dmarc_policy}"
                if f.dmarc_record
                else "no DMARC record"
                if f.dmarc_record is False
                else "not looked up"
            ),
            f'Publish at least "v=DMARC1; p=none; rua=mailto:dmarc@{f.from_domain or "yourdomain"}" at '
            f"_dmarc.{f.from_domain or 'yourdomain'}.",
        )
    )
    dmarc_ok = None if f.dmarc is None else f.dmarc == "pass"
    out.append(
        Requirement(
            "From domain aligned with SPF or DKIM (DMARC passes)",
            "bulk senders",
            _word(dmarc_ok),
            f"DMARC {f.dmarc or 'unknown'} ({f.dmarc_source or 'not checked'})",
            "Sign with d= your From domain, or send with a Return-Path in your From domain that SPF allows.",
        )
    )
    out.append(
        Requirement(
            "Sending IP has forward-confirmed reverse DNS",
            "all senders",
            _word(f.fcrdns),
            f"{f.ip or '(sending IP unknown)'}: {f.fcrdns_detail or 'not checked'}",
            "Have the IP owner set a PTR to your host name, and an A/AAAA record for that name back to the IP.",
            code="message.ptr_missing",
        )
    )
    out.append(
        Requirement(
            "TLS on the hop to the receiver",
            "all senders",
            _word(f.tls),
            f.tls_detail or "no Received field shows the hop",
            "Enable (opportunistic) TLS on your outgoing mail server.",
        )
    )
    signs = bulk_signs(f.headers)
    unsub = f.headers.get("list-unsubscribe", [])
    post = " ".join(f.headers.get("list-unsubscribe-post", []))
    one_click = bool(unsub) and "https:" in " ".join(unsub).lower() and "list-unsubscribe=one-click" in post.lower()
    if one_click:
        status, evidence = MET, "List-Unsubscribe with https and List-Unsubscribe-Post: List-Unsubscribe=One-Click"
    elif signs:
        status = NOT_MET
        evidence = (
            "looks like bulk mail ("
            + ", ".join(signs)
            + "); "
            + (
                "List-Unsubscribe without a one-click https URI and List-Unsubscribe-Post"
                if unsub
                else "no List-Unsubscribe"
            )
        )
    else:
        status, evidence = CANNOT_TELL, "no sign of bulk mail: one-click unsubscribe is required only of bulk senders"
    out.append(
        Requirement(
            "One-click unsubscribe (RFC 8058)",
            "bulk senders",
            status,
            evidence,
            "Add List-Unsubscribe: <https://…> and List-Unsubscribe-Post: List-Unsubscribe=One-Click.",
            code="message.list_unsubscribe_missing",
        )
    )
    problem = msgid_problem(f.headers.get("message-id", []))
    out.append(
        Requirement(
            "Valid Message-ID",
            "all senders",
            NOT_MET if problem else MET,
            problem or f.headers["message-id"][0][:120],
            "Let the sending software set <unique@your.domain>.",
            code="message.message_id_invalid",
        )
    )
    problem = date_problem(f.headers.get("date", []), f.now)
    out.append(
        Requirement(
            "Valid Date",
            "all senders",
            NOT_MET if problem else MET,
            problem or f.headers["date"][0][:80],
            "Set Date in RFC 5322 format from a correct clock.",
            code="message.date_invalid",
        )
    )
    return out
