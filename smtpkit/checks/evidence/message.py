"""A received message as a Report: its journey, the receiver's verdicts, the kit's own, and the requirements.

Steps, in the order a person reads them:

* ``journey``: every Received field as a hop, oldest first, with delays; slow
  hops, clocks that run backwards, unencrypted hops between organisations, and
  the first hop outside the sender's side (the IP the receiver judged).
* ``auth-results``: Authentication-Results, Received-SPF and ARC as rows, and
  what each failing verdict means for this message.
* ``re-verification``: DKIM (dkimpy, keys through the kit's Resolver), SPF for
  the judged IP and the Return-Path, DMARC alignment, the ARC chain (dkimpy's
  ARC), side by side with the receiver's verdicts; disagreements explained.
* ``requirements``: the Gmail/Yahoo/Microsoft sender requirements on this
  message (`smtpkit.evidence.requirements`).

A bounce given to `analyze_message` also gets the bounce step. Nothing here
raises for bad input: caps and unreadable parts become findings. Without DNS
(``dns=False``) the re-verification is skipped and said so; no step ever
reports "fail" for something it could not check.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import re
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from smtpkit.evidence.authres import (
    MAX_RESULTS,
    ArcSet,
    AuthResult,
    parse_arc_sets,
    parse_authentication_results,
    parse_received_spf,
)
from smtpkit.evidence.headers import (
    MAX_FIELDS,
    MAX_HEADER_BYTES,
    MAX_INPUT_BYTES,
    RawMessage,
    decode_words,
    parse_message,
    read_source,
)
from smtpkit.evidence.received import MAX_HOPS, Hop, parse_chain
from smtpkit.knowledge import finding
from smtpkit.model import Finding, Report, Status, Step
from smtpkit.net.address import is_public
from smtpkit.record import field, record

if TYPE_CHECKING:  # dnspython is not imported until a lookup is needed
    from smtpkit.net.dns import Resolver

__all__ = ["MessageEvidence", "SLOW_HOP_SECONDS", "analyze_message", "read_evidence"]

log = logging.getLogger("smtpkit.evidence")

SLOW_HOP_SECONDS = 15 * 60  # a hop slower than this is worth a finding (greylisting retries take 5-15 min)
BACKWARDS_TOLERANCE = 120  # clocks a minute or two apart are normal; more is a wrong clock
MAX_ARC_VERIFY = 10  # ARC sets verified with dkimpy (each costs key lookups and a canonicalisation)


@record()
class MessageEvidence:
    """Everything read from one message, before any check: the facts the steps share."""

    source: str
    raw: RawMessage
    hops: list[Hop] = field(default_factory=list)
    dropped_hops: int = 0
    results: list[AuthResult] = field(default_factory=list)
    receiver: str = ""  # the authserv-id of the topmost Authentication-Results
    arc: list[ArcSet] = field(default_factory=list)
    arc_problems: list[str] = field(default_factory=list)
    judged: Hop | None = None
    judged_ip: str = ""
    from_header: str = ""
    from_domain: str = ""
    mail_from: str = ""
    subject: str = ""

    def headers_by_name(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for k, v in self.raw.fields:
            out.setdefault(k.lower(), []).append(v)
        return out

    def receiver_results(self) -> list[AuthResult]:
        """The final receiver's own statements: the topmost Authentication-Results (and Received-SPF)."""
        top = [r for r in self.results if r.source == "Authentication-Results"]
        if top:
            first = min(r.position for r in top)
            return [r for r in top if r.position == first]
        return [r for r in self.results if r.source == "Received-SPF"][:1]


# --------------------------------------------------------------------------------------------- reading


def _address(value: str) -> str:
    import email.utils

    addrs = [a for _, a in email.utils.getaddresses([value]) if "@" in a]
    return addrs[0].strip().strip("<>") if addrs else value.strip().strip("<>")


def _domain(addr: str) -> str:
    return addr.rpartition("@")[2].strip().rstrip(".>").lower() if "@" in addr else ""


def _org(name: str) -> str:
    from smtpkit.dmarc.alignment import org_domain

    n = (name or "").strip().rstrip(".").lower()
    if not n or "." not in n or _is_ip(n):
        return ""
    return org_domain(n)


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return False
    return True


