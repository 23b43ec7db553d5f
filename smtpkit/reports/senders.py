"""Who are these IP addresses? Source IPs -> named senders, and what kind of sender each is.

An aggregate report lists IP addresses; a person needs "Amazon SES fails
alignment", not "54.240.8.23 fails". So each source IP is named from its
reverse DNS (PTR, looked up concurrently through `smtpkit.net.dns`, cached, or
skipped in offline mode) matched against a bundled map of reverse-DNS domains
to services (``data/senders.csv``, its source and licence in ``data/README.md``),
and, where the PTR says nothing, from the domain that signed (DKIM) or bounced
(SPF) for it. IPs whose reverse DNS is in your own domain are your servers.

Each named sender then gets a category from what its mail did:

* ``passing``: (almost) all its mail passes DMARC;
* ``forwarder``: a forwarding service, a mailing list, or a mailbox provider
  re-sending your signed mail (the receiver said so in ``reason``, or your own
  DKIM signature arrived broken): expected to fail, not to be "fixed";
* ``legitimate``: a known service or your own server whose mail fails
  alignment: it needs configuration (the findings say which);
* ``unknown``: nobody authenticated it at all: spoofing, or a sender nobody
  told you about.
"""

from __future__ import annotations

import asyncio
import csv
import functools
import io
import os
import re
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any

from smtpkit.aio import wait_owned
from smtpkit.dmarc.alignment import normalize, org_domain

if TYPE_CHECKING:
    import pandas as pd

    from smtpkit.net.dns import Resolver

__all__ = [
    "CATEGORIES",
    "SENDER_COLUMNS",
    "SOURCE_COLUMNS",
    "SenderMap",
    "Service",
    "clear_ptr_cache",
    "lookup_ptrs",
    "name_sources",
    "summarize_senders",
]

TYPES = (
    "email service",
    "marketing",
    "application",
    "mailbox provider",
    "forwarder",
    "email security",
    "hosting",
)
CATEGORIES = ("passing", "forwarder", "legitimate", "unknown")
FORWARDING_REASONS = ("forwarded", "mailing_list", "trusted_forwarder")
PASSING_SHARE = 0.98
UNKNOWN = "unknown (no reverse DNS)"

SOURCE_COLUMNS = ("source_ip", "ptr", "base_domain", "sender", "type", "identified_by", "messages", "dmarc_pass")
SENDER_COLUMNS = (
    "sender",
    "type",
    "category",
    "identified_by",
    "ips",
    "ptr_example",
    "messages",
    "dmarc_pass",
    "pass_rate",
    "spf_aligned",
    "dkim_aligned",
    "failure",
    "dkim_domains",
    "spf_domains",
    "header_from",
    "forwarded_share",
    "reporters",
    "first_seen",
    "last_seen",
    "spf_include",
    "docs",
)


@dataclass(frozen=True)
class Service:
    """One row of the sender map."""

    domain: str
    name: str
    type: str
    spf_include: str = ""
    docs: str = ""


#: A domain name as reports and sender maps write it (lower case, at least two labels, no trailing dot).
DOMAIN_NAME = re.compile(r"^(?=.{1,253}$)([a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}$")


class SenderMap:
    """Reverse-DNS domains (or longer suffixes) -> services; the longest matching suffix wins."""

    def __init__(self, services: Iterable[Service]) -> None:
        self._by_domain: dict[str, Service] = {}
        for s in services:
            self._by_domain[normalize(s.domain)] = s

    def __len__(self) -> int:
        return len(self._by_domain)

    def __iter__(self) -> Any:
        return iter(self._by_domain.values())

    @staticmethod
    def bundled() -> SenderMap:
        """The map shipped with smtpkit (``smtpkit/reports/data/senders.csv``)."""
        return _bundled()

    @classmethod
    def from_csv(cls, path: str | os.PathLike[str]) -> SenderMap:
        """A map from a CSV with ``domain,name,type`` (or ``base_reverse_dns,name,type``) and optional columns.

        Raises `smtpkit.errors.InvalidSettings` naming the file when it cannot be used.
        """
        from smtpkit.errors import InvalidSettings

        try:
            text = open(path, encoding="utf-8-sig").read(8 * 2**20)
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidSettings(f"sender map {path}: cannot read it ({exc})", field="sender_map") from None
        try:
            return cls(_rows(text, str(path)))
        except ValueError as exc:
            raise InvalidSettings(str(exc), field="sender_map") from None

    def merged(self, other: SenderMap) -> SenderMap:
        """This map with `other`'s rows added (and winning where both name a domain)."""
        return SenderMap([*self, *other])

    def match(self, host: str | None) -> Service | None:
        """The service whose domain is `host` or its longest listed parent."""
        if not host:
            return None
        labels = normalize(host).split(".")
        for i in range(len(labels) - 1):
            found = self._by_domain.get(".".join(labels[i:]))
            if found is not None:
                return found
        return None


