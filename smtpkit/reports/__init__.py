"""DMARC aggregate and TLS-RPT reports: from a mailbox of XML files to "who fails, why, and what p=reject would break".

>>> import smtpkit.reports                                   # doctest: +SKIP
>>> rs = smtpkit.reports.load("reports/", offline=True)     # doctest: +SKIP
>>> rs.senders                      # one row per named sender, its pass rate and why it fails
>>> rs.simulate()                   # what p=quarantine / p=reject would have done
>>> rs.check()                      # the findings, each with its fix (a smtpkit.Report)

Modules: `ingest` (files, folders, archives, mail; detected by content, with
caps), `dmarc` (aggregate XML -> records), `tlsrpt` (TLS-RPT JSON -> tls),
`senders` (source IPs -> named senders), `policy` (the simulation and the next
step), `charts`, `scale` (Dask), `loader` (`load`), `reportset` (`ReportSet`).
Columns of every table: ``docs/reports.md``.
"""

from __future__ import annotations

from typing import Any

from smtpkit.reports.ingest import Limits, Problem
from smtpkit.reports.loader import load, load_uploads, parse_file
from smtpkit.reports.reportset import ReportSet
from smtpkit.reports.senders import SenderMap

__all__ = ["Limits", "Problem", "ReportSet", "SenderMap", "load", "load_uploads", "parse_file", "to_dask"]


def to_dask(paths: Any, *, limits: Limits | None = None, dedupe: bool = True) -> Any:
    """The records of a folder as a Dask DataFrame, one partition per file (see `smtpkit.reports.scale.to_dask`).

    Imported on use: Dask is optional (``pip install smtpkit[dask]``).
    """
    from smtpkit.reports import scale

    return scale.to_dask(paths, limits=limits, dedupe=dedupe)
