"""A month of DMARC aggregate and TLS-RPT reports for the lab's domains, generated the same way every time.

What a person sees after publishing ``rua=`` for a month, in miniature, for
`DOMAIN` (``dmarc-rollout.test``, published with ``p=none`` by the lab zone
`smtpkit.lab.zones.reports`): several receivers reporting daily in every
container real receivers use (a zip, a ``.xml.gz``, plain XML in the DMARCbis
schema, a gzip attached to a message, an RFC 7489 report without
``<version>``), and these senders:

* the domain's own server and Google Workspace: aligned, passing;
* Amazon SES signing with its own domain (DKIM not aligned), SendGrid without
  DKIM, a CRM (Salesforce) not in the SPF record, Mailgun with a broken DKIM
  key, Zendesk passing SPF only for its own domain: legitimate senders that
  fail, each for another reason;
* a mailing list that breaks DKIM (the receiver says ``mailing_list``) and a
  forwarding service (Pobox): forwarded mail;
* spoofing from addresses with no reverse DNS and from a dynamic-IP range;

plus TLS-RPT reports with every kind of failure (no STARTTLS on a backup MX,
an expired certificate, an unreachable MTA-STS policy, a TLSA mismatch, a
validation failure), one broken file, one report delivered twice, and two
weeks of clean reports for the enforcing lab domain ``smtpkit.test``.

The source IPs are documentation addresses (RFC 5737); the lab DNS server
publishes their reverse DNS (`smtpkit.lab.zones.reports`), so naming the
senders works offline against the lab.

`write_month(folder)` writes the files; `synthetic_report(n)` makes one large
report for the benchmarks.
"""

from __future__ import annotations

import datetime as dt
import email.message
import email.policy
import email.utils
import gzip
import io
import json
import os
import random
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

__all__ = [
    "DOMAIN",
    "ENFORCED_DOMAIN",
    "SOURCES",
    "START",
    "generate",
    "month_folder",
    "ptr_records",
    "read",
    "synthetic_report",
    "write_month",
]

DOMAIN = "dmarc-rollout.test"
ENFORCED_DOMAIN = "smtpkit.test"
START = dt.date(2026, 3, 1)
DAYS = 30
SEED = 20260301
DMARC_RECORD = f"v=DMARC1; p=none; rua=mailto:dmarc-reports@{DOMAIN}; adkim=r; aspf=r"


@dataclass(frozen=True)
class Source:
    """One sending IP and what receivers saw from it: a row of the month's records."""

    ip: str
    ptr: str | None
    per_day: float
    envelope_from: str
    spf: tuple[str, str]  # (domain, result)
    dkim: tuple[tuple[str, str, str], ...] = ()  # (domain, selector, result)
    reason: tuple[str, str] | None = None  # (type, comment) the receiver states
    days: tuple[int, ...] | None = None  # days of the month it sent on (None: every day)
    header_from: str = DOMAIN