@functools.lru_cache(maxsize=1)
def _bundled() -> SenderMap:
    text = resources.files("smtpkit.reports").joinpath("data/senders.csv").read_text(encoding="utf-8")
    return SenderMap(_rows(text, "smtpkit/reports/data/senders.csv"))


def _rows(text: str, where: str) -> list[Service]:
    reader = csv.DictReader(io.StringIO(text))
    fields = set(reader.fieldnames or ())
    key = "domain" if "domain" in fields else "base_reverse_dns" if "base_reverse_dns" in fields else None
    if key is None or "name" not in fields:
        raise ValueError(f"sender map {where}: needs the columns domain (or base_reverse_dns) and name")
    out = []
    for n, row in enumerate(reader, 2):
        domain = normalize(row.get(key) or "")
        if not domain or not DOMAIN_NAME.match(domain):
            raise ValueError(f"sender map {where}, line {n}: {domain!r} is not a domain name")
        out.append(
            Service(
                domain=domain,
                name=(row.get("name") or domain).strip()[:100],
                type=(row.get("type") or "").strip().lower()[:40] or "unknown",
                spf_include=(row.get("spf_include") or "").strip()[:200],
                docs=(row.get("docs") or "").strip()[:300],
            )
        )
    return out


# -- reverse DNS ----------------------------------------------------------------------------------

_PTR_CACHE: dict[tuple[tuple[str, ...], str], str | None] = {}
_PTR_LOCK = threading.Lock()


def clear_ptr_cache() -> None:
    """Forget every cached reverse DNS answer (the next `lookup_ptrs` asks again)."""
    with _PTR_LOCK:
        _PTR_CACHE.clear()


def lookup_ptrs(
    ips: Iterable[str],
    resolver: Resolver,
    *,
    concurrency: int = 32,
    deadline: float = 30.0,
) -> dict[str, str | None]:
    """The PTR name of each IP (None: no name, or no answer in time); see `ask_ptrs`."""
    return ask_ptrs(ips, resolver, concurrency=concurrency, deadline=deadline)[0]


def ask_ptrs(
    ips: Iterable[str],
    resolver: Resolver,
    *,
    concurrency: int = 32,
    deadline: float = 30.0,
) -> tuple[dict[str, str | None], int]:
    """The PTR name of each IP (None: no name, or no answer in time), asked concurrently and cached, and how
    many IPs got no answer at all (a DNS server that does not answer leaves every sender unnamed, which must
    be said: it turns real senders into "unknown" ones).

    At most `concurrency` queries are in flight; whatever has not answered when
    `deadline` seconds have passed is left unnamed (and not cached, so a later run
    asks again). Answers are cached per set of nameservers for the life of the process.
    """
    from smtpkit.dkim.selectors import run_sync

    servers = tuple(str(ns) for ns in resolver.nameservers)
    wanted = list(dict.fromkeys(ip for ip in ips if ip))
    with _PTR_LOCK:
        known = {ip: _PTR_CACHE[(servers, ip)] for ip in wanted if (servers, ip) in _PTR_CACHE}
    todo = [ip for ip in wanted if ip not in known]
    unanswered = 0
    if todo:
        found = run_sync(_ask_all(todo, resolver, concurrency, deadline))
        with _PTR_LOCK:
            for ip, (name, final) in found.items():
                if final:
                    _PTR_CACHE[(servers, ip)] = name
        known.update({ip: name for ip, (name, _final) in found.items()})
        unanswered = sum(1 for ip in todo if not found.get(ip, (None, False))[1])
    return {ip: known.get(ip) for ip in wanted}, unanswered


