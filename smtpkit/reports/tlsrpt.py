"""TLS-RPT reports (RFC 8460 §4.4, JSON) -> the `tls` (one row per policy) and `tls_failures` tables.

Senders that deliver to your MX hosts report, once a day, how many sessions
succeeded and which failed and why (no STARTTLS, a certificate problem, an
MTA-STS or DANE policy failure). Columns are documented in ``docs/reports.md``.
Lenient like the DMARC parser: missing fields stay empty, numbers that are not
numbers count as zero, ``mx-host`` may be a string or a list; a document that
is not JSON or not a TLS-RPT report becomes a problem row.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from smtpkit.knowledge.tlsrpt_results import result_type
from smtpkit.reports.ingest import Payload, Problem

__all__ = ["FAILURE_COLUMNS", "POLICY_COLUMNS", "TlsTable"]

log = logging.getLogger("smtpkit.reports")

POLICY_COLUMNS = (
    "org_name",
    "report_id",
    "begin",
    "end",
    "contact_info",
    "policy_type",
    "policy_domain",
    "mx_host",
    "policy_string",
    "successful_sessions",
    "failed_sessions",
    "failure_types",
    "source",
)
FAILURE_COLUMNS = (
    "org_name",
    "report_id",
    "begin",
    "end",
    "policy_type",
    "policy_domain",
    "result_type",
    "failed_sessions",
    "sending_mta_ip",
    "receiving_mx_hostname",
    "receiving_mx_helo",
    "receiving_ip",
    "failure_reason_code",
    "additional_information",
    "meaning",
    "finding",
    "source",
)


def _text(value: Any, limit: int = 1000) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return " | ".join(_text(v, limit) for v in value)[:limit]
    return str(value).strip()[:limit]


def _count(value: Any) -> int:
    try:
        n = int(float(value))
    except (TypeError, ValueError, OverflowError):
        return 0
    return max(n, 0)


def _get(doc: Mapping[str, Any], name: str) -> Any:
    """A field by its RFC name, or spelled with underscores (some reporters do)."""
    if name in doc:
        return doc[name]
    return doc.get(name.replace("-", "_"))


class TlsTable:
    """Collects TLS-RPT reports into rows; the same report (organisation + report id) is read once."""

    def __init__(self) -> None:
        self.policies: list[dict[str, Any]] = []
        self.failures: list[dict[str, Any]] = []
        self.seen: dict[tuple[str, str], str] = {}
        self.reports = 0

    def add(self, payload: Payload) -> list[Problem]:
        """Read one TLS-RPT report; rows go into the table, problems are returned (never raised)."""
        policies, failures = len(self.policies), len(self.failures)
        try:
            return self._add(payload)
        except Exception as exc:  # a document nobody foresaw must cost one problem row, not the batch
            log.warning("TLS-RPT report %s could not be read", payload.source, exc_info=True)
            del self.policies[policies:], self.failures[failures:]
            return [Problem(payload.source, "unreadable", f"could not be read ({type(exc).__name__}: {exc})")]

    def _add(self, payload: Payload) -> list[Problem]:
        source = payload.source
        try:
            doc = json.loads(payload.data)
        except RecursionError:
            return [Problem(source, "refused", "JSON nested too deep to read")]
        except (ValueError, UnicodeError) as exc:
            return [Problem(source, "unreadable", f"not valid JSON: {exc}", len(payload.data))]
        if not isinstance(doc, dict) or not isinstance(_get(doc, "policies"), list):
            return [Problem(source, "skipped", 'JSON, but not a TLS-RPT report (no "policies" list)')]
        org = _text(_get(doc, "organization-name"), 200)
        report_id = _text(_get(doc, "report-id"), 200)
        key = (org.lower(), report_id)
        if key in self.seen:
            return [Problem(source, "duplicate", f"the same report as {self.seen[key]}: counted once")]
        self.seen[key] = source
        self.reports += 1
        dates = _get(doc, "date-range")
        dates = dates if isinstance(dates, dict) else {}
        common = {
            "org_name": org,
            "report_id": report_id,
            "begin": _text(_get(dates, "start-datetime"), 60),
            "end": _text(_get(dates, "end-datetime"), 60),
        }
        problems: list[Problem] = []
        for item in _get(doc, "policies"):
            if not isinstance(item, dict):
                problems.append(Problem(source, "partial", "a policy entry that is not an object was skipped"))
                continue
            policy = _get(item, "policy") if isinstance(_get(item, "policy"), dict) else {}
            summary = _get(item, "summary") if isinstance(_get(item, "summary"), dict) else {}
            details = _get(item, "failure-details")
            details = [d for d in details if isinstance(d, dict)] if isinstance(details, list) else []
            ptype = _text(_get(policy, "policy-type"), 40).lower()
            pdomain = _text(_get(policy, "policy-domain"), 255).lower().rstrip(".")
            types: dict[str, int] = {}
            for d in details:
                rtype = result_type(_text(_get(d, "result-type"), 80))
                failed = _count(_get(d, "failed-session-count"))
                types[rtype.name] = types.get(rtype.name, 0) + failed
                self.failures.append(
                    {
                        **common,
                        "policy_type": ptype,
                        "policy_domain": pdomain,
                        "result_type": rtype.name,
                        "failed_sessions": failed,
                        "sending_mta_ip": _text(_get(d, "sending-mta-ip"), 60),
                        "receiving_mx_hostname": _text(_get(d, "receiving-mx-hostname"), 255).lower(),
                        "receiving_mx_helo": _text(_get(d, "receiving-mx-helo"), 255),
                        "receiving_ip": _text(_get(d, "receiving-ip"), 60),
                        "failure_reason_code": _text(_get(d, "failure-reason-code"), 200),
                        "additional_information": _text(_get(d, "additional-information"), 500),
                        "meaning": rtype.meaning,
                        "finding": rtype.code,
                        "source": source,
                    }
                )
            self.policies.append(
                {
                    **common,
                    "contact_info": _text(_get(doc, "contact-info"), 200),
                    "policy_type": ptype,
                    "policy_domain": pdomain,
                    "mx_host": _text(_get(policy, "mx-host"), 500),
                    "policy_string": _text(_get(policy, "policy-string"), 2000),
                    "successful_sessions": _count(_get(summary, "total-successful-session-count")),
                    "failed_sessions": _count(_get(summary, "total-failure-session-count")),
                    "failure_types": "; ".join(f"{k} ({v})" for k, v in types.items()),
                    "source": source,
                }
            )
        return problems

    def frames(self) -> tuple[Any, Any]:
        """(tls, tls_failures) as DataFrames (see docs/reports.md)."""
        import pandas as pd

        policies = pd.DataFrame(self.policies, columns=list(POLICY_COLUMNS))
        failures = pd.DataFrame(self.failures, columns=list(FAILURE_COLUMNS))
        for frame in (policies, failures):
            for name in ("begin", "end"):
                frame[name] = pd.to_datetime(frame[name], utc=True, errors="coerce", format="ISO8601")
        for name in ("successful_sessions", "failed_sessions"):
            policies[name] = policies[name].astype("int64")
        failures["failed_sessions"] = failures["failed_sessions"].astype("int64")
        return policies, failures
