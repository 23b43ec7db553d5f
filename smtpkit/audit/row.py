"""One audited domain as one row: the columns of the audit table, read off the domain check's Steps.

The findings are the domain check's own (the same step functions); this module
only flattens what the steps found into columns a person sorts and filters on,
and decides the row's `status`. A row says "could not check" when the domain's
own records could not be read (timeout, SERVFAIL, REFUSED) or its deadline
passed: then nothing is known to be wrong, so `worst` and `grade` stay empty
instead of saying "fail". Every column is documented in ``docs/audit.md``
(a test keeps the two in step).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from smtpkit.audit.cache import DomainResolver
from smtpkit.dkim.record import parse_key_record
from smtpkit.dkim.selectors import key_name, looks_like_dkim
from smtpkit.dmarc.record import parse_record as parse_dmarc
from smtpkit.model import Severity, Step
from smtpkit.spf.parser import parse_record as parse_spf

CHECKED = "checked"
COULD_NOT_CHECK = "could not check"
INVALID = "invalid"
STATUSES = (CHECKED, COULD_NOT_CHECK, INVALID)


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # "str", "int", "float", "bool", "list", "time"
    doc: str


COLUMNS: tuple[Column, ...] = (
    Column("position", "int", "the domain's place in the input (0 = first), so a table can go back to input order"),
    Column("input", "str", "the name as given (an international name stays as typed)"),
    Column("domain", "str", "the name checked: lower case, international names in ASCII (IDNA); empty if invalid"),
    Column("status", "str", f"'{CHECKED}', '{COULD_NOT_CHECK}' (timeout, SERVFAIL, REFUSED, deadline) or '{INVALID}'"),
    Column(
        "status_reason", "str", "why the domain could not be checked, or why the name is invalid; empty when checked"
    ),
    Column("grade", "str", "A (nothing to fix) to F (three or more failing findings); empty unless checked"),
    Column("worst", "str", "the worst severity among the findings: fail, warn, info, or pass when there are none"),
    Column("codes", "list", "the finding codes, in step order (see docs/findings.md)"),
    Column(
        "severities",
        "list",
        "the severity of each code in `codes`, in the same order: fail, warn or info (the domain's own, which can"
        " differ from the catalogue's: three void SPF lookups fail where two warn); info for a finding that says"
        " something could not be checked from here (a lookup that failed, port 25 blocked)",
    ),
    Column("n_fail", "int", "how many findings break mail (severity fail in `severities`)"),
    Column("n_warn", "int", "how many findings risk it (severity warn in `severities`)"),
    Column("mx_hosts", "list", "the MX targets, most preferred first ('.' for a null MX)"),
    Column("mx_null", "bool", "the domain publishes a null MX (RFC 7505): it receives no mail"),
    Column("mx_problems", "list", "'host: problem' for every MX target that cannot take mail"),
    Column("spf_record", "str", "the SPF record (empty when there is none or several)"),
    Column("spf_lookups", "int", "DNS lookups the SPF record needs (receivers allow 10)"),
    Column("spf_voids", "int", "lookups that find nothing (receivers allow 2)"),
    Column("spf_lint", "str", "the worst SPF finding: fail, warn, or pass"),
    Column("spf_all", "str", "how the record ends: -all, ~all, ?all, +all, or empty when it has no all"),
    Column("dmarc_policy", "str", "p= of the DMARC policy that applies (empty when there is none)"),
    Column("dmarc_sp", "str", "the policy for subdomains (sp=, else p=)"),
    Column("dmarc_pct", "int", "pct=, the share of failing mail the policy applies to"),
    Column("dmarc_enforced", "bool", "p=quarantine or p=reject: spoofed mail is kept out, not only reported"),
    Column("dmarc_rua", "list", "where aggregate reports go (rua= addresses)"),
    Column(
        "dmarc_rua_authorised",
        "bool",
        "every external report address has agreed to receive the reports (RFC 7489 §7.1); empty when none is external",
    ),
    Column("dmarc_org_domain", "str", "the organizational domain, where receivers look when the domain has no policy"),
    Column("dkim_selectors", "list", "selectors under which a DKIM key was found"),
    Column(
        "dkim_keys",
        "list",
        "'selector: type bits' of every key found, e.g. 'google: rsa 2048'; 'selector: revoked (empty p=)' or"
        " 'selector: rsa unreadable' for a key that cannot verify",
    ),
    Column("dkim_min_bits", "int", "the size of the smallest RSA key found"),
    Column("dkim_weak", "bool", "a key is too short to be trusted (under 2048-bit RSA)"),
    Column(
        "mta_sts",
        "str",
        "MTA-STS: the policy's mode (enforce, testing, none), 'unusable' (a record but no valid policy), or 'none'"
        " (no record); empty unless probed (--probe-mx)",
    ),
    Column("tls_rpt", "bool", "a TLS-RPT record is published; empty unless probed (--probe-mx)"),
    Column("dane", "bool", "TLSA records (DANE) are published for the MX hosts; empty unless probed (--probe-mx)"),
    Column(
        "mx_starttls",
        "bool",
        "every MX address reached offers STARTTLS with a certificate valid for its name; empty unless probed, or"
        " when no MX could be reached (port 25 blocked)",
    ),
    Column("resolver", "str", "the DNS servers asked"),
    Column("checked_at", "time", "when the check of this domain started (UTC)"),
    Column("seconds", "float", "how long the check of this domain took"),
    Column("dns_queries", "int", "distinct DNS questions the domain's check asked (cached answers included)"),
)
NAMES = tuple(c.name for c in COLUMNS)
# Columns that results written by an earlier smtpkit lack: read as empty, so last month's run can still be
# compared or resumed.
ADDED_LATER = frozenset({"severities"})

# Findings that mean "this was not read", not "this is wrong": a row with one of them could not be checked.
_NOT_READ = {"mx.lookup_failed", "spf.dns_error", "dkim.key_lookup_failed", "dmarc.lookup_failed"}
# Findings that say the resolver, not the domain, is the problem (check_domain calls them "could not check").
_RESOLVER_SAYS_NOTHING = {"domain.resolver_filtered", "domain.resolver_broken"}
# Findings that say something could not be looked at from here (a lookup that failed, port 25 that this
# network blocks), not that the domain is wrong: the row records them as info, so they count in neither
# n_warn nor the grade. Port 25 blocked here gave every probed domain a warning, and grade B at best.
NOT_CHECKED_HERE = _NOT_READ | {"mx.tls.port25_blocked"}
_RANK = {Severity.INFO: 0, Severity.WARN: 1, Severity.FAIL: 2}
_LEADING_INT = re.compile(r"^\s*(\d+)")


def empty_row(position: int, text: str, domain: str) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(NAMES)
    row.update(position=position, input=text, domain=domain, codes=[], status_reason="")
    for name in ("severities", "mx_hosts", "mx_problems", "dmarc_rua", "dkim_selectors", "dkim_keys"):
        row[name] = []
    return row


def invalid_row(position: int, text: str, reason: str) -> dict[str, Any]:
    row = empty_row(position, text, "")
    row["domain"] = None  # no domain was checked
    row.update(status=INVALID, status_reason=reason, n_fail=0, n_warn=0)
    return row


def _int(value: Any) -> int | None:
    m = _LEADING_INT.match(str(value)) if value is not None else None
    return int(m.group(1)) if m else None


def _worst(severities: Sequence[Severity]) -> str:
    if not severities:
        return "pass"
    return max(severities, key=lambda s: _RANK[s]).value


def grade(n_fail: int, n_warn: int) -> str:
    """A: nothing to fix; B: warnings only; C, D: one or two failing findings; F: three or more."""
    if n_fail >= 3:
        return "F"
    if n_fail == 2:
        return "D"
    if n_fail == 1:
        return "C"
    return "B" if n_warn else "A"


def _unread(view: DomainResolver, domain: str) -> list[str]:
    """The domain's own records that could not be read: its MX, its TXT (SPF) and its DMARC policy first,
    then any other name of the domain it asked (a DKIM selector, an SPF include of its own, its address).

    Any of them unread makes the row "could not check": a DKIM selector that timed out would otherwise
    read as "no DKIM key found", a finding made of missing data.
    """
    out = []
    main = ((domain, "MX", "MX"), (domain, "TXT", "TXT (SPF)"), (f"_dmarc.{domain}", "TXT", "DMARC"))
    for name, rdtype, label in main:
        ans = view.answer(name, rdtype)
        if ans is not None and ans.failed:
            out.append(f"{label}: {ans.status}")
    if out:
        return out  # the domain's DNS did not answer: its other names say nothing more
    seen = {(name, rdtype) for name, rdtype, _label in main}
    others = sorted(
        f"{name} {rdtype}: {ans.status}"
        for (name, rdtype), ans in view.answers.items()
        if ans.failed and (name, rdtype) not in seen and (name == domain or name.endswith("." + domain))
    )
    if len(others) > 3:
        others = others[:3] + [f"and {len(others) - 3} more"]
    return others


def _mx(row: dict[str, Any], step: Step | None, view: DomainResolver, domain: str) -> None:
    ans = view.answer(domain, "MX")
    if ans is not None and ans.ok:
        pairs = sorted((int(r.preference), r.exchange.to_text().rstrip(".") or ".") for r in ans.records)
        row["mx_hosts"] = [host for _pref, host in pairs]
        row["mx_null"] = any(host == "." for _pref, host in pairs)
    elif ans is not None and ans.void:
        row["mx_null"] = False
    if step is not None:
        row["mx_problems"] = [
            f"{r['exchange']}: {r['problem']}"
            for r in step.tables.get("mail servers", [])
            if r.get("problem") and r.get("exchange") != "."
        ]


def _spf(row: dict[str, Any], step: Step | None) -> None:
    if step is None:
        return
    record = step.details.get("record")
    if isinstance(record, str) and record != "(none)":
        row["spf_record"] = record
        row["spf_lookups"] = _int(step.details.get("lookups used"))
        row["spf_voids"] = _int(step.details.get("void lookups"))
        term = parse_spf(record).all_term
        row["spf_all"] = (term.qualifier or "+") + "all" if term is not None else ""
    row["spf_lint"] = _worst([f.severity for f in step.findings if f.code not in _NOT_READ])


def _dmarc(row: dict[str, Any], step: Step | None) -> None:
    if step is None:
        return
    row["dmarc_org_domain"] = step.details.get("organizational domain")
    record = step.details.get("record")
    if not isinstance(record, str):
        return
    rec = parse_dmarc(record)
    if not rec.valid:
        return
    row["dmarc_policy"] = rec.policy
    row["dmarc_sp"] = rec.subdomain_policy
    row["dmarc_pct"] = rec.pct
    row["dmarc_enforced"] = rec.policy in ("quarantine", "reject")
    row["dmarc_rua"] = [u.address for u in rec.rua]
    external = [r for r in step.tables.get("report destinations", []) if r.get("tag") == "rua" and r.get("external")]
    if external:
        said = [r.get("authorised") for r in external]
        row["dmarc_rua_authorised"] = (
            None if any(s not in ("yes", "NO") for s in said) else all(s == "yes" for s in said)
        )


def _dkim(row: dict[str, Any], step: Step | None, view: DomainResolver, domain: str) -> None:
    if step is None:
        return
    keys: list[str] = []
    selectors: list[str] = []
    rsa_bits: list[int] = []
    for r in step.tables.get("keys", []):
        ans = view.answer(key_name(str(r.get("selector")), domain), "TXT")
        texts = [t for t in (ans.texts if ans is not None and ans.ok else []) if looks_like_dkim(t)]
        if not texts:
            continue
        rec = parse_key_record(texts[0])
        selectors.append(str(r.get("selector")))
        keys.append(f"{r.get('selector')}: {_key_text(rec)}")
        if rec.key_type == "rsa" and rec.key_bits:
            rsa_bits.append(rec.key_bits)
    row["dkim_selectors"] = selectors
    row["dkim_keys"] = keys
    row["dkim_min_bits"] = min(rsa_bits) if rsa_bits else None
    row["dkim_weak"] = any(f.code == "dkim.key_too_short" for f in step.findings) if selectors else None


#: How `dkim_keys` names a key that cannot verify anything: published empty (revoked), or not readable as a
#: key of its type. Results written before these words named both "rsa ?".
REVOKED_KEY = "revoked (empty p=)"
UNREADABLE_KEY = "unreadable"


def _key_text(rec: Any) -> str:
    """One key of `dkim_keys` after its selector: 'rsa 2048', 'ed25519 256', 'revoked (empty p=)', 'rsa unreadable'."""
    if rec.revoked:
        return REVOKED_KEY
    if not rec.key_bits:
        return f"{rec.key_type or 'key'} {UNREADABLE_KEY}"
    return f"{rec.key_type} {rec.key_bits}"


def unusable_key(text: str) -> bool:
    """A `dkim_keys` entry for a key that cannot verify a signature (revoked or unreadable)."""
    return str(text).endswith((REVOKED_KEY, UNREADABLE_KEY, "?"))


def _starttls(step: Step | None) -> bool | None:
    """Every MX address reached offered STARTTLS with a certificate valid for its name (None: none reached)."""
    rows = [r for r in (step.tables.get("MX hosts over STARTTLS", []) if step else []) if r.get("reached") == "yes"]
    if not rows:
        return None
    return all(r.get("STARTTLS") == "offered" and str(r.get("certificate", "")).startswith("valid") for r in rows)


def _inbound(row: dict[str, Any], sts: Step | None, tlsrpt: Step | None) -> None:
    """The receiving side, when it was probed (`probe_mx`): MTA-STS mode and whether TLS-RPT is published."""
    if sts is not None:
        mode = sts.details.get("mode")
        if any(f.code == "mta_sts.policy_invalid" for f in sts.findings):
            mode = None  # the mode of a policy senders ignore (it is read before the rest is found invalid)
        row["mta_sts"] = str(mode) if mode and mode != "-" else ("unusable" if "record" in sts.details else "none")
    if tlsrpt is not None:
        lookup = str(tlsrpt.details.get("lookup", ""))
        row["tls_rpt"] = (
            True if tlsrpt.details.get("record") else (False if lookup in ("nxdomain", "nodata", "ok") else None)
        )


def domain_row(
    position: int,
    text: str,
    domain: str,
    steps: Sequence[Step],
    view: DomainResolver,
    *,
    started: datetime.datetime,
    seconds: float,
    overdue: bool,
    resolver: str,
) -> dict[str, Any]:
    """The row of one checked domain: its Steps flattened, and whether it could be checked at all."""
    row = empty_row(position, text, domain)
    findings = [f for s in steps for f in s.findings]
    by_name = {s.name: s for s in steps}
    unread = _unread(view, domain)
    if not unread:
        # a step that gave up on a lookup of its own (its sub-deadline, a foreign SPF include that timed out)
        # says so with a "not read" finding: that too is a timeout, not a fact about the domain
        unread += sorted({f.title for f in findings if f.code in _NOT_READ})[:3]
    if any(f.code in _RESOLVER_SAYS_NOTHING for f in findings):
        unread.append("the resolver says a provider's own domain does not exist: it filters, it was not asked")
    if overdue:
        unread.insert(0, f"the check did not finish within the deadline of {view.budget:g}s")
    row["status"] = COULD_NOT_CHECK if unread else CHECKED
    row["status_reason"] = "; ".join(unread)
    severities = [Severity.INFO if f.code in NOT_CHECKED_HERE else f.severity for f in findings]
    row["codes"] = [f.code for f in findings]
    row["severities"] = [s.value for s in severities]
    row["n_fail"] = sum(1 for s in severities if s is Severity.FAIL)
    row["n_warn"] = sum(1 for s in severities if s is Severity.WARN)
    if not unread:
        row["worst"] = _worst(severities)
        row["grade"] = grade(row["n_fail"], row["n_warn"])
    _mx(row, by_name.get("mx"), view, domain)
    _spf(row, by_name.get("spf"))
    _dmarc(row, by_name.get("dmarc"))
    _dkim(row, by_name.get("dkim"), view, domain)
    _inbound(row, by_name.get("mta_sts"), by_name.get("tlsrpt"))
    row["mx_starttls"] = _starttls(by_name.get("mx_tls"))
    dane = by_name.get("dane")
    row["dane"] = bool(dane.tables.get("TLSA records")) if dane is not None else None
    row["resolver"] = resolver
    row["checked_at"] = started
    row["seconds"] = round(seconds, 4)
    row["dns_queries"] = len(view.answers)
    return row
