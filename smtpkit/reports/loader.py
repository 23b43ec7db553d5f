"""`load(paths) -> ReportSet`: every report under some files and folders, read into tables.

The one entry point for a folder of reports: files are found (`ingest`),
unpacked safely, parsed (`dmarc`, `tlsrpt`), de-duplicated by reporting
organisation and report id, filtered by domain and date, and the source IPs
are named (`senders`). Nothing here raises for what a file contains: what
cannot be read is a row of `ReportSet.problems`.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from smtpkit.reports.dmarc import AggregateTable
from smtpkit.reports.ingest import Limits, Payload, Problem, expand_paths, read_payloads
from smtpkit.reports.senders import SenderMap, ask_ptrs, name_sources, summarize_senders
from smtpkit.reports.tlsrpt import TlsTable

if TYPE_CHECKING:
    import pandas as pd

    from smtpkit.net.dns import Resolver
    from smtpkit.reports.reportset import ReportSet

__all__ = ["PROBLEM_COLUMNS", "FileResult", "load", "parse_domain", "parse_file", "parse_since", "read_tables"]

PROBLEM_COLUMNS = ("source", "kind", "reason", "size")
#: `since` as people can write it unambiguously: 2026-03-20, with a time (2026-03-20T08:00, 2026-03-20 08:00Z)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([T ][0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?$")
Paths = str | os.PathLike[str] | Iterable[str | os.PathLike[str]]


def _as_list(paths: Paths) -> list[str | os.PathLike[str]]:
    if isinstance(paths, (str, os.PathLike)):
        return [paths]
    return list(paths)


@dataclass
class FileResult:
    """What one input file held: its aggregate and TLS-RPT rows and its problems (picklable, for Dask)."""

    records: Any
    tls: Any
    tls_failures: Any
    problems: list[Problem] = field(default_factory=list)


def _feed(payloads: Iterable[Payload | Problem], aggregate: AggregateTable, tls: TlsTable) -> list[Problem]:
    problems: list[Problem] = []
    for item in payloads:
        if isinstance(item, Problem):
            problems.append(item)
        elif item.kind == "xml":
            problems.extend(aggregate.add(item))
        else:
            problems.extend(tls.add(item))
    return problems


def parse_file(path: str | os.PathLike[str], limits: Limits | None = None) -> FileResult:
    """One file's reports as tables (de-duplicated within the file only); what `to_dask` maps over files."""
    aggregate, tls = AggregateTable(), TlsTable()
    problems = _feed(read_payloads(path, limits), aggregate, tls)
    policies, failures = tls.frames()
    return FileResult(aggregate.frame(), policies, failures, problems)


def read_tables(
    files: Iterable[str | os.PathLike[str]], limits: Limits | None = None, progress: Any = None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, list[Problem]]:
    """(records, tls, tls_failures, problems) of many files, duplicates across files counted once."""
    aggregate, tls = AggregateTable(), TlsTable()
    problems: list[Problem] = []
    for path in files:
        problems.extend(_feed(read_payloads(path, limits), aggregate, tls))
        if progress is not None:
            progress.update(1)
    policies, failures = tls.frames()
    return aggregate.frame(), policies, failures, problems


def parse_since(value: str | dt.date | dt.datetime | None) -> Any:
    """`since` as a UTC timestamp (None: no limit); InvalidSettings naming the field ``since`` otherwise."""
    import pandas as pd

    from smtpkit.errors import InvalidSettings

    if value is None:
        return None
    if isinstance(value, str) and not _ISO_DATE.match(value.strip()):
        # 03/04/2026 is 3 April to some and 4 March to others: pandas guessed the second, silently
        raise InvalidSettings(
            f"{value!r} is not a date written year-month-day: give it as 2024-05-01 (a date like 03/04/2026 reads"
            " as 3 April or 4 March, depending on the country)",
            field="since",
        )
    try:
        stamp = pd.Timestamp(value.strip() if isinstance(value, str) else value)
    except (ValueError, TypeError):
        raise InvalidSettings(f"{value!r} is not a date; give one like 2024-05-01", field="since") from None
    if pd.isna(stamp):
        raise InvalidSettings(f"{value!r} is not a date; give one like 2024-05-01", field="since")
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def parse_domain(value: str | None) -> str | None:
    """`domain` lower-cased without its final dot (None: every domain); InvalidSettings naming ``domain``."""
    from smtpkit.errors import InvalidSettings
    from smtpkit.reports.senders import DOMAIN_NAME

    if value is None or not str(value).strip():
        return None
    d = str(value).strip().rstrip(".").lower()
    if not DOMAIN_NAME.match(d):
        raise InvalidSettings(f"{value!r} is not a domain name; give one like example.com", field="domain")
    return d