def _judged_hop(hops: list[Hop]) -> Hop | None:
    """The hop at which the receiver's side accepted the message from outside (newest to oldest)."""
    receiver_org = ""
    for hop in reversed(hops):
        receiver_org = _org(hop.by)
        if receiver_org:
            break
    newest_first = list(reversed(hops))
    candidates = [h for h in newest_first if h.from_ip]
    for h in candidates:  # a public address from a name outside the receiver's organisation
        if is_public(h.from_ip) and (not receiver_org or _org(h.from_name) != receiver_org):
            return h
    for h in candidates:  # the lab and private networks: loopback/private addresses, outside names
        if receiver_org and _org(h.from_name) and _org(h.from_name) != receiver_org:
            return h
    return candidates[-1] if candidates else None


def read_evidence(source: Any) -> MessageEvidence:
    """Parse a message (bytes, pasted text or a path) into the facts every step uses."""
    data, name, cut = read_source(source)
    raw = parse_message(data, truncated_input=cut)
    ev = MessageEvidence(source=name, raw=raw)
    ev.hops, ev.dropped_hops = parse_chain(raw.get_all("Received"))
    position = 0
    for k, v in raw.fields:
        key = k.lower()
        if key not in ("authentication-results", "received-spf", "arc-authentication-results"):
            continue
        position += 1
        if len(ev.results) >= MAX_RESULTS:
            continue
        if key == "received-spf":
            ev.results.append(parse_received_spf(v, position=position))
        else:
            src = "ARC-Authentication-Results" if key.startswith("arc-") else "Authentication-Results"
            authserv, rows = parse_authentication_results(v, source=src, position=position)
            if src == "Authentication-Results" and not ev.receiver:
                ev.receiver = authserv
            ev.results.extend(rows[: MAX_RESULTS - len(ev.results)])
    ev.arc, ev.arc_problems = parse_arc_sets(
        raw.get_all("ARC-Seal"), raw.get_all("ARC-Message-Signature"), raw.get_all("ARC-Authentication-Results")
    )
    ev.from_header = decode_words(raw.get("From"))[:500]
    ev.from_domain = _domain(_address(ev.from_header))
    rp = raw.get("Return-Path")
    ev.mail_from = _address(rp) if rp.strip() not in ("", "<>") else ""
    if not ev.mail_from:
        spf_rows = [r for r in ev.receiver_results() if r.method == "spf"]
        mf = spf_rows[0].prop("smtp.mailfrom", "envelope-from") if spf_rows else ""
        ev.mail_from = mf if "@" in mf else (f"postmaster@{mf}" if mf else "")
    ev.subject = decode_words(raw.get("Subject"))[:300]
    ev.judged = _judged_hop(ev.hops)
    recorded = ""
    for r in ev.receiver_results():
        recorded = recorded or r.prop("smtp.remote-ip", "client-ip", "policy.iprev")
    ev.judged_ip = recorded if _is_ip(recorded) else (ev.judged.from_ip if ev.judged else "")
    return ev


# --------------------------------------------------------------------------------------------- journey


def _delay_words(seconds: float) -> str:
    from smtpkit.evidence.received import delay_text

    return delay_text(seconds)