async def _ask_all(
    ips: list[str], resolver: Resolver, concurrency: int, deadline: float
) -> dict[str, tuple[str | None, bool]]:
    from smtpkit.net.dns import reverse_name

    gate = asyncio.Semaphore(max(1, concurrency))
    out: dict[str, tuple[str | None, bool]] = {}
    end = time.monotonic() + deadline

    async def one(ip: str) -> None:
        try:
            name = reverse_name(ip)
        except Exception:  # not an IP address at all: a broken report row
            out[ip] = (None, True)
            return
        async with gate:
            if time.monotonic() > end:
                return
            answer = await resolver.aresolve(name, "PTR")
        host = normalize(answer.texts[0]) if answer.ok and answer.texts else None
        if host and not DOMAIN_NAME.match(host):
            host = None  # a PTR that is not a host name: do not carry it around
        out[ip] = (host, not answer.failed)

    tasks = [asyncio.ensure_future(one(ip)) for ip in ips]
    _done, pending = await wait_owned(tasks, timeout=deadline + 1.0) if tasks else (set(), set())
    for task in pending:
        task.cancel()
    return out


# -- naming and grouping ----------------------------------------------------------------------------


def _top(frame: pd.DataFrame, key: str, value: str, weight: str = "count", n: int = 3) -> dict[Any, list[str]]:
    """For each `key`, its `value`s ordered by total weight (the n heaviest)."""
    if frame.empty:
        return {}
    sums = frame.groupby([key, value], observed=True)[weight].sum()
    sums = sums[sums > 0].sort_values(ascending=False, kind="stable")
    top = sums.groupby(level=0, observed=True, sort=False).head(n)
    out: dict[Any, list[str]] = {}
    for k, v in top.index.tolist():
        if v:
            out.setdefault(k, []).append(str(v))
    return out


def name_sources(
    records: pd.DataFrame,
    ptrs: Mapping[str, str | None],
    sender_map: SenderMap,
) -> pd.DataFrame:
    """One row per source IP: its reverse DNS, base domain, and the sender it belongs to (`SOURCE_COLUMNS`)."""
    import pandas as pd

    if records.empty:
        return pd.DataFrame(columns=list(SOURCE_COLUMNS))
    own = {str(d) for d in records["org_domain"].dropna().unique()} | {
        org_domain(str(d)) for d in records["policy_domain"].dropna().unique()
    }
    ip = records["source_ip"]
    messages = records["count"].groupby(ip, observed=True).sum().to_dict()
    passed = records["count"].where(records["dmarc_pass"], 0).groupby(ip, observed=True).sum().to_dict()
    dkim_pass = _top(records[records["dkim_result"] == "pass"], "source_ip", "dkim_domain")
    spf_pass = _top(records[records["spf_result"] == "pass"], "source_ip", "spf_domain")
    known: dict[tuple[str | None, tuple[str, ...]], tuple[str, str, str, str]] = {}
    rows = []
    for address, count in messages.items():
        ptr = ptrs.get(str(address))
        domains = tuple(dkim_pass.get(address, []) + spf_pass.get(address, []))
        key = (ptr, domains)
        named = known.get(key)
        if named is None:  # many IPs share a PTR domain and signing domains: name each combination once
            base = org_domain(ptr) if ptr else ""
            named = known[key] = (base, *_identify(ptr, base, list(domains), own, sender_map))
        rows.append(
            {
                "source_ip": str(address),
                "ptr": ptr or "",
                "base_domain": named[0],
                "sender": named[1],
                "type": named[2],
                "identified_by": named[3],
                "messages": int(count),
                "dmarc_pass": int(passed.get(address, 0)),
            }
        )
    return pd.DataFrame(rows, columns=list(SOURCE_COLUMNS))


def _identify(
    ptr: str | None, base: str, domains: list[str], own: set[str], sender_map: SenderMap
) -> tuple[str, str, str]:
    """(sender name, type, how it was identified) for one IP."""
    if ptr:
        service = sender_map.match(ptr)
        if service is not None:
            return service.name, service.type, "reverse DNS"
        if base in own:
            return f"{base} (your own servers)", "own", "reverse DNS"
    for domain in domains:
        service = sender_map.match(domain)
        if service is not None:
            return service.name, service.type, f"signing or bounce domain {domain}"
    if ptr:
        return base or ptr, "unknown", "reverse DNS (not in the sender map)"
    if domains:  # unnamed, but it authenticated as somebody: keep it apart from the unauthenticated rest
        who = org_domain(domains[0])
        if who in own:
            return f"{who} (your own, no reverse DNS)", "own", f"signing or bounce domain {domains[0]}"
        return f"{who} (no reverse DNS)", "unknown", f"signing or bounce domain {domains[0]}"
    return UNKNOWN, "unknown", "no reverse DNS"