def filter_records(records: pd.DataFrame, domain: str | None, since: Any) -> pd.DataFrame:
    """Records about `domain` (its policy domain, or mail from it or its subdomains) ending on or after `since`."""
    from smtpkit.dmarc.alignment import org_domain

    mask = None
    if domain:
        org = org_domain(domain)
        mask = (records["policy_domain"].astype(object) == domain) | (records["org_domain"].astype(object) == org)
    if since is not None:
        recent = records["end"] >= since
        mask = recent if mask is None else (mask & recent)
    if mask is None:
        return records
    return records[mask.fillna(False).astype(bool)].reset_index(drop=True)


def filter_tls(frame: pd.DataFrame, domain: str | None, since: Any) -> pd.DataFrame:
    mask = None
    if domain:
        mask = frame["policy_domain"] == domain
    if since is not None:
        recent = frame["end"] >= since
        mask = recent if mask is None else (mask & recent)
    if mask is None:
        return frame
    return frame[mask.fillna(False).astype(bool)].reset_index(drop=True)


def _progress(total: int, enabled: bool | None) -> Any:
    if not enabled:
        return None
    from tqdm.auto import tqdm

    # leave=True: a closed bar's widget is gone, and the app (Voilà) then shows "model not found" in its place
    return tqdm(total=total, unit="file", desc="reading reports", leave=True)


def load(
    paths: Paths,
    *,
    domain: str | None = None,
    since: str | dt.date | dt.datetime | None = None,
    offline: bool = False,
    resolver: Resolver | None = None,
    sender_map: str | os.PathLike[str] | SenderMap | None = None,
    limits: Limits | None = None,
    progress: bool | None = False,
    client: Any = None,
) -> ReportSet:
    """Read every DMARC aggregate and TLS-RPT report under `paths` (files and folders) into a `ReportSet`.

    * `domain`: keep only reports about this domain (and mail from its subdomains);
      `since`: only reports whose period ends on or after this date.
    * Source IPs are named through reverse DNS, asked concurrently (`resolver`, or
      the system's resolvers); `offline=True` skips it and names senders only from
      the domains that signed or bounced for them.
    * `sender_map`: a CSV of your own ``domain,name,type`` rows added to the bundled map.
    * `limits`: the safety caps for untrusted files (`smtpkit.reports.Limits`).
    * `client`: a ``dask.distributed.Client``: files are parsed on its workers, one
      task per file (the tables still come back to this process; for folders larger
      than memory use `smtpkit.reports.to_dask`).

    Raises `smtpkit.errors.InvalidSettings` for a bad `domain`, `since` or `sender_map`;
    never for the contents of a file.
    """
    from smtpkit.reports.reportset import ReportSet

    wanted_domain = parse_domain(domain)
    wanted_since = parse_since(since)
    smap = SenderMap.bundled()
    if sender_map is not None:
        smap = smap.merged(sender_map if isinstance(sender_map, SenderMap) else SenderMap.from_csv(sender_map))
    files, problems = expand_paths(_as_list(paths))
    if client is not None:
        from smtpkit.reports.scale import read_tables_on

        records, tls, failures, more = read_tables_on(client, files, limits)
    else:
        bar = _progress(len(files), progress)
        try:
            records, tls, failures, more = read_tables(files, limits, bar)
        finally:
            if bar is not None:
                bar.close()
    problems.extend(more)
    unfiltered = _held(records, tls) if wanted_domain or wanted_since is not None else None
    records = filter_records(records, wanted_domain, wanted_since)
    tls = filter_tls(tls, wanted_domain, wanted_since)
    failures = filter_tls(failures, wanted_domain, wanted_since)
    ptrs: dict[str, str | None] = {}
    unanswered = 0
    servers: tuple[str, ...] = ()
    if not offline and not records.empty:
        if resolver is None:
            from smtpkit.net.dns import Resolver

            resolver = Resolver(timeout=2.0)
        ips = [str(ip) for ip in records["source_ip"].dropna().unique()]
        ptrs, unanswered = ask_ptrs(ips, resolver)
        servers = tuple(str(ns) for ns in resolver.nameservers)
    sources = name_sources(records, ptrs, smap)
    senders = summarize_senders(records, sources, smap)
    if not records.empty:
        ip_sender = dict(zip(sources["source_ip"], sources["sender"]))
        records = records.assign(sender=records["source_ip"].map(ip_sender).astype("category"))
    else:
        records = records.assign(sender=records["source_ip"])
    return ReportSet(
        records=records,
        senders=senders,
        sources=sources,
        tls=tls,
        tls_failures=failures,
        problems=problems_frame(problems),
        files=len(files),
        domain=wanted_domain,
        since=wanted_since,
        offline=offline,
        ptr_asked=len(ptrs),
        ptr_unanswered=unanswered,
        ptr_servers=servers,
        unfiltered=unfiltered,
    )