_OWN = ((DOMAIN, "mail2026", "pass"),)
SOURCES: tuple[Source, ...] = (
    Source("192.0.2.201", f"mail.{DOMAIN}", 320, DOMAIN, (DOMAIN, "pass"), _OWN),
    Source("192.0.2.202", "mail-sor-f41.google.com", 210, DOMAIN, (DOMAIN, "pass"), ((DOMAIN, "google", "pass"),)),
    Source(
        "198.51.100.201",
        "a201-12.smtp-out.amazonses.com",
        150,
        "eu-west-1.amazonses.com",
        ("eu-west-1.amazonses.com", "pass"),
        (("amazonses.com", "224i4yxa5dv7c2xz3womw6peuasteono", "pass"),),
    ),
    Source(
        "198.51.100.202",
        "a202-7.smtp-out.amazonses.com",
        60,
        "eu-west-1.amazonses.com",
        ("eu-west-1.amazonses.com", "pass"),
        (("amazonses.com", "224i4yxa5dv7c2xz3womw6peuasteono", "pass"),),
    ),
    Source("198.51.100.203", "o1.ptr4410.sendgrid.net", 45, "bounces.sendgrid.net", ("bounces.sendgrid.net", "pass")),
    Source("198.51.100.204", "smtp04-ia4-sp3.mta.salesforce.com", 22, DOMAIN, (DOMAIN, "fail")),
    Source(
        "198.51.100.205",
        "m205-1.mailgun.net",
        18,
        "mg.mailgun.org",
        ("mg.mailgun.org", "pass"),
        ((DOMAIN, "mg", "fail"),),
    ),
    Source(
        "198.51.100.206",
        "outbyip206.zendesk.com",
        9,
        "zendesk.com",
        ("zendesk.com", "pass"),
        (("zendesk.com", "zendesk1", "permerror"),),
    ),
    Source(
        "203.0.113.201",
        "lists.hobby-club.test",
        12,
        DOMAIN,
        (DOMAIN, "fail"),
        ((DOMAIN, "mail2026", "fail"),),
        reason=("mailing_list", "list munges subject"),
    ),
    Source("203.0.113.202", "mx202.pobox.com", 14, DOMAIN, (DOMAIN, "softfail"), ((DOMAIN, "mail2026", "pass"),)),
    Source("203.0.113.203", "mx203.pobox.com", 4, DOMAIN, (DOMAIN, "softfail"), ((DOMAIN, "mail2026", "fail"),)),
    Source("203.0.113.220", None, 3, DOMAIN, (DOMAIN, "fail"), days=(2, 3, 9, 16, 17, 23, 28)),
    Source("203.0.113.221", None, 2, "mailer.invalid", ("mailer.invalid", "none"), days=(5, 6, 12, 19)),
    Source("203.0.113.222", None, 6, DOMAIN, (DOMAIN, "fail"), days=(14,)),
    Source(
        "203.0.113.230",
        "host-203-0-113-230.dyn.cheap-isp.test",
        4,
        DOMAIN,
        (DOMAIN, "fail"),
        days=(7, 8, 20, 21, 22),
    ),
)

# the enforcing lab domain: its own server only, strict alignment, every message passing
_ENFORCED = Source(
    "127.0.0.1",
    f"mail.{ENFORCED_DOMAIN}",
    40,
    ENFORCED_DOMAIN,
    (ENFORCED_DOMAIN, "pass"),
    ((ENFORCED_DOMAIN, "lab", "pass"),),
    header_from=ENFORCED_DOMAIN,
)


@dataclass(frozen=True)
class Reporter:
    """A receiving organisation, the share of the domain's mail it sees, and how it sends reports."""

    org: str
    email: str
    share: float
    container: str  # zip | gz | xml | eml
    schema: str  # rfc7489 | dmarcbis | draft
    every: int = 1  # reports every `every` days (covering those days)
    extra: dict[str, str] = field(default_factory=dict)


REPORTERS = (
    Reporter("Receiver One Mail", "dmarc-noreply@receiver-one.test", 0.45, "zip", "rfc7489"),
    Reporter("receiver-two.test", "dmarcreport@receiver-two.test", 0.30, "gz", "rfc7489"),
    Reporter("Receiver Three", "reports@receiver-three.test", 0.15, "xml", "dmarcbis"),
    Reporter("Small ISP", "postmaster@small-isp.test", 0.10, "eml", "draft", every=7),
)


def _stamp(day: dt.date) -> int:
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp())


def _record(src: Source, count: int, schema: str) -> str:
    reason = ""
    if src.reason:
        reason = f"<reason><type>{escape(src.reason[0])}</type><comment>{escape(src.reason[1])}</comment></reason>"
    dkim_eval = "pass" if any(r == "pass" and d.endswith(src.header_from) for d, _s, r in src.dkim) else "fail"
    spf_eval = "pass" if src.spf[1] == "pass" and src.spf[0].endswith(src.header_from) else "fail"
    disposition = "pass" if schema == "dmarcbis" and "pass" in (dkim_eval, spf_eval) else "none"
    dkim = "".join(
        f"<dkim><domain>{escape(d)}</domain><selector>{escape(s)}</selector><result>{escape(r)}</result></dkim>"
        for d, s, r in src.dkim
    )
    scope = "" if schema == "dmarcbis" else "<scope>mfrom</scope>"
    return (
        "  <record>\n"
        f"    <row><source_ip>{src.ip}</source_ip><count>{count}</count>"
        f"<policy_evaluated><disposition>{disposition}</disposition><dkim>{dkim_eval}</dkim><spf>{spf_eval}</spf>"
        f"{reason}</policy_evaluated></row>\n"
        f"    <identifiers><envelope_from>{escape(src.envelope_from)}</envelope_from>"
        f"<header_from>{escape(src.header_from)}</header_from></identifiers>\n"
        f"    <auth_results>{dkim}<spf><domain>{escape(src.spf[0])}</domain>{scope}"
        f"<result>{escape(src.spf[1])}</result></spf></auth_results>\n"
        "  </record>\n"
    )