def journey_step(ev: MessageEvidence) -> Step:
    start = time.monotonic()
    raw = ev.raw
    findings: list[Finding] = []
    if raw.empty:
        step = Step("journey", Status.WARN, "no header fields could be read")
        step.add(finding("message.unreadable", ev.source, problem="the input has no 'Name: value' header lines"))
        return step
    cuts = []
    if raw.truncated_input:
        cuts.append(("the input was cut", f"{MAX_INPUT_BYTES // (1024 * 1024)} MB of input"))
    if raw.truncated_headers:
        cuts.append(("the header section was cut", f"{MAX_HEADER_BYTES // 1024} KB of headers"))
    if raw.dropped_fields:
        cuts.append((f"{raw.dropped_fields} header fields were not read", f"{MAX_FIELDS} header fields"))
    for what, limit in cuts:
        findings.append(finding("message.input_truncated", f"{raw.size} bytes read", what=what, limit=limit))
    hops = ev.hops
    if ev.dropped_hops:
        findings.append(
            finding(
                "message.too_many_hops",
                f"{len(hops) + ev.dropped_hops} Received fields",
                count=len(hops) + ev.dropped_hops,
                kept=MAX_HOPS,
            )
        )
    if not hops:
        findings.append(finding("message.no_received", f"From: {ev.from_header}" if ev.from_header else ""))
    unparsed = [h for h in hops if not h.parsed or h.timestamp is None]
    if unparsed:
        notes = "; ".join(f"hop {h.index}: {h.note}" for h in unparsed[:5])
        findings.append(
            finding(
                "message.hop_unparsed",
                "\n".join(h.raw[:300] for h in unparsed[:5]),
                count=len(unparsed),
                notes=notes,
            )
        )
    previous: Hop | None = None
    slow = backwards = 0
    for h in hops:
        if h.delay is not None and previous is not None:
            prev_name = previous.by or previous.from_name or f"hop {previous.index}"
            params = {
                "hop": h.index,
                "delay": _delay_words(h.delay),
                "by": h.by or "(unnamed server)",
                "previous": prev_name,
                "id": h.id or "(none given)",
                "time": h.timestamp.strftime("%Y-%m-%d %H:%M:%S UTC") if h.timestamp else "",
            }
            if h.delay > SLOW_HOP_SECONDS and slow < 5:
                slow += 1
                findings.append(finding("message.hop_slow", h.raw[:400], **params))
            elif h.delay < -BACKWARDS_TOLERANCE and backwards < 5:
                backwards += 1
                findings.append(finding("message.clock_backwards", h.raw[:400], **params))
        if h.timestamp is not None:
            previous = h
    no_tls = 0
    for h in hops:
        fo, bo = _org(h.from_name), _org(h.by)
        if h.tls is False and fo and bo and fo != bo and no_tls < 5:
            no_tls += 1
            findings.append(
                finding(
                    "message.hop_no_tls",
                    h.raw[:400],
                    hop=h.index,
                    from_org=fo,
                    by_org=bo,
                    by=h.by,
                    sender=f"{h.from_name} [{h.from_ip}]" if h.from_ip else h.from_name,
                    protocol=h.protocol or "no TLS noted",
                )
            )
    if ev.judged is not None and ev.judged_ip:
        j = ev.judged
        findings.append(
            finding(
                "message.first_external_hop",
                j.raw[:400],
                ip=ev.judged_ip,
                name=j.from_name or "no name",
                hop=j.index,
                by=j.by or "the receiver",
                rdns=f" (reverse name {j.from_rdns})" if j.from_rdns else " (no reverse name recorded)",
                mail_from_domain=_domain(ev.mail_from) or ev.from_domain or "yourdomain",
            )
        )
    timed = [h for h in hops if h.timestamp is not None]
    total = (timed[-1].timestamp - timed[0].timestamp).total_seconds() if len(timed) >= 2 else None  # type: ignore[operator]
    summary = (
        f"{len(hops)} hop{'s' if len(hops) != 1 else ''}"
        + (f" in {_delay_words(total)}" if total is not None else "")
        + (f"; judged sender {ev.judged_ip}" if ev.judged_ip else "")
    )
    step = Step(
        "journey",
        Status.INFO if not hops else Status.PASS,
        summary,
        elapsed_ms=(time.monotonic() - start) * 1000,
        details={
            "message": ev.source,
            "From": ev.from_header,
            "Subject": ev.subject,
            "Return-Path": ev.mail_from or "(none)",
            "Message-ID": raw.get("Message-ID")[:200],
            "Date": raw.get("Date")[:100],
            "hops": len(hops),
            "total time": _delay_words(total) if total is not None else "unknown",
            "IP the receiver judged": ev.judged_ip or "unknown",
        },
        tables={"hops": [h.to_row() for h in hops]},
    )
    step.add(*findings)
    return step


# --------------------------------------------------------------------------------------------- auth-results

_SPF_MEANING = {
    "fail": "The domain's record says mail from this address is not theirs (-all): receivers may reject it.",
    "softfail": "The domain's record says this address is probably not theirs (~all): usually a spam point.",
    "permerror": "The domain's SPF record is broken (a syntax error or too many lookups), which counts as a failure.",
    "temperror": "The receiver could not look the record up at that moment (a DNS timeout).",
}


