"""One value as a table cell, and a report's steps as every view shows them (redacted at render time)."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping

from smtpkit.secrets import redact

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (~4 ms of a CLI start); mypy reads it the same
if TYPE_CHECKING:
    from typing import Any

    from smtpkit.model import Report, Step

__all__ = ["LABELS", "cell", "columns_of", "human_label", "step_views"]


def cell(value: Any) -> str:
    """One value as the text of a table cell: yes/no, enum values, lists joined, objects redacted."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, (list, tuple, set, frozenset)):
        return ", ".join(cell(v) for v in value)
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={cell(v)}" for k, v in value.items())
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, str):
        return value
    return redact(str(value))  # bytes, exceptions, objects: their str() was never redacted


#: field names that code uses (settings, probe rows) as a person reads them in a table
LABELS = {
    "mail_from": "sender (MAIL FROM)",
    "rcpt_to": "recipients (RCPT TO)",
    "helo": "EHLO name",
    "cafile": "CA file",
    "nameservers": "DNS servers",
    "timeout": "timeout (s)",
    "elapsed_ms": "time (ms)",
    "starttls_offered": "STARTTLS offered",
    "starttls_works": "STARTTLS works",
    "implicit_tls_works": "implicit TLS works",
    "tls_version": "TLS version",
    "auth_before_tls": "AUTH before TLS",
    "auth_after_tls": "AUTH after TLS",
    "use_as": "use it as",
    "issued_by_next": "issued by the next",
    "mta_sts_port": "MTA-STS port",
    "dns_timeout": "DNS timeout (s)",
    "probe_mx": "probe the MX hosts",
    # the rest of the settings a check's settings table lists, in words (the field names read as jargon:
    # "only lists", "allow private", "trust ad")
    "ip": "sending IP",
    "selectors": "DKIM selectors",
    "dnsbl_lists": "blocklists added",
    "only_lists": "only the blocklists given",
    "allow_private": "check private addresses too",
    "mx_port": "MX port",
    "trust_anchor": "DNSSEC trust anchor",
    "trust_ad": "trust the resolver's DNSSEC answer (AD flag)",
    "allow_plaintext_auth": "allow AUTH without TLS",
    "auth_mechanism": "AUTH mechanism",
    "deadline": "deadline (s)",
    "send": "really send",
    "query_limit": "DNS queries in flight at most",
    "probes_per_network": "MX probes per network at most",
    "chunk_size": "domains per chunk",
    "cache_size": "DNS answers cached at most",
}


def human_label(key: Any) -> str:
    """A column or field name as a heading for people: ``mail_from`` -> ``sender (MAIL FROM)``,
    ``days_left`` -> ``days left``; names already in words are unchanged."""
    text = str(key)
    return LABELS.get(text) or (text.replace("_", " ") if "_" in text and " " not in text else text)


def columns_of(rows: Iterable[Mapping[str, Any]]) -> list[str]:
    """Every key of every row, in the order first seen: the columns of a table of these rows.

    Rows of one table need not share their keys (an SPF trace row may carry a note
    the others lack), and a column seen only in a later row must not be lost; the
    HTML, text and Markdown views all take their columns from here so they agree.
    """
    return list(dict.fromkeys(str(k) for r in rows for k in r))


def step_views(report: Report) -> list[tuple[Step, str, str, dict[str, Any], dict[str, list[dict[str, Any]]]]]:
    """(step, name, summary, details, tables) of every step, redacted at render time (see `Step.view`)."""
    return [(s, redact(str(s.name)), *s.view()) for s in report.steps]