def _held(records: pd.DataFrame, tls: pd.DataFrame) -> dict[str, Any]:
    """What the files held before `domain` and `since` kept part of it: reports, domains, first and last day."""
    reports = records[["org_name", "report_id"]].drop_duplicates().shape[0] if not records.empty else 0
    domains = sorted(str(d) for d in records["policy_domain"].dropna().unique()) if not records.empty else []
    days = [d for d in (records["begin"].min(), records["end"].max()) if not records.empty and d == d]
    return {
        "reports": reports + int(tls[["org_name", "report_id"]].drop_duplicates().shape[0]),
        "domains": domains,
        "first": days[0].date().isoformat() if len(days) == 2 else None,
        "last": days[1].date().isoformat() if len(days) == 2 else None,
    }


def load_uploads(uploads: Iterable[Any], *, paths: Iterable[str | os.PathLike[str]] = (), **options: Any) -> ReportSet:
    """Reports uploaded through a notebook's file-upload widget (``ipywidgets.FileUpload().value``), loaded.

    Each upload is a mapping with ``name`` and ``content`` (bytes or a memoryview);
    the files are written to a private temporary folder, read with `load(**options)`
    together with any other `paths`, and removed. Names are reduced to their last path
    component, and the files that could not be used are named as they were uploaded
    ("upload: report.zip"), not by the temporary folder that no longer exists.
    """
    import re
    import tempfile

    with tempfile.TemporaryDirectory(prefix="smtpkit-uploads-") as folder:
        for n, item in enumerate(uploads):
            name = Path(str(item.get("name") or f"upload-{n}")).name or f"upload-{n}"
            (Path(folder) / f"{n:04d}-{name}").write_bytes(bytes(item.get("content") or b""))
        rs = load([folder, *paths], **options)
    if len(rs.problems):
        where = re.compile(re.escape(str(Path(folder))) + r"[/\\]\d{4}-")
        rs.problems = rs.problems.assign(
            source=rs.problems["source"].astype(str).str.replace(where, "upload: ", regex=True),
            reason=rs.problems["reason"].astype(str).str.replace(where, "upload: ", regex=True),
        )
    return rs


def problems_frame(problems: Iterable[Problem]) -> pd.DataFrame:
    import pandas as pd

    frame = pd.DataFrame([p.to_row() for p in problems], columns=list(PROBLEM_COLUMNS))
    frame["size"] = frame["size"].astype("Int64")
    return frame


def iter_files(paths: Paths) -> Iterator[Path]:
    """The files `load` would read under `paths` (in that order)."""
    files, _problems = expand_paths(_as_list(paths))
    return iter(files)