def _dmarc_why(rows: list[AuthResult], from_domain: str) -> str:
    """Why DMARC failed, from the same receiver's SPF and DKIM statements."""
    from smtpkit.dmarc.alignment import aligned

    parts: list[str] = []
    spf = next((r for r in rows if r.method == "spf"), None)
    if spf is not None:
        dom = _domain(spf.prop("smtp.mailfrom")) or spf.prop("smtp.mailfrom") or spf.prop("smtp.helo")
        if spf.result == "pass" and dom and from_domain and not aligned(dom, from_domain):
            parts.append(
                f"SPF passed, but for {dom}, the envelope sender's domain, which is not aligned with {from_domain}"
                " (typical of a sending service that uses its own bounce domain)."
            )
        elif spf.result == "pass":
            parts.append(f"SPF passed for {dom or 'the envelope sender'}.")
        else:
            parts.append(f"SPF was {spf.result} for {dom or 'the envelope sender'}.")
    dkims = [r for r in rows if r.method == "dkim"]
    for d in dkims[:3]:
        dom = d.prop("header.d") or _domain(d.prop("header.i"))
        if d.result == "pass" and dom and from_domain and not aligned(dom, from_domain):
            parts.append(f"DKIM passed for d={dom}, which is not aligned with {from_domain}.")
        elif d.result == "pass":
            parts.append(f"DKIM passed for d={dom or '?'}.")
        else:
            parts.append(f"DKIM was {d.result} for d={dom or '?'}.")
    if not dkims:
        parts.append("The message had no DKIM signature the receiver could use.")
    return " ".join(parts)


def auth_results_step(ev: MessageEvidence) -> Step:
    start = time.monotonic()
    findings: list[Finding] = []
    receiver_rows = ev.receiver_results()
    authserv = ev.receiver or (receiver_rows[0].authserv_id if receiver_rows else "") or "the receiver"
    if not any(r.source == "Authentication-Results" for r in ev.results):
        findings.append(finding("message.auth_results_missing", f"From: {ev.from_header}" if ev.from_header else ""))
    for r in receiver_rows:
        evidence = f"{r.source}: {r.authserv_id}; {r.method}={r.result} " + " ".join(
            f"{k}={v}" for k, v in r.properties.items()
        )
        if r.method == "spf" and r.result in _SPF_MEANING:
            dom = _domain(r.prop("smtp.mailfrom", "envelope-from")) or r.prop("smtp.mailfrom", "smtp.helo", "helo")
            findings.append(
                finding(
                    "message.spf_failed",
                    evidence,
                    authserv=authserv,
                    result=r.result,
                    domain=dom or _domain(ev.mail_from) or "the envelope domain",
                    ip=r.prop("smtp.remote-ip", "client-ip") or ev.judged_ip or "the sending IP",
                    meaning=_SPF_MEANING[r.result],
                )
            )
        elif r.method == "dkim" and r.result in ("fail", "permerror", "temperror", "neutral", "policy"):
            findings.append(
                finding(
                    "message.dkim_failed",
                    evidence,
                    authserv=authserv,
                    result=r.result,
                    domain=r.prop("header.d") or _domain(r.prop("header.i")) or "?",
                    reason=f", {r.reason or r.comment}" if (r.reason or r.comment) else "",
                )
            )
        elif r.method == "dmarc" and r.result in ("fail", "permerror"):
            dom = r.prop("header.from") or ev.from_domain
            findings.append(
                finding(
                    "message.dmarc_failed",
                    evidence,
                    authserv=authserv,
                    domain=dom,
                    why=_dmarc_why(receiver_rows, dom),
                )
            )
        elif r.method == "arc" and r.result == "fail":
            findings.append(
                finding(
                    "message.arc_failed",
                    evidence,
                    detail=f"the receiver said arc=fail{': ' + r.comment if r.comment else ''}",
                    instance=len(ev.arc) or "?",
                )
            )
    broken = [s for s in ev.arc if s.cv == "fail"]
    if broken and not any(f.code == "message.arc_failed" for f in findings):
        findings.append(
            finding(
                "message.arc_failed",
                f"ARC-Seal i={broken[0].instance}; cv=fail",
                detail=f"instance {broken[0].instance} sealed it with cv=fail",
                instance=broken[0].instance,
            )
        )
    elif ev.arc_problems and ev.arc and not any(f.code == "message.arc_failed" for f in findings):
        findings.append(
            finding(
                "message.arc_failed",
                "; ".join(ev.arc_problems[:3]),
                detail=ev.arc_problems[0],
                instance=ev.arc[-1].instance,
            )
        )
    verdicts = ", ".join(f"{r.method}={r.result}" for r in receiver_rows) or "none recorded"
    step = Step(
        "auth-results",
        Status.INFO if not receiver_rows else Status.PASS,
        f"{authserv}: {verdicts}" if receiver_rows else "no Authentication-Results in this copy",
        elapsed_ms=(time.monotonic() - start) * 1000,
        details={
            "receiver (authserv-id)": authserv,
            "result statements": len(ev.results),
            "ARC sets": len(ev.arc),
        },
        tables={"results": [r.to_row() for r in ev.results]},
    )
    if ev.arc:
        step.tables["arc"] = [s.to_row() for s in ev.arc]
    step.add(*findings)
    return step