def aggregate_xml(
    reporter: Reporter,
    report_id: str,
    begin: int,
    end: int,
    domain: str,
    policy: dict[str, str],
    records: Iterable[tuple[Source, int]],
) -> bytes:
    """One aggregate report in `reporter.schema`."""
    bis = reporter.schema == "dmarcbis"
    head = '<?xml version="1.0" encoding="UTF-8"?>\n'
    head += '<feedback xmlns="urn:ietf:params:xml:ns:dmarc-2.0">\n' if bis else "<feedback>\n"
    if reporter.schema != "draft":
        head += "  <version>1.0</version>\n"
    meta = (
        f"  <report_metadata><org_name>{escape(reporter.org)}</org_name><email>{escape(reporter.email)}</email>"
        f"<report_id>{escape(report_id)}</report_id><date_range><begin>{begin}</begin><end>{end}</end></date_range>"
        + ("<generator>smtpkit practice lab</generator>" if bis else "")
        + "</report_metadata>\n"
    )
    tags = ["domain", "adkim", "aspf", "p", "sp"] + (["np", "testing", "discovery_method"] if bis else ["pct"])
    values = {
        "domain": domain,
        "np": policy.get("p", "none"),
        "testing": "n",
        "discovery_method": "treewalk",
        "pct": "100",
        "sp": policy.get("p", "none"),
        **policy,
    }
    pol = "".join(f"<{t}>{escape(values[t])}</{t}>" for t in tags if t in values)
    body = "".join(_record(src, n, reporter.schema) for src, n in records)
    return (head + meta + f"  <policy_published>{pol}</policy_published>\n" + body + "</feedback>\n").encode()


