"""`ReportSet`: the tables read from a pile of reports, and what they say.

The tables (pandas DataFrames, columns documented in ``docs/reports.md``):

* `records`: one row per aggregate-report record (who reported, the policy,
  the source IP and its message count, the SPF/DKIM results, the alignment
  computed again, why it failed, and the named sender);
* `senders`: one row per named sender (volume, pass rate, main failure,
  category: passing, forwarder, legitimate, unknown);
* `sources`: one row per source IP (reverse DNS, base domain, sender);
* `tls` and `tls_failures`: TLS-RPT policies and their failure details;
* `problems`: every file or part that could not be read, and why.

And the views of them: `summary()`, `simulate()` (what p=quarantine or
p=reject would have done), `recommend()` (the next safe step), `check()`
(the findings, as a `smtpkit.Report`), `charts()`.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from smtpkit.render import Viewable

if TYPE_CHECKING:
    import pandas as pd

    from smtpkit.model import Report
    from smtpkit.render.charts import Chart
    from smtpkit.reports.policy import Recommendation

__all__ = ["ReportSet"]


@dataclass(eq=False)
class ReportSet(Viewable):
    """Reports read by `smtpkit.reports.load`, as tables; see the module docstring for each table."""

    records: pd.DataFrame
    senders: pd.DataFrame
    sources: pd.DataFrame
    tls: pd.DataFrame
    tls_failures: pd.DataFrame
    problems: pd.DataFrame
    files: int = 0
    domain: str | None = None
    since: Any = None
    offline: bool = False
    #: Reverse DNS: the source IPs asked, how many got no answer at all, and of which DNS servers.
    ptr_asked: int = 0
    ptr_unanswered: int = 0
    ptr_servers: tuple[str, ...] = ()
    #: With `domain` or `since`: what the files held before those filters (reports, domains, first and last
    #: day), so that a filter that keeps nothing is told as such, not as files without reports.
    unfiltered: dict[str, Any] | None = None

    # -- facts --------------------------------------------------------------------------------
    @property
    def domains(self) -> list[str]:
        """Policy domains in the aggregate reports, the busiest first."""
        if self.records.empty:
            return []
        volume = self.records.groupby("policy_domain", observed=True)["count"].sum().sort_values(ascending=False)
        return [str(d) for d in volume.index if d]

    @property
    def main_domain(self) -> str | None:
        """The domain asked for, else the busiest policy domain (None without aggregate reports)."""
        return self.domain or (self.domains[0] if self.domains else None)

    def summary(self) -> dict[str, Any]:
        """The headline numbers (JSON-safe)."""
        r = self.records
        messages = int(r["count"].sum()) if not r.empty else 0
        passed = int(r.loc[r["dmarc_pass"], "count"].sum()) if not r.empty else 0
        begin = r["begin"].min() if not r.empty else None
        end = r["end"].max() if not r.empty else None
        reports = r[["org_name", "report_id"]].drop_duplicates().shape[0] if not r.empty else 0
        cats = self.senders["category"].value_counts().to_dict() if not self.senders.empty else {}
        return {
            "files": self.files,
            "aggregate_reports": reports,
            "records": len(r),
            "messages": messages,
            "dmarc_pass": passed,
            "pass_rate": round(passed / messages, 4) if messages else None,
            "domains": self.domains,
            "reporters": sorted(str(o) for o in r["org_name"].dropna().unique()) if not r.empty else [],
            "begin": begin.isoformat() if begin is not None and begin == begin else None,
            "end": end.isoformat() if end is not None and end == end else None,
            "senders": len(self.senders),
            "senders_by_category": {str(k): int(v) for k, v in cats.items()},
            "tls_reports": int(self.tls[["org_name", "report_id"]].drop_duplicates().shape[0]),
            "tls_failed_sessions": int(self.tls["failed_sessions"].sum()) if not self.tls.empty else 0,
            "tls_successful_sessions": int(self.tls["successful_sessions"].sum()) if not self.tls.empty else 0,
            "problems": len(self.problems),
            "reverse_dns": self.reverse_dns(),
        }

    def for_domain(self, domain: str) -> pd.DataFrame:
        """The records whose policy domain is `domain`."""
        return self.records[self.records["policy_domain"].astype(object) == domain]

    def simulate(self, *, days: int | None = None, domain: str | None = None) -> pd.DataFrame:
        """What p=quarantine and p=reject (and pct) would have done (see `smtpkit.reports.policy.simulate`)."""
        from smtpkit.reports.policy import simulate

        records = self.for_domain(domain) if domain else self.records
        return simulate(records, self.senders, self.sources, days=days)

    def recommend(self, domain: str | None = None) -> Recommendation:
        """The next step on the none -> quarantine -> reject path for `domain` (the busiest one by default)."""
        from smtpkit.reports.policy import recommend

        target = domain or (self.domains[0] if self.domains else "")
        records = self.for_domain(target) if target else self.records
        return recommend(records, self.senders, self.sources, target)

    def failing_senders(self) -> pd.DataFrame:
        """Senders that are legitimate but fail DMARC: the ones to fix, the busiest first."""
        return self.senders[self.senders["category"] == "legitimate"].reset_index(drop=True)

    def check(self) -> Report:
        """The findings: each failing sender with its fix, forwarding, spoofing, the policy step, TLS-RPT failures."""
        from smtpkit.checks.evidence.reports import check_reports

        return check_reports(self)

    def charts(self) -> list[Chart]:
        """Static charts, each with a sentence and a table that say the same (`smtpkit.reports.charts`)."""
        from smtpkit.reports.charts import all_charts

        charts: list[Chart] = all_charts(self)
        return charts

    # -- views --------------------------------------------------------------------------------
    def filters(self) -> list[str]:
        """What `domain` and `since` kept, in words: ["about example.com", "ending on or after 2026-03-20"]."""
        kept = [f"about {self.domain}"] if self.domain else []
        if self.since is not None:
            kept.append(f"ending on or after {self.since.date()}")
        return kept

    def reverse_dns(self) -> str:
        """How the senders' reverse DNS went, in words: skipped, looked up, or unanswered (and of which server)."""
        if self.offline:
            return "skipped (offline)"
        if not self.ptr_unanswered:
            return "looked up"
        servers = ", ".join(self.ptr_servers) or "the DNS servers"
        return (
            f"{self.ptr_unanswered} of {self.ptr_asked} sending addresses got no answer from {servers}: those"
            " senders are named from their DKIM and SPF domains only, and some real ones may show as unknown"
        )

    def to_text(self, *, problems: bool = True) -> str:
        """The headline numbers in a few lines; `problems`: with the first files that could not be used."""
        from smtpkit.render.plural import counted
        from smtpkit.render.text import terminal_safe

        s = self.summary()
        lines = [
            f"{counted(s['files'], 'file')}: {counted(s['aggregate_reports'], 'aggregate report')},"
            f" {counted(s['records'], 'record')}, {counted(s['messages'], 'message')} from"
            f" {counted(len(s['reporters']), 'reporter')}",
        ]
        kept = self.filters()
        if kept:
            lines.append(f"  only the reports {' and '.join(kept)}")
        if s["messages"]:
            passed = f"{s['dmarc_pass']:,} of {counted(s['messages'], 'message')}"
            lines.append(f"  DMARC pass: {passed} ({s['pass_rate']:.1%})")
            period = f"{str(s['begin'])[:10]} to {str(s['end'])[:10]}"
            lines.append(f"  period: {period}; domains: {', '.join(s['domains'][:5])}")
        if s["tls_reports"]:
            lines.append(
                f"  TLS-RPT: {counted(s['tls_reports'], 'report')}, {s['tls_successful_sessions']:,} successful and "
                f"{s['tls_failed_sessions']} failed sessions"
            )
        if self.ptr_unanswered:
            lines.append(f"  reverse DNS: {s['reverse_dns']}")
        if s["problems"]:
            files = "file or part" if s["problems"] == 1 else "files or parts"
            lines.append(f"  {s['problems']:,} {files} could not be used" + (":" if problems else ""))
            for row in self.problems.head(5 if problems else 0).itertuples():
                lines.append(f"    {row.source}: {row.kind}, {row.reason}")
            if problems and s["problems"] > 5:
                lines.append(f"    ... and {s['problems'] - 5} more (the table .problems)")
        return terminal_safe("\n".join(lines))

    def __repr__(self) -> str:
        s = self.summary()
        return (
            f"ReportSet({s['files']} files, {s['records']} records, {s['messages']} messages, "
            f"{s['senders']} senders, {s['problems']} problems)"
        )

    def to_html(self) -> str:
        from smtpkit.render.html import CSS, ROOT_CLASSES

        head = html.escape(self.to_text()).replace("\n", "<br>")
        senders = _table(self.senders, ["sender", "category", "messages", "pass_rate", "failure", "ips"], 20)
        problems = _table(self.problems, ["source", "kind", "reason"], 20) if len(self.problems) else ""
        return (
            f'{CSS}<div class="{ROOT_CLASSES}"><p>{head}</p>'
            f"<h4>Senders</h4>{senders}"
            + (f"<h4>Files that could not be used</h4>{problems}" if problems else "")
            + "</div>"
        )


def _table(frame: pd.DataFrame, columns: list[str], limit: int) -> str:
    """A DataFrame as an escaped HTML table (every cell came from a report file)."""
    from smtpkit.render.html import html_table

    head = frame[[c for c in columns if c in frame.columns]].head(limit).astype(object)
    rows = head.where(head.notna(), "").to_dict("records")
    more = f"<p>… and {len(frame) - limit} more rows</p>" if len(frame) > limit else ""
    return str(html_table(rows, columns)) + more