# --------------------------------------------------------------------------------------------- re-verification


@record()
class Recheck:
    """The kit's own verdicts (None: not checked)."""

    dkim: str | None = None
    dkim_detail: str = ""
    spf: str | None = None
    spf_detail: str = ""
    dmarc: str | None = None
    dmarc_detail: str = ""
    dmarc_record: bool | None = None
    dmarc_policy: str = ""
    arc: str | None = None
    arc_detail: str = ""
    fcrdns: bool | None = None
    fcrdns_detail: str = ""
    findings: list[Finding] = field(default_factory=list)


def _arc_verify(ev: MessageEvidence, resolver: Resolver) -> tuple[str | None, str]:
    if not ev.arc:
        return None, "no ARC sets"
    if len(ev.arc) > MAX_ARC_VERIFY:
        return None, f"{len(ev.arc)} ARC sets: more than the {MAX_ARC_VERIFY} the kit verifies"
    import dkim

    from smtpkit.dkim.verify import DEADLINE, dkimpy_input_problem, key_dnsfunc

    # dkimpy is pure Python with super-linear corners: only bounded input and keys OpenSSL would use reach it
    problem = dkimpy_input_problem(ev.raw.raw)
    if problem:
        return None, problem
    try:
        dnsfunc = key_dnsfunc(resolver, deadline=DEADLINE)
        cv, _results, comment = dkim.arc_verify(ev.raw.raw, dnsfunc=dnsfunc, logger=_QUIET)
    except Exception as exc:  # dkimpy on hostile input: a verdict, never a traceback
        return "fail", f"the ARC chain could not be processed ({type(exc).__name__})"
    word = cv.decode("ascii", "replace") if isinstance(cv, bytes) else str(cv)
    detail = comment.decode("utf-8", "replace") if isinstance(comment, bytes) else str(comment or "")
    return word.lower(), detail


_QUIET = logging.getLogger("smtpkit.evidence.dkimpy")
_QUIET.addHandler(logging.NullHandler())
_QUIET.propagate = False


def _fcrdns(ip: str, resolver: Resolver) -> tuple[bool | None, str]:
    ans = resolver.ptr(ip)
    if ans.failed:
        return None, f"the PTR lookup failed ({ans.status})"
    names = [t.rstrip(".") for t in ans.texts]
    if not names:
        return False, f"no PTR record for {ip}"
    for name in names[:5]:
        addrs, answers = resolver.addresses(name)
        if ip in addrs or any(_same_ip(ip, a) for a in addrs):
            return True, f"PTR {name}, which resolves back to {ip}"
        if all(a.failed for a in answers):
            return None, f"PTR {name}, whose address lookup failed"
    return False, f"PTR {', '.join(names[:3])}, but no such name resolves back to {ip}"


def _same_ip(a: str, b: str) -> bool:
    try:
        return ipaddress.ip_address(a) == ipaddress.ip_address(b)
    except ValueError:
        return False