def _zip(name: str, data: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        z.writestr(info, data)
    return out.getvalue()


def _gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def _mail(subject: str, sender: str, attachment: bytes, filename: str, ctype: str, when: dt.date) -> bytes:
    msg = email.message.EmailMessage(policy=email.policy.SMTP)
    msg["From"] = sender
    msg["To"] = f"dmarc-reports@{DOMAIN}"
    msg["Subject"] = subject
    msg["Date"] = email.utils.format_datetime(dt.datetime(when.year, when.month, when.day, 6, 0, tzinfo=dt.UTC))
    msg["Message-ID"] = f"<{filename}@lab.smtpkit.test>"
    msg.set_content("This is an aggregate report from the smtpkit practice lab.\n")
    maintype, subtype = ctype.split("/")
    msg.add_attachment(attachment, maintype=maintype, subtype=subtype, filename=filename)
    msg.set_boundary(f"smtpkit-lab-{len(attachment)}-{when:%Y%m%d}")  # the same bytes every time
    return msg.as_bytes()


def _count(rng: random.Random, mean: float) -> int:
    return max(0, round(mean * rng.uniform(0.6, 1.4)))


def _aggregate_files(days: int, start: dt.date, rng: random.Random) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    policy = {"p": "none", "adkim": "r", "aspf": "r"}
    for rep in REPORTERS:
        receiver = rep.email.split("@")[1]
        for first in range(0, days, rep.every):
            span = range(first, min(days, first + rep.every))
            begin, end = _stamp(start + dt.timedelta(first)), _stamp(start + dt.timedelta(span[-1] + 1)) - 1
            records = []
            for src in SOURCES:
                active = [d for d in span if src.days is None or d in src.days]
                n = sum(_count(rng, src.per_day * rep.share) for _ in active)
                if n:
                    records.append((src, n))
            report_id = f"{receiver}-{DOMAIN}-{begin}"
            xml = aggregate_xml(rep, report_id, begin, end, DOMAIN, policy, records)
            stem = f"{receiver}!{DOMAIN}!{begin}!{end}"
            if rep.container == "zip":
                files[f"{stem}.zip"] = _zip(f"{stem}.xml", xml)
            elif rep.container == "gz":
                files[f"{stem}.xml.gz"] = _gz(xml)
            elif rep.container == "xml":
                files[f"{stem}.xml"] = xml
            else:
                subject = f"Report Domain: {DOMAIN} Submitter: {receiver} Report-ID: <{report_id}>"
                files[f"{stem}.eml"] = _mail(
                    subject, rep.email, _gz(xml), f"{stem}.xml.gz", "application/gzip", start + dt.timedelta(first)
                )
    # the enforcing domain: two receivers, every day, everything passing
    strict = {"p": "reject", "adkim": "s", "aspf": "s"}
    for rep in REPORTERS[:2]:
        receiver = rep.email.split("@")[1]
        for d in range(days):
            begin = _stamp(start + dt.timedelta(d))
            n = _count(rng, _ENFORCED.per_day * rep.share)
            xml = aggregate_xml(
                rep,
                f"{receiver}-{ENFORCED_DOMAIN}-{begin}",
                begin,
                begin + 86399,
                ENFORCED_DOMAIN,
                strict,
                [(_ENFORCED, n)],
            )
            files[f"{receiver}!{ENFORCED_DOMAIN}!{begin}!{begin + 86399}.xml.gz"] = _gz(xml)
    return files


# TLS-RPT: (day, result type, failed sessions, receiving MX, reason code, policy type)
_TLS_FAILURES = (
    (3, "starttls-not-supported", 14, f"mx2.{DOMAIN}", "", "sts"),
    (4, "starttls-not-supported", 9, f"mx2.{DOMAIN}", "", "sts"),
    (11, "certificate-expired", 57, f"mail.{DOMAIN}", "", "sts"),
    (12, "certificate-expired", 61, f"mail.{DOMAIN}", "", "sts"),
    (18, "sts-policy-fetch-error", 8, "", "", "sts"),
    (25, "tlsa-invalid", 5, f"mail.{DOMAIN}", "", "tlsa"),
    (26, "validation-failure", 3, f"mail.{DOMAIN}", "X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY", "sts"),
)


def _tls_report(org: str, contact: str, day: dt.date, index: int, rng: random.Random) -> dict[str, object]:
    failures = [f for f in _TLS_FAILURES if f[0] == index]
    policies: list[dict[str, object]] = []
    for ptype in ("sts", "tlsa"):
        mine = [f for f in failures if f[5] == ptype]
        if ptype == "tlsa" and not mine:
            continue
        policy: dict[str, object] = {"policy-type": ptype, "policy-domain": DOMAIN}
        if ptype == "sts":
            policy["policy-string"] = ["version: STSv1", "mode: enforce", f"mx: mail.{DOMAIN}", "max_age: 604800"]
            policy["mx-host"] = [f"mail.{DOMAIN}"]
        else:
            policy["policy-string"] = ["3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"]
            policy["mx-host"] = f"mail.{DOMAIN}"
        details = []
        for _d, rtype, n, mx, reason_code, _p in mine:
            detail: dict[str, object] = {
                "result-type": rtype,
                "sending-mta-ip": "192.0.2.77",
                "failed-session-count": max(1, round(n * rng.uniform(0.8, 1.2))),
            }
            if mx:
                detail["receiving-mx-hostname"] = mx
                detail["receiving-ip"] = "192.0.2.201"
            if reason_code:
                detail["failure-reason-code"] = reason_code
            details.append(detail)
        failed = sum(int(str(d["failed-session-count"])) for d in details)
        item: dict[str, object] = {
            "policy": policy,
            "summary": {
                "total-successful-session-count": _count(rng, 400) if ptype == "sts" else _count(rng, 40),
                "total-failure-session-count": failed,
            },
        }
        if details:
            item["failure-details"] = details
        policies.append(item)
    start = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
    return {
        "organization-name": org,
        "date-range": {
            "start-datetime": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "end-datetime": (start + dt.timedelta(seconds=86399)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
        "contact-info": contact,
        "report-id": f"{start:%Y-%m-%d}_{DOMAIN}_{org.replace(' ', '-').lower()}",
        "policies": policies,
    }


def _tls_files(days: int, start: dt.date, rng: random.Random) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for d in range(days):
        day = start + dt.timedelta(d)
        begin = _stamp(day)
        one = _tls_report("Receiver One Mail", "smtp-tls-reporting@receiver-one.test", day, d, rng)
        files[f"receiver-one.test!{DOMAIN}!{begin}!{begin + 86399}!001.json"] = json.dumps(one, indent=1).encode()
        two = _tls_report("receiver-two.test", "tlsrpt@receiver-two.test", day, d if d % 2 else -1, rng)
        name = f"receiver-two.test!{DOMAIN}!{begin}!{begin + 86399}.json.gz"
        files[f"{name[:-8]}.eml"] = _mail(
            f"Report Domain: {DOMAIN} Submitter: receiver-two.test Report-ID: <{two['report-id']}>",
            "tlsrpt@receiver-two.test",
            _gz(json.dumps(two).encode()),
            name,
            "application/tlsrpt+gzip",
            day,
        )
    return files


def generate(days: int = DAYS, *, start: dt.date = START, seed: int = SEED) -> dict[str, bytes]:
    """The month's files (name -> bytes): aggregate and TLS-RPT reports, one duplicate, one broken file."""
    rng = random.Random(seed)
    files = _aggregate_files(days, start, rng)
    files.update(_tls_files(days, start, rng))
    # a receiver that sent one report twice (under another name), and a zip cut off in transit
    first_gz = next(name for name in sorted(files) if name.endswith(".xml.gz") and DOMAIN in name)
    files[f"resent-{first_gz}"] = files[first_gz]
    first_zip = next(name for name in sorted(files) if name.endswith(".zip"))
    files[f"broken-{first_zip}"] = files[first_zip][: len(files[first_zip]) // 2]
    return files


def write_month(folder: str | os.PathLike[str], days: int = DAYS, *, start: dt.date = START) -> list[Path]:
    """Write the generated month into `folder` (created if needed); returns the files, sorted."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in sorted(generate(days, start=start).items()):
        path = out / name
        path.write_bytes(data)
        written.append(path)
    return written


_MONTH_DIR: list[Path] = []
_STALE = 24 * 3600.0  # a month folder untouched this long belongs to a process that is gone


def _sweep(tmp: Path) -> None:
    """Remove month folders that processes killed before their exit handler ran left behind (a notebook kernel
    stopped by its server, a test run interrupted): each process makes its own and removes it at exit. A folder
    still in use is made again by `month_folder` if it goes."""
    import shutil
    import time

    old = time.time() - _STALE
    for folder in tmp.glob("smtpkit-lab-reports-*"):
        try:
            if folder.is_dir() and not folder.is_symlink() and folder.stat().st_mtime < old:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            continue


def month_folder() -> Path:
    """A temporary folder holding the generated month (written once per process, removed at exit)."""
    import atexit
    import shutil
    import tempfile

    if not _MONTH_DIR or not _MONTH_DIR[0].is_dir():
        _sweep(Path(tempfile.gettempdir()))
        folder = Path(tempfile.mkdtemp(prefix="smtpkit-lab-reports-"))
        atexit.register(shutil.rmtree, folder, True)
        write_month(folder)
        _MONTH_DIR[:] = [folder]
    return _MONTH_DIR[0]


def read(lab: Any, folder: str | os.PathLike[str] | None = None, **options: Any) -> Any:
    """`smtpkit.reports.load` for a notebook: the lab's month through the lab's DNS, or your folder.

    With no `folder`, the generated month is read and its senders are named
    through the lab's DNS server (`lab` is a running lab's `LabInfo`), offline.
    With a folder of your own reports, reverse DNS goes to the system's
    resolvers (pass ``offline=True`` to skip it) and a progress bar shows while
    the files are read. Other options go to `load`.
    """
    from smtpkit.net.dns import Resolver
    from smtpkit.reports import load

    if folder is None:
        options.setdefault("resolver", Resolver(nameservers=[lab.nameserver], timeout=2.0))
        return load(month_folder(), **options)
    options.setdefault("progress", True)  # a real folder may hold thousands of files: show a progress bar
    return load(folder, **options)


def ptr_records() -> dict[str, str]:
    """The reverse DNS the lab publishes for the month's source IPs (ip -> name)."""
    return {s.ip: s.ptr for s in SOURCES if s.ptr}


def synthetic_report(records: int, *, seed: int = 1, report_id: str | None = None) -> bytes:
    """One aggregate report of `records` records drawn from the month's senders (for benchmarks and scale tests)."""
    rng = random.Random(seed)
    rep = REPORTERS[seed % 2]
    begin = _stamp(START) + 86400 * (seed % 365)
    chosen = []
    for i in range(records):
        src = SOURCES[rng.randrange(len(SOURCES))]
        ip = f"{src.ip.rsplit('.', 1)[0]}.{(i * 7 + seed) % 250 + 1}"
        chosen.append((Source(ip, src.ptr, 0, src.envelope_from, src.spf, src.dkim, src.reason), rng.randrange(1, 60)))
    rid = report_id or f"bench-{seed}"
    return aggregate_xml(rep, rid, begin, begin + 86399, DOMAIN, {"p": "none", "adkim": "r", "aspf": "r"}, chosen)