def summarize_senders(records: pd.DataFrame, sources: pd.DataFrame, sender_map: SenderMap) -> pd.DataFrame:
    """One row per named sender: volume, pass rate, why it fails, and its category (`SENDER_COLUMNS`)."""
    import pandas as pd

    if records.empty:
        return pd.DataFrame(columns=list(SENDER_COLUMNS))
    ip_sender = dict(zip(sources["source_ip"], sources["sender"]))
    ip_type = dict(zip(sources["source_ip"], sources["type"]))
    ip_how = dict(zip(sources["source_ip"], sources["identified_by"]))
    sender = records["source_ip"].map(ip_sender).astype(object)
    w = records["count"]
    frame = pd.DataFrame(
        {
            "sender": sender,
            "count": w,
            "pass": w.where(records["dmarc_pass"], 0),
            "spf": w.where(records["spf_aligned"], 0),
            "dkim": w.where(records["dkim_aligned"], 0),
            "forwarded": w.where(
                records["reason"].astype(object).fillna("").str.contains("|".join(FORWARDING_REASONS)), 0
            ),
            "failure": records["failure"].astype(object),
            "dkim_domain": records["dkim_domain"].astype(object),
            "spf_domain": records["spf_domain"].astype(object),
            "header_from": records["header_from"].astype(object),
            "org_name": records["org_name"].astype(object),
            "begin": records["begin"],
            "end": records["end"],
        }
    )
    g = frame.groupby("sender", sort=False)
    sums = g[["count", "pass", "spf", "dkim", "forwarded"]].sum()
    failing = frame[frame["failure"].notna() & (frame["pass"] == 0)]
    main_failure = _top(failing, "sender", "failure", n=1)
    dkim_domains = _top(frame, "sender", "dkim_domain")
    spf_domains = _top(frame, "sender", "spf_domain")
    header_from = _top(frame, "sender", "header_from", n=1)
    reporters = g["org_name"].nunique()
    first, last = g["begin"].min(), g["end"].max()
    by_sender_ips = sources.groupby("sender")
    rows = []
    for name, s in sums.iterrows():
        ips = by_sender_ips.get_group(name) if name in by_sender_ips.groups else sources.iloc[:0]
        ptr_example = next((p for p in ips["ptr"] if p), "")
        first_ip = str(ips["source_ip"].iloc[0]) if len(ips) else ""
        stype = ip_type.get(first_ip, "unknown")
        service = sender_map.match(ptr_example) or next(
            (
                sender_map.match(d)
                for d in dkim_domains.get(name, []) + spf_domains.get(name, [])
                if sender_map.match(d)
            ),
            None,
        )
        messages = int(s["count"])
        rate = (s["pass"] / messages) if messages else 0.0
        failure = (main_failure.get(name) or [""])[0]
        category = _category(stype, rate, s["forwarded"] / messages if messages else 0.0, failure)
        rows.append(
            {
                "sender": name,
                "type": stype,
                "category": category,
                "identified_by": ip_how.get(first_ip, ""),
                "ips": len(ips),
                "ptr_example": ptr_example,
                "messages": messages,
                "dmarc_pass": int(s["pass"]),
                "pass_rate": round(float(rate), 4),
                "spf_aligned": int(s["spf"]),
                "dkim_aligned": int(s["dkim"]),
                "failure": failure,
                "dkim_domains": ", ".join(dkim_domains.get(name, [])),
                "spf_domains": ", ".join(spf_domains.get(name, [])),
                "header_from": (header_from.get(name) or [""])[0],
                "forwarded_share": round(float(s["forwarded"] / messages) if messages else 0.0, 4),
                "reporters": int(reporters.get(name, 0)),
                "first_seen": first.get(name),
                "last_seen": last.get(name),
                "spf_include": service.spf_include if service else "",
                "docs": service.docs if service else "",
            }
        )
    out = pd.DataFrame(rows, columns=list(SENDER_COLUMNS))
    return out.sort_values(["messages", "sender"], ascending=[False, True], ignore_index=True)


def _category(stype: str, pass_rate: float, forwarded_share: float, failure: str) -> str:
    """passing, forwarder, legitimate or unknown (see the module docstring)."""
    words = set(failure.replace(" ", "").split(";")) if failure else set()
    if pass_rate >= PASSING_SHARE:
        return "passing"
    if stype == "forwarder" or forwarded_share >= 0.5 or (stype == "mailbox provider" and "dkim_fail" in words):
        return "forwarder"
    if stype not in ("unknown", "") or words & {"spf_not_aligned", "dkim_not_aligned"}:
        return "legitimate"
    return "unknown"