def recheck(ev: MessageEvidence, resolver: Resolver) -> Recheck:
    """DKIM, SPF, DMARC, ARC and reverse DNS, verified again now through `resolver`."""
    from smtpkit.checks.domain.message import signature_findings
    from smtpkit.dkim.verify import verify_message
    from smtpkit.dmarc.alignment import check_alignment
    from smtpkit.dmarc.discovery import discover
    from smtpkit.spf.evaluator import check_identity

    out = Recheck()
    v = verify_message(ev.raw.raw, resolver)
    if v.signatures:
        passed = v.passed
        out.dkim = "pass" if passed else v.signatures[0].result
        out.dkim_detail = "; ".join(f"d={s.domain} s={s.selector}: {s.result}" for s in v.signatures[:5])
        for s in v.signatures:
            out.findings += signature_findings(s, others_pass=any(p is not s for p in passed))
    elif not v.message_problem:
        out.dkim, out.dkim_detail = "none", "no DKIM-Signature"
    helo = ev.judged.from_helo if ev.judged else ""
    if ev.judged_ip:
        try:
            spf = check_identity(ev.judged_ip, ev.mail_from, helo or "unknown", resolver, deadline=10.0)
            out.spf = spf.result.value
            out.spf_detail = f"{ev.judged_ip} for {spf.domain}: {spf.explanation}"[:300]
        except ValueError as exc:
            out.spf_detail = f"not evaluated: {exc}"
        out.fcrdns, out.fcrdns_detail = _fcrdns(ev.judged_ip, resolver)
    else:
        out.spf_detail = "not evaluated: no sending IP in the Received fields"
    if ev.from_domain:
        disc = discover(ev.from_domain, resolver)
        rec = disc.record
        if disc.failed is not None:
            out.dmarc_detail = f"the DMARC lookup failed for {ev.from_domain}"
        else:
            out.dmarc_record = bool(rec and rec.valid)
            # what receivers apply to this From domain: p=, or an inherited record's sp= (issue 8 §6)
            out.dmarc_policy = (disc.policy_in_effect() or ("p", ""))[1]
            rows = check_alignment(
                ev.from_domain,
                spf_domain=_domain(ev.mail_from) or None,
                spf_pass=None if out.spf is None else out.spf == "pass",
                dkim=[(s.domain, s.passed) for s in v.signatures if s.domain],
                adkim=rec.adkim if rec and rec.valid else "r",
                aspf=rec.aspf if rec and rec.valid else "r",
            )
            ok = any(r.aligned and r.authenticated is True for r in rows)
            if not out.dmarc_record:
                out.dmarc, out.dmarc_detail = "none", f"{ev.from_domain} publishes no DMARC policy"
            else:
                out.dmarc = "pass" if ok else "fail"
                out.dmarc_detail = (
                    "; ".join(
                        f"{r.identifier} {r.domain}: {'aligned' if r.aligned else 'not aligned'},"
                        f" {({True: 'pass', False: 'fail', None: 'not checked'})[r.authenticated]}"
                        for r in rows
                    )
                    or "no identifier to align"
                )
    out.arc, out.arc_detail = _arc_verify(ev, resolver)
    return out


_WHY = {
    "dkim": (
        "A DKIM verdict changes after delivery when the key in DNS was rotated or removed since (a signature "
        "made with an old key then fails), when the copy you saved differs from what arrived (a forwarder, a "
        "mailing list or your mail program changed the body or a signed header), or when the signature has an "
        "l= tag and content was added after the signed length."
    ),
    "spf": (
        "SPF depends on the sending IP and the DNS at that moment: the record may have changed since, the kit "
        "may have judged a different hop than the receiver (a forwarder's IP), or the receiver evaluated the "
        "HELO name instead of an empty envelope sender."
    ),
    "dmarc": (
        "DMARC follows from SPF and DKIM: when either of those differs (see above), or the DMARC record changed, "
        "the outcome differs too. Receivers may also apply local policy or ARC to override a DMARC failure."
    ),
    "arc": (
        "ARC seals are verified with the sealers' keys as published now; a rotated key or a message changed after "
        "the last seal breaks the chain."
    ),
}


def _receiver_verdict(rows: list[AuthResult], method: str) -> str | None:
    rs = [r.result for r in rows if r.method == method]
    if not rs:
        return None
    return "pass" if "pass" in rs else rs[0]


def recheck_step(ev: MessageEvidence, resolver: Resolver | None, why_skipped: str = "") -> tuple[Step, Recheck | None]:
    start = time.monotonic()
    receiver = ev.receiver_results()
    if resolver is None:
        step = Step("re-verification", Status.SKIP, f"not re-verified: {why_skipped}")
        step.add(finding("message.recheck_skipped", "", why=why_skipped))
        step.tables["verdicts"] = [
            {
                "method": m,
                "receiver said": _receiver_verdict(receiver, m) or "(not recorded)",
                "kit says": "not checked",
            }
            for m in ("spf", "dkim", "dmarc", "arc")
        ]
        return step, None
    rc = recheck(ev, resolver)
    rows: list[dict[str, Any]] = []
    findings: list[Finding] = list(rc.findings)
    for method, kit, detail in (
        ("spf", rc.spf, rc.spf_detail),
        ("dkim", rc.dkim, rc.dkim_detail),
        ("dmarc", rc.dmarc, rc.dmarc_detail),
        ("arc", rc.arc, rc.arc_detail),
    ):
        said = _receiver_verdict(receiver, method)
        agree = "" if said is None or kit is None else ("yes" if said == kit else "NO")
        rows.append(
            {
                "method": method,
                "receiver said": said or "(not recorded)",
                "kit says": kit or "not checked",
                "agree": agree,
                "kit's detail": detail,
            }
        )
        if agree == "NO" and not (said == "none" or kit == "none"):
            hint = {
                "dkim": "If the kit fails it now but the receiver passed it, check whether the key was rotated.",
                "spf": "Check the SPF record with `smtpkit spf DOMAIN --ip IP` for the IP in the journey step.",
                "dmarc": "Fix the SPF or DKIM difference first; DMARC follows.",
                "arc": "Only the intermediary that sealed the message can fix its ARC keys.",
            }[method]
            findings.append(
                finding(
                    "message.verdict_differs",
                    f"receiver: {method}={said}; kit: {method}={kit} ({detail[:200]})",
                    method=method.upper(),
                    receiver=said,
                    kit=kit,
                    why=_WHY[method],
                    fix_hint=hint,
                )
            )
    step = Step(
        "re-verification",
        Status.PASS,
        "kit: " + ", ".join(f"{r['method']}={r['kit says']}" for r in rows),
        elapsed_ms=(time.monotonic() - start) * 1000,
        details={"sending IP checked": ev.judged_ip or "(none)", "envelope sender": ev.mail_from or "(none)"},
        tables={"verdicts": rows},
    )
    step.add(*findings)
    return step, rc


# --------------------------------------------------------------------------------------------- requirements


def requirements_step(ev: MessageEvidence, rc: Recheck | None) -> Step:
    from smtpkit.evidence.requirements import NOT_MET, Facts, check_requirements

    start = time.monotonic()
    receiver = ev.receiver_results()
    f = Facts(from_domain=ev.from_domain, ip=ev.judged_ip, headers=ev.headers_by_name())

    def pick(kit: str | None, method: str) -> tuple[str | None, str]:
        if kit is not None and kit != "none" or (kit == "none" and method == "dkim"):
            return kit, "the kit, now"
        said = _receiver_verdict(receiver, method)
        return (
            (said, f"the receiver ({ev.receiver or 'Received-SPF'})") if said else (kit, "the kit, now" if kit else "")
        )

    f.spf, f.spf_source = pick(rc.spf if rc else None, "spf")
    f.dkim, f.dkim_source = pick(rc.dkim if rc else None, "dkim")
    f.dmarc, f.dmarc_source = pick(rc.dmarc if rc else None, "dmarc")
    if rc is not None:
        f.dmarc_record, f.dmarc_policy = rc.dmarc_record, rc.dmarc_policy
        f.fcrdns, f.fcrdns_detail = rc.fcrdns, rc.fcrdns_detail
    else:
        said = _receiver_verdict(receiver, "dmarc")
        if said in ("pass", "fail", "quarantine", "reject"):
            f.dmarc_record = True
            f.dmarc_policy = "(as the receiver applied it)"
        if ev.judged and ev.judged.from_rdns:
            f.fcrdns_detail = f"the receiver recorded the reverse name {ev.judged.from_rdns} (not re-checked)"
        elif ev.judged and "unknown" in ev.judged.raw.lower():
            f.fcrdns, f.fcrdns_detail = False, "the receiver recorded 'unknown': no reverse name"
    j = ev.judged
    if j is not None:
        f.tls = j.tls
        f.tls_detail = f"hop {j.index} ({j.from_name or j.from_ip} -> {j.by}): with {j.protocol or '?'}" + (
            f", {j.tls_version}" if j.tls_version else ""
        )
    reqs = check_requirements(f)
    findings: list[Finding] = []
    for r in reqs:
        if r.status != NOT_MET or not r.code:
            continue
        if r.code == "message.ptr_missing":
            findings.append(finding(r.code, r.evidence, ip=ev.judged_ip, detail=r.evidence))
        elif r.code == "message.list_unsubscribe_missing":
            from smtpkit.evidence.requirements import bulk_signs

            findings.append(
                finding(r.code, r.evidence, signs=", ".join(bulk_signs(f.headers)) or "bulk headers", detail=r.evidence)
            )
        else:
            findings.append(finding(r.code, r.evidence, detail=r.evidence))
    met = sum(1 for r in reqs if r.status == "met")
    unmet = sum(1 for r in reqs if r.status == NOT_MET)
    step = Step(
        "requirements",
        Status.PASS if not unmet else Status.WARN,
        f"{met} met, {unmet} not met, {len(reqs) - met - unmet} cannot tell (Gmail, Yahoo, Microsoft since 2024)",
        elapsed_ms=(time.monotonic() - start) * 1000,
        tables={"requirements": [r.to_row() for r in reqs]},
    )
    step.add(*findings)
    return step


# --------------------------------------------------------------------------------------------- entry


def analyze_message(
    source: bytes | str | os.PathLike[str],
    *,
    resolver: Resolver | None = None,
    nameservers: list[str] | None = None,
    dns: bool = True,
    timeout: float = 2.0,
) -> Report:
    """Analyse a received message: an .eml path, its bytes, or the text pasted from "Show original".

    Returns a `Report` with the steps journey, auth-results, re-verification
    and requirements (plus bounce, when the message is one). With ``dns=False``
    nothing is looked up and the re-verification says so. Raises
    `smtpkit.errors.InvalidSettings` for a path that does not exist; every
    problem with the message itself is a finding.
    """
    from smtpkit.errors import InvalidSettings

    try:
        ev = read_evidence(source)
    except FileNotFoundError as exc:
        raise InvalidSettings(str(exc), field="source") from None
    except OSError as exc:
        raise InvalidSettings(
            f"{exc.filename or 'the file'}: cannot read it ({exc.strerror})", field="source"
        ) from None
    steps = [journey_step(ev)]
    if not ev.raw.empty:
        steps.append(auth_results_step(ev))
        why = ""
        if not dns:
            why = "DNS lookups were turned off (--no-dns)"
            resolver = None
        elif resolver is None:
            from smtpkit.net.dns import Resolver

            try:
                resolver = Resolver(nameservers=nameservers, timeout=timeout)
            except ValueError as exc:
                why = f"no DNS resolver could be set up ({exc})"
        step, rc = recheck_step(ev, resolver, why)
        steps.append(step)
        steps.append(requirements_step(ev, rc))
        bounce = _bounce_step(ev)
        if bounce is not None:
            steps.insert(0, bounce)
    target: Mapping[str, Any] = {"message": ev.source, "From": ev.from_header, "Subject": ev.subject}
    return Report(target=dict(target), steps=steps, title="smtpkit message")


_BOUNCE_HINT = re.compile(
    r"mailer-daemon|postmaster|mail delivery|undeliver|delivery (status|fail)|failure notice|returned mail|<>",
    re.IGNORECASE,
)


def _bounce_step(ev: MessageEvidence) -> Step | None:
    """The bounce step, when the message is a bounce (cheap to try: most messages are not)."""
    from smtpkit.checks.evidence.bounce import bounce_step
    from smtpkit.evidence.bounce import parse_bounce

    raw = ev.raw
    looks = (
        raw.get("X-Failed-Recipients")
        or "report" in raw.get("Content-Type").lower()
        or _BOUNCE_HINT.search(raw.get("From") + " " + raw.get("Subject") + " " + raw.get("Return-Path"))
    )
    if not looks:  # most messages are not bounces: skip the MIME parse (and its memory) for them
        return None
    b = parse_bounce(raw.raw)
    if not b.is_bounce:
        return None
    step = bounce_step(b)
    step.add(
        finding("message.is_bounce", f"Subject: {ev.subject}", kind="a DSN" if b.kind == "dsn" else "a text bounce")
    )
    return step
