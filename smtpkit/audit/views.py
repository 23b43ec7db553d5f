"""What the `10_portfolio_audit` notebook shows: the summary, a sortable table, charts, findings by code.

Everything is an ordinary cell output that survives saving and HTML export:
the table sorts with a few lines of our own JavaScript on its headings (no
widget, no kernel needed; without JavaScript it is a plain table, worst
domains first), the charts are static SVG, each with a sentence and a table
saying the same. Every string that came from DNS or the input file is escaped.
"""

from __future__ import annotations

import functools
import html
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from smtpkit.render import Viewable
from smtpkit.render.plural import counted

if TYPE_CHECKING:
    import pandas as pd

    from smtpkit.render.charts import Chart
    from smtpkit.render.panel import Panel

__all__ = [
    "Runner",
    "SortableTable",
    "charts",
    "changes",
    "could_not_check",
    "findings_by_code",
    "findings_table",
    "runner",
    "sortable",
    "summary",
]

TABLE_COLUMNS = (
    "domain",
    "status",
    "grade",
    "worst",
    "n_fail",
    "n_warn",
    "codes",
    "dmarc_policy",
    "spf_all",
    "spf_lookups",
    "dkim_keys",
    "mta_sts",
)
_GRADE_ORDER = {"F": 0, "D": 1, "C": 2, "B": 3, "A": 4}
_RANK = {"fail": 0, "warn": 1, "info": 2, "": 3}

# The table sorts itself by a click on a heading: our own code, inline on each heading (no <script> element),
# comparing each cell's data-k (numbers as numbers). Without JavaScript (an untrusted notebook, a mail
# client) it stays a plain table, worst domains first.
_SORT_ON_CLICK = (
    "var th=this,t=th.closest('table'),b=t.tBodies[0],i=th.cellIndex,d=th.dataset.s!=='a';"
    "t.querySelectorAll('th').forEach(function(h){delete h.dataset.s;h.textContent=h.dataset.n;"
    "h.removeAttribute('aria-sort')});"
    "th.dataset.s=d?'a':'d';th.textContent=th.dataset.n+(d?' \u25b2':' \u25bc');"
    "th.setAttribute('aria-sort',d?'ascending':'descending');"
    "Array.prototype.slice.call(b.rows).sort(function(x,y){var p=x.cells[i].dataset.k,q=y.cells[i].dataset.k,"
    "m=parseFloat(p),n=parseFloat(q),c=(isNaN(m)||isNaN(n))?p.localeCompare(q):m-n;return d?c:-c})"
    ".forEach(function(r){b.appendChild(r)});"
)


def _cell(value: Any) -> str:
    if value is None or value is _na() or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)


def severities_of(codes: Sequence[str], severities: Sequence[str]) -> list[str]:
    """The severity of each of a row's codes: the domain's own (`severities`), or for results written before
    that column existed, the catalogue's."""
    from smtpkit.knowledge.catalogue import catalogue

    specs = catalogue()
    return [
        str(severities[i]) if i < len(severities) else (specs[code].severity.value if code in specs else "")
        for i, code in enumerate(codes)
    ]


def by_severity(codes: Sequence[str], severities: Sequence[str]) -> list[tuple[str, list[str]]]:
    """A row's codes by severity, worst first, each code once (`×2` when the domain has it twice):
    [("fail", ["spf.plus_all", "dmarc.invalid_tag_value ×2"]), ("info", [...])]."""
    counts: dict[tuple[str, str], int] = {}
    for code, severity in zip(codes, severities_of(codes, severities), strict=True):
        key = (severity, str(code))
        counts[key] = counts.get(key, 0) + 1
    groups: dict[str, list[str]] = {}
    for (severity, code), n in counts.items():
        groups.setdefault(severity, []).append(code + (f" ×{n}" if n > 1 else ""))
    return sorted(groups.items(), key=lambda g: _RANK.get(g[0], 3))


def codes_text(codes: Sequence[str], severities: Sequence[str]) -> str:
    """A row's codes in one line: "fail: spf.plus_all, dmarc.invalid_tag_value ×2; info: mx.tls.cert_invalid"."""
    return "; ".join(
        (f"{severity}: " if severity else "") + ", ".join(names) for severity, names in by_severity(codes, severities)
    )


def _codes_html(codes: Sequence[str], severities: Sequence[str]) -> str:
    from smtpkit.render.charts import PALETTE

    return "; ".join(
        (
            f'<b style="color:{PALETTE.get(severity, PALETTE["neutral"])}">{html.escape(severity)}:</b> '
            if severity
            else ""
        )
        + html.escape(", ".join(names))
        for severity, names in by_severity(codes, severities)
    )


def _na() -> Any:
    import pandas as pd

    return pd.NA


def _key(column: str, value: Any) -> str:
    """What a column sorts by: grades worst first, numbers as numbers, lists by length."""
    text = _cell(value)
    if column == "grade":
        return str(_GRADE_ORDER.get(text, 9))
    if isinstance(value, (list, tuple)):
        return str(len(value))
    return text


def worst_first(df: pd.DataFrame) -> pd.DataFrame:
    """Checked domains from the worst grade down, then those that could not be checked, then invalid names."""
    status = df["status"].map({"checked": 0, "could not check": 1, "invalid": 2}).fillna(3)
    grade = df["grade"].map(_GRADE_ORDER).fillna(9)
    order = (
        df.assign(_s=status, _g=grade)
        .sort_values(["_s", "_g", "n_fail", "n_warn", "position"], ascending=[True, True, False, False, True])
        .index
    )
    return df.loc[order]


def _no_record(row: dict[str, Any], protocol: str) -> str:
    """Why a checked domain has no SPF or DMARC value to show, in words (an empty cell read as a gap in the
    table): no record, several records, or one that cannot be read (its finding says how)."""
    codes = set(row.get("codes") or ())
    if f"{protocol}.missing" in codes:
        return "no record"
    if f"{protocol}.multiple_records" in codes:
        return "several records"
    return "unusable record"


def _sort_key(column: str, row: dict[str, Any]) -> str:
    """What a cell sorts by (`_key`), but a missing value by the words the cell shows, so that sorting groups
    "no record", "several records" and "unusable record" instead of leaving them mixed as empty cells."""
    if column == "dkim_keys":
        return str(_weakest_key(row["dkim_keys"] or []))
    key = _key(column, row[column])
    if key:
        return key
    text, style = _shown(column, row)
    return text if style == "muted" else key


def _weakest_key(keys: Sequence[str]) -> int:
    """The bits of a domain's weakest DKIM key, so sorting dkim_keys puts weak keys together: -1 none found, 0
    only keys that cannot verify (revoked, unreadable), else the smallest size (an Ed25519 key counts 256)."""
    from smtpkit.audit.row import unusable_key

    sizes = []
    for key in keys:
        last = str(key).rsplit(" ", 1)[-1]
        sizes.append(0 if unusable_key(key) or not last.isdigit() else int(last))
    return min(sizes) if sizes else -1


def _shown(column: str, row: dict[str, Any]) -> tuple[str, str]:
    """A cell of the table as a person reads it, and how it is set ("", "as typed", "nowrap", "muted"): an
    invalid name as it was typed, a missing SPF or DMARC value as the reason it is missing."""
    text = _cell(row[column])
    if column == "domain":
        return (text, "nowrap") if text else (_cell(row.get("input")) or "(empty line)", "as typed")
    if text or row.get("status") != "checked":
        return text, ""
    if column == "dmarc_policy":
        return _no_record(row, "dmarc"), "muted"
    if column in ("spf_all", "spf_lookups"):
        if column == "spf_all" and _cell(row.get("spf_record")):
            return "no all", "muted"  # a record that ends without an all: the default, ?all
        return _no_record(row, "spf"), "muted"
    if column == "dkim_keys":
        return "none found", "muted"  # under the selectors looked for (`dkim.no_selector_found`)
    return text, ""


class SortableTable(Viewable):
    """The audit rows as an HTML table whose headings sort it (our inline handler), worst domains first."""

    def __init__(self, df: pd.DataFrame, columns: Sequence[str] = TABLE_COLUMNS, limit: int = 2000) -> None:
        self.columns = [c for c in columns if c in df.columns]
        ordered = worst_first(df)
        self.total = len(ordered)
        extra = [
            c
            for c in ("severities", "input", "status", "status_reason", "codes", "spf_record")
            if c in df.columns and c not in self.columns
        ]
        self.rows = ordered.head(limit)[self.columns + extra].to_dict("records")

    def _html_cell(self, column: str, row: dict[str, Any]) -> str:
        if column == "codes":
            return _codes_html(row["codes"], row.get("severities") or [])
        text, style = _shown(column, row)
        markup = {
            "": html.escape(text),
            "as typed": f"<i>{html.escape(text)}</i>",
            "nowrap": f'<span style="white-space:nowrap">{html.escape(text)}</span>',
            "muted": f'<span style="color:#57606a">{html.escape(text)}</span>',
        }[style]
        if column == "status" and _cell(row.get("status_reason")):
            markup += f": <small>{html.escape(_cell(row['status_reason']))}</small>"
        return markup

    def _text_cell(self, column: str, row: dict[str, Any]) -> str:
        if column == "codes":
            return codes_text(row["codes"], row.get("severities") or [])
        text, _style = _shown(column, row)
        if column == "status" and _cell(row.get("status_reason")):
            text += f": {_cell(row['status_reason'])}"
        return text

    def to_html(self) -> str:
        from smtpkit.render.html import CSS, ROOT_CLASSES

        handler = html.escape(_SORT_ON_CLICK, quote=True)
        key = html.escape("if(event.key==='Enter'||event.key===' '){event.preventDefault();this.click()}", quote=True)

        # the first column (the domain) stays in view when the table is scrolled sideways to the record columns
        pinned = "position:sticky;left:0;z-index:1;background:#fff"

        def heading(c: str) -> str:
            # the rows start worst first, which is the grade column sorted: its heading says so, and a first
            # click on it reverses the order rather than appearing to do nothing
            now = ' data-s="a" aria-sort="ascending"' if c == "grade" else ""
            corner = ";left:0;z-index:2" if c == self.columns[0] else ""
            return (
                f'<th style="cursor:pointer;position:sticky;top:0;background:#f6f8fa{corner}" tabindex="0"'
                f' title="sort by this column (click again to reverse)" data-n="{html.escape(c, quote=True)}"{now}'
                f' onclick="{handler}" onkeydown="{key}">{html.escape(c)}{" ▲" if now else ""}</th>'
            )

        head = "".join(heading(c) for c in self.columns)
        body = []
        for row in self.rows:
            cells = "".join(
                f'<td data-k="{html.escape(_sort_key(c, row), quote=True)}"'
                + (f' style="{pinned}"' if i == 0 else "")
                + f">{self._html_cell(c, row)}</td>"
                for i, c in enumerate(self.columns)
            )
            body.append(f"<tr>{cells}</tr>")
        note = f"{len(self.rows):,} of {counted(self.total, 'domain')}, worst first; click a column heading to sort" + (
            " (the full table is the DataFrame itself)" if len(self.rows) < self.total else ""
        )
        return (
            f'{CSS}<div class="{ROOT_CLASSES}"><p>{html.escape(note)}</p>'
            f'<div style="max-height:32em;overflow:auto"><table><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table></div></div>"
        )

    def to_text(self) -> str:
        from smtpkit.render.text import text_table

        rows = [{c: self._text_cell(c, r) for c in self.columns} for r in self.rows[:50]]
        more = f"\n({self.total - len(rows)} more rows)" if self.total > len(rows) else ""
        return text_table(rows, self.columns, max_width=40) + more


def no_results() -> Panel:
    """What every view shows when the audit cell did not finish (`df` is None): run again after fixing what it
    said. Without it, a notebook run after an error showed the previous run's table and charts as if new."""
    from smtpkit.render.panel import Panel

    return Panel(
        "No results to show",
        note="The audit above did not finish: its message says why. Fix that, then run the notebook again.",
        status="warn",
    )


def sortable(
    df: pd.DataFrame | None, columns: Sequence[str] = TABLE_COLUMNS, limit: int = 2000
) -> SortableTable | Panel:
    if df is None:
        return no_results()
    return SortableTable(df, columns, limit)


HELD_BACK = 0.2  # the share of queries that waited for a place, from which a summary says the limit held


def resolver_use(info: dict[str, Any]) -> dict[str, Any] | None:
    """What a run (`df.attrs["audit"]`) asked of the resolver limit: `queries`, `waits`, `waited` (their
    share), `mean_wait_ms`, and when known `place_seconds` (a domain's, in all) and `most_per_second` (the
    domains a second `limit` places let through at that). None when the run counted no queries."""
    queries, waits = int(info.get("queries") or 0), int(info.get("query_waits") or 0)
    if not queries:
        return None
    limit = info.get("settings", {}).get("query_limit")
    use: dict[str, Any] = {"queries": queries, "waits": waits, "waited": waits / queries, "limit": limit}
    use["mean_wait_ms"] = 1000 * float(info.get("query_wait_seconds") or 0) / max(1, waits)
    held, domains = float(info.get("query_held_seconds") or 0), int(info.get("domains_asked") or 0)
    if held > 0 and domains and limit:
        use["place_seconds"] = held / domains
        use["most_per_second"] = limit / use["place_seconds"]
    return use


def resolver_limit_note(info: dict[str, Any], setting: str = "query_limit") -> str:
    """What the resolver limit cost a run (`df.attrs["audit"]`), when it held back enough of its queries to
    matter: a run slower than expected is then put down to the limit, with the way to raise it, not to the
    machine or the runner. `setting` is how the reader sets it (`--query-limit` on the command line)."""
    use = resolver_use(info)
    if use is None or use["waited"] < HELD_BACK:
        return ""
    note = (
        f"The resolver limit held the run back: {use['waits']} of {use['queries']} DNS queries"
        f" ({use['waited']:.0%}) waited for "
        + (f"the single place of {setting} 1," if use["limit"] == 1 else f"one of the {setting} {use['limit']} places,")
        + f" {use['mean_wait_ms']:.0f} ms on average."
    )
    if "place_seconds" in use:
        note += (
            f" Each domain kept a place for {use['place_seconds']:.2f} s in all (timeouts included), so"
            f" {use['limit']} place{'' if use['limit'] == 1 else 's'} let through at most"
            f" {use['most_per_second']:.0f} domains a second, on any runner."
        )
    return note + f" A resolver of your own can take a higher {setting} (the default is polite to one you share)."


def summary(df: pd.DataFrame | None) -> Panel:
    """How many domains, how they fared, what the run cost (and the Dask dashboard when Dask ran it)."""
    from smtpkit.render.panel import Panel, Table

    if df is None:
        return no_results()

    info = df.attrs.get("audit", {})
    status = {str(k): int(v) for k, v in df["status"].value_counts().items()}
    checked = df[df["status"] == "checked"]
    note = (
        f"{counted(len(df), 'domain')} in {info.get('seconds', 0):.1f} s ({info.get('runner', 'local')} runner"
        + (f", {len(df) / info['seconds']:.0f} domains/s" if info.get("seconds") else "")
        + f"): {status.get('checked', 0)} checked, {status.get('could not check', 0)} could not be checked"
        + f" (never counted as failures), {counted(status.get('invalid', 0), 'invalid name')}"
        + (f", {counted(info['duplicates'], 'duplicate')} skipped" if info.get("duplicates") else "")
        + "."
    )
    kept = int(info.get("resumed_domains", 0) or 0) if info.get("resumed_chunks") else 0
    again = int(info.get("asked_again", 0) or 0)
    asked = (
        f" The {counted(again, 'domain')} it could not check {'was' if again == 1 else 'were'} asked again now."
        if again
        else ""
    )
    if kept and kept + again >= len(df):
        note += (
            f" {'All ' if not again else ''}{kept} were kept from the earlier run in the same out (resume): it had"
            " finished"
            + (asked.replace(" The ", "; the ", 1) if again else ", so nothing was asked now.")
            + " To audit them all again, run without resume."
        )
    elif kept:
        note += (
            f" {kept} of them were kept from the stopped run in the same out (resume), the other"
            f" {len(df) - kept - again} audited now." + asked
        )
    held = resolver_limit_note(info)
    if held:
        note += " " + held
    panel = Panel("Portfolio audit", note=note, status=verdict_of_run(df))
    grades = checked["grade"].value_counts()
    panel.add(
        "Grades",
        Table(
            [
                {"grade": g, "domains": int(grades.get(g, 0)), "means": m}
                for g, m in (
                    ("A", "nothing to fix"),
                    ("B", "warnings only"),
                    ("C", "one failing finding"),
                    ("D", "two failing findings"),
                    ("F", "three or more failing findings"),
                )
            ]
        ),
    )
    if info.get("dask"):
        from smtpkit.render.panel import Html

        link = html.escape(str(info["dask"]), quote=True)
        panel.add("Dask", Html(f'<a href="{link}" target="_blank">Dask dashboard</a>', text=str(info["dask"])))
    return panel


def findings_by_code(df: pd.DataFrame | None, examples: int = 5) -> Panel:
    """The findings grouped: one row per finding code and severity, failing ones first, with how many domains
    have it and some of them (the DataFrame of it: `findings_table`).

    Only checked domains count: a domain that could not be checked has lookup
    failures, not problems.
    """
    from smtpkit.render.panel import Panel, Table

    if df is None:
        return no_results()
    table = findings_table(df, examples)
    checked = int((df["status"] == "checked").sum())
    if table.empty:
        return Panel(
            "The findings, grouped", note=f"None of the {checked} checked domains has a finding.", status="pass"
        )
    codes = table["code"].nunique()
    note = (
        f"{counted(codes, 'finding code')} among {counted(checked, 'checked domain')}, failing ones first. A code's"
        " explanation and fix: smtpkit findings CODE, or docs/findings.md. A code can fail one domain and only"
        " warn another (three void SPF lookups fail where two warn): it then has a row for each"
        + (f" ({len(table) - codes} such)." if len(table) > codes else ".")
    )
    rows = [
        {
            "severity": r["severity"],
            "code": r["code"],
            "what": r["title"],
            "domains": r["domains"],
            "for example": r["examples"],
        }
        for r in table.to_dict("records")
    ]
    worst = "fail" if (table["severity"] == "fail").any() else "warn" if (table["severity"] == "warn").any() else None
    return Panel("The findings, grouped", note=note, status=worst).add("", Table(rows))


def generic_title(code: str) -> str:
    """A code's title for many domains at once: a `{domain}` standing alone becomes "the domain", every other
    field its name in angle quotes ("The domain publishes ‹count› SPF records", "mta-sts.‹domain›"): the
    catalogue's titles are templates, filled in for one domain, and an ellipsis in their place said nothing."""
    import string

    from smtpkit.knowledge.catalogue import catalogue

    spec = catalogue().get(code)
    if spec is None:
        return ""
    parts: list[str] = []
    for text, field, _spec, _conv in string.Formatter().parse(spec.title):
        parts.append(text)
        if field is None:
            continue
        alone = not text.endswith((".", "@", "'")) and field in ("domain", "name")
        parts.append("the domain" if alone else f"‹{field}›")
    title = "".join(parts)
    return title[:1].upper() + title[1:]


def _pairs(checked: pd.DataFrame) -> list[tuple[str, str, str]]:
    """(code, severity, domain) of every finding of the checked domains, once per domain."""
    seen: dict[tuple[str, str, str], None] = {}
    for domain, codes, severities in zip(checked["domain"], checked["codes"], checked["severities"], strict=True):
        for code, severity in zip(codes, severities_of(codes, severities), strict=True):
            seen[(code, severity, str(domain))] = None
    return list(seen)


def findings_table(df: pd.DataFrame, examples: int = 5) -> pd.DataFrame:
    """One row per finding code and severity: `code`, `severity`, `title` (generic), `domains` (how many have
    it), `examples` (the first few, then how many more), failing codes first, then the commonest."""
    import pandas as pd

    by_code: dict[tuple[str, str], list[str]] = {}
    for code, severity, domain in _pairs(df[df["status"] == "checked"]):
        by_code.setdefault((code, severity), []).append(domain)
    rows: list[dict[str, Any]] = [
        {
            "code": code,
            "severity": severity,
            "title": generic_title(code),
            "domains": len(names),
            "examples": ", ".join(names[:examples])
            + (f" and {len(names) - examples} more" if len(names) > examples else ""),
        }
        for (code, severity), names in by_code.items()
    ]
    rows.sort(key=lambda r: (_RANK.get(str(r["severity"]), 3), -int(r["domains"]), str(r["code"])))
    return pd.DataFrame(rows, columns=["code", "severity", "title", "domains", "examples"])


def _share(part: int, whole: int) -> str:
    return f"{part / whole:.0%}" if whole else "0%"


def _bar_chart(labels: list[str], values: list[int], colors: list[str], *, xlabel: str) -> Any:
    from smtpkit.render.charts import new_figure

    fig, ax = new_figure(width=6.5, height=0.45 * max(2, len(labels)) + 0.6)
    ax.barh(labels[::-1], values[::-1], color=colors[::-1])
    ax.set_xlabel(xlabel)
    for y, v in enumerate(values[::-1]):
        ax.text(v, y, f" {v}", va="center", fontsize=8)
    return fig


def charts(df: pd.DataFrame | None) -> Sequence[Chart | Panel]:
    """DMARC at enforcement, SPF errors, weak DKIM keys, MTA-STS adoption, and the worst problems first."""
    from smtpkit.render.charts import PALETTE, Chart

    if df is None:
        return [no_results()]

    checked = df[df["status"] == "checked"]
    n = len(checked)
    out: list[Chart] = []

    enforced = int(checked["dmarc_enforced"].fillna(False).sum())
    policies = checked["dmarc_policy"].fillna("no policy").value_counts()
    order = [p for p in ("reject", "quarantine", "none", "no policy") if p in policies.index]
    colour = {
        "reject": PALETTE["pass"],
        "quarantine": PALETTE["pass"],
        "none": PALETTE["warn"],
        "no policy": PALETTE["fail"],
    }
    fig = _bar_chart(order, [int(policies[p]) for p in order], [colour[p] for p in order], xlabel="domains")
    out.append(
        Chart(
            fig,
            f"{enforced} of {n} checked domains ({_share(enforced, n)}) have DMARC at enforcement (p=quarantine or"
            f" p=reject); the others let anyone send as them, at most reported.",
            rows=[{"policy": p, "domains": int(policies[p])} for p in order],
            title="DMARC at enforcement",
        )
    )

    # every SPF finding (not the ten commonest: the rarest can be the one that matters), once per domain
    spf: dict[str, list[str]] = {}
    for code, severity, _domain in _pairs(checked):
        if code.startswith("spf."):
            spf.setdefault(code, []).append(severity)
    ranked = sorted(spf, key=lambda c: (-len(spf[c]), c))
    with_error = int(checked["spf_lint"].isin(["fail"]).sum())
    with_warning = int(checked["spf_lint"].isin(["warn"]).sum())
    labels = ranked or ["no SPF finding"]
    values = [len(spf[c]) for c in ranked] or [0]
    worst = ["fail" if "fail" in spf[c] else "warn" if "warn" in spf[c] else "info" for c in ranked]
    fig = _bar_chart(
        labels, values, [PALETTE.get(w, PALETTE["neutral"]) for w in worst] or [PALETTE["pass"]], xlabel="domains"
    )
    out.append(
        Chart(
            fig,
            f"{with_error} of {n} checked domains ({_share(with_error, n)}) have an SPF error that makes receivers"
            f" reject or distrust their mail, {with_warning} more an SPF warning"
            + (f"; the commonest SPF finding is {labels[0]}." if ranked else "."),
            rows=[{"finding": c, "worst": w, "domains": v} for c, w, v in zip(ranked, worst, values, strict=True)],
            title="SPF errors and warnings",
        )
    )

    from smtpkit.audit.row import unusable_key

    sizes = checked["dkim_min_bits"].dropna().astype(int)
    found = checked["dkim_selectors"].map(len) > 0
    sizeless = checked[found & checked["dkim_min_bits"].isna()]["dkim_keys"]
    # a key found without an RSA size: revoked or unreadable, or Ed25519 keys only
    unusable = int(sizeless.map(lambda keys: all(unusable_key(k) for k in keys)).sum())
    buckets = {
        "no key found": int((~found).sum()),
        "no usable key (revoked, invalid)": unusable,
        "under 1024 bits": int((sizes < 1024).sum()),
        "1024 bits": int((sizes == 1024).sum()),
        "2048 bits or more": int((sizes >= 2048).sum()),
        "Ed25519 only": len(sizeless) - unusable,
    }
    tone = dict(zip(buckets, ["neutral", "fail", "fail", "warn", "pass", "pass"], strict=True))
    shown = {k: v for k, v in buckets.items() if v or k not in ("no usable key (revoked, invalid)", "Ed25519 only")}
    weak = buckets["under 1024 bits"] + buckets["1024 bits"]
    fig = _bar_chart(list(shown), list(shown.values()), [PALETTE[tone[k]] for k in shown], xlabel="domains")
    none = buckets["no key found"]
    out.append(
        Chart(
            fig,
            f"{weak} of {n} checked domains sign with a weak DKIM key (RSA under 2048 bits); {none} have no key"
            " under the selectors looked for"
            + (f", {unusable} only keys that cannot verify (revoked or invalid)." if unusable else "."),
            rows=[{"smallest RSA key": k, "domains": v} for k, v in shown.items()],
            title="Weak DKIM keys",
        )
    )

    modes = checked["mta_sts"].dropna()
    if len(modes):
        counts = modes.value_counts()
        order = [m for m in ("enforce", "testing", "none", "unusable") if m in counts.index]
        colour = {
            "enforce": PALETTE["pass"],
            "testing": PALETTE["info"],
            "none": PALETTE["neutral"],
            "unusable": PALETTE["warn"],  # senders fall back to no policy: their findings warn
        }
        fig = _bar_chart(order, [int(counts[m]) for m in order], [colour[m] for m in order], xlabel="domains")
        adopted = int(counts.get("enforce", 0) + counts.get("testing", 0))
        sentence = (
            f"{adopted} of {len(modes)} probed domains ({_share(adopted, len(modes))}) publish an MTA-STS policy;"
            f" {int(counts.get('enforce', 0))} enforce it, so senders refuse to deliver to them without valid TLS."
        )
        unusable = int(counts.get("unusable", 0))
        if unusable:
            sentence += (
                f" {unusable} publish an MTA-STS record whose policy senders cannot use (not served, invalid, or"
                " behind a bad certificate), so it protects nothing."
            )
        out.append(
            Chart(fig, sentence, rows=[{"mode": m, "domains": int(counts[m])} for m in order], title="MTA-STS adoption")
        )
    else:
        from smtpkit.render.charts import new_figure

        fig, ax = new_figure(width=6.5, height=0.8)
        ax.axis("off")
        ax.text(0, 0.5, "not probed: run the audit with probe_mx=True", va="center")
        out.append(
            Chart(
                fig,
                "MTA-STS was not checked in this run: it is part of the receiving side, checked with probe_mx=True"
                " (smtpkit audit --probe-mx).",
                title="MTA-STS adoption",
            )
        )

    top = findings_table(df, 5).head(12)
    colours = [PALETTE.get(str(s), PALETTE["neutral"]) for s in top["severity"]]
    twice = set(top["code"][top["code"].duplicated()])  # a code that fails some domains and warns others
    fig = _bar_chart(
        [f"{c} ({s})" if c in twice else str(c) for c, s in zip(top["code"], top["severity"], strict=True)]
        or ["no findings"],
        [int(v) for v in top["domains"]] or [0],
        colours or [PALETTE["pass"]],
        xlabel="domains",
    )
    first = top.iloc[0] if len(top) else None
    out.append(
        Chart(
            fig,
            (
                f"The worst problems first: {first['code']} ({first['severity']}) affects {first['domains']} domains."
                if first is not None
                else "No checked domain has any finding."
            ),
            rows=top[["code", "severity", "domains"]].to_dict("records"),
            title="Worst problems first",
        )
    )
    return out


def changes(old: Any, new: Any) -> Panel:
    """The comparison of two runs: how many got better and worse, then the domains that changed."""
    from smtpkit.audit.compare import compare
    from smtpkit.audit.compare import summary as counts
    from smtpkit.render.panel import Panel, Table

    if new is None:
        return no_results()

    diff = compare(old, new)
    tally = counts(diff)
    note = ", ".join(f"{v} {k}" for k, v in tally.items()) or "no domains in either run"
    panel = Panel("Compared with the earlier run", note=note, status="warn" if tally.get("worse") else "pass")
    changed = diff[diff["change"] != "same"].head(200)
    rows = [
        {
            "domain": r["domain"],
            "change": r["change"],
            "grade": f"{_cell(r['old_grade']) or '-'} -> {_cell(r['new_grade']) or '-'}",
            "fixed": ", ".join(r["fixed"]),
            "appeared": ", ".join(r["appeared"]),
        }
        for r in changed.to_dict("records")
    ]
    panel.add("Domains that changed", Table(rows) if rows else "Nothing changed.")
    return panel


def last_week(domains: Sequence[str], options: dict[str, Any]) -> pd.DataFrame:
    """A stand-in for last week's run of the lab's portfolio (the notebook's comparison, without waiting a week):
    the same domains audited knowing only the `default` DKIM selector, as if the others were not yet known."""
    import smtpkit.audit as audit_pkg

    earlier = {**options, "selectors": ("default",)}
    return audit_pkg.audit(list(domains), progress=False, **earlier)


def inputs(
    lab: Any,
    domains_file: str | None = None,
    *,
    size: int | None = None,
    selectors: Sequence[str] | None = None,
    probe_mx: bool = False,
    out: str | None = None,
    nameservers: Sequence[str] | str | None = None,
    query_limit: int | None = None,
    resume: bool = False,
) -> tuple[Any, dict[str, Any]]:
    """The notebook's parameters resolved: the domains (a file, or the lab's portfolio) and the audit settings
    (the lab's DNS, selectors and probe ports for the lab's portfolio; `out` defaults to a temporary folder, the
    same one for every run of this kernel, so that `resume` continues a run stopped in it).
    `nameservers` (one, or a list) and `query_limit` replace the lab's or the defaults; `smtpkit.audit` checks
    them (`InvalidSettings`, naming the field, for a server that is not an address or a limit below 1)."""
    from smtpkit.lab.portfolio import audit_options, lab_portfolio

    domains: Any = domains_file or lab_portfolio(lab, n=size)
    options: dict[str, Any] = {} if domains_file else audit_options(lab)
    if selectors:
        options["selectors"] = tuple(selectors)
    options["probe_mx"] = bool(probe_mx)
    if nameservers:
        options["nameservers"] = nameservers  # one, or a list: AuditConfig reads both
    if query_limit is not None:
        options["query_limit"] = query_limit
    options["out"] = out or default_out()
    if resume:
        options["resume"] = True
    return domains, options


@functools.cache
def default_out() -> str:
    """Where the notebook writes its results when `out` is not set: a temporary folder made once per kernel
    (a new one per run made `resume = True` after a stopped run find nothing to continue)."""
    import tempfile
    from pathlib import Path

    return str(Path(tempfile.mkdtemp(prefix="smtpkit-audit-")) / "portfolio-audit.parquet")


class Runner(Viewable):
    """Where the notebook's audit runs: `options` for `smtpkit.audit`, and (with Dask) the dashboard link,
    shown before the run starts so the dashboard can be watched while it works."""

    def __init__(self, options: dict[str, Any], what: str, dashboard: str | None = None) -> None:
        self.options = options
        self.what = what
        self.dashboard = dashboard

    def to_html(self) -> str:
        out = f"<p>The audit runs {html.escape(self.what)}."
        if self.dashboard:
            link = html.escape(self.dashboard, quote=True)
            out += (
                f' Watch it on the <a href="{link}" target="_blank">Dask dashboard</a> ({link}): tasks, workers,'
                " memory; it stays up while this kernel runs."
            )
        return out + "</p>"

    def to_text(self) -> str:
        from smtpkit.render.text import terminal_safe

        text = f"The audit runs {self.what}."
        return terminal_safe(text + (f" Dask dashboard: {self.dashboard}" if self.dashboard else ""))


def runner(*, workers: int | None = None, dask: bool = False) -> Runner:
    """The notebook's runner: this process, a pool of `workers` processes, or (`dask=True`) a Dask LocalCluster
    of `workers` processes started here (on loopback; it lives as long as the kernel), whose dashboard
    link is shown at once."""
    if dask:
        from smtpkit.audit.runners import dask_client

        client = dask_client(None, workers)
        n = len(client.nthreads())
        return Runner({"client": client}, f"on a Dask LocalCluster of {n} worker processes", client.dashboard_link)
    if workers and workers > 1:
        return Runner({"workers": workers}, f"on a pool of {workers} processes")
    return Runner({}, "in this kernel's process")


def export(df: pd.DataFrame | None, out: str, suffix: str = ".csv") -> Panel:
    """Write `df` next to the run's results (`out`) as one CSV or Parquet file; say where (a sentence, not the
    quoted Python string a bare return value showed)."""
    from pathlib import Path

    import smtpkit.audit as audit_pkg
    from smtpkit.render.panel import Panel

    if df is None:
        return no_results()

    target = Path(out).with_suffix(suffix)
    if target == Path(out):
        target = target.with_name(target.stem + "-export" + suffix)
    written = audit_pkg.export(df, target)
    note = (
        f"{counted(len(df), 'row')} written to {written}, on the computer that runs this notebook (list columns"
        f" such as codes joined with ' | '); the full results are in {out}."
    )
    return Panel("Exported", note=note)


def could_not_check(df: pd.DataFrame | None) -> Panel:
    """The domains that could not be checked, and why (`status_reason`), with what to do: never failures, but
    unknown (with pandas: `df[df["status"] == "could not check"][["domain", "status_reason"]]`)."""
    from smtpkit.render.panel import Panel, Table

    if df is None:
        return no_results()
    missed = df[df["status"] == "could not check"]
    if missed.empty:
        return Panel("Could not be checked", note="Every domain could be checked.", status="pass")
    note = (
        f"{len(missed)} of {len(df)} domains could not be checked: the DNS server did not answer in time, or"
        " answered SERVFAIL or REFUSED. That is not a finding about the domain, and it is not counted as a"
        " failure. Run the audit again later (each run asks again what failed), or with another DNS server"
        " (nameservers), or check one domain from elsewhere: smtpkit domain DOMAIN --nameserver HOST, or"
        " dig DOMAIN TXT @HOST."
    )
    rows = [{"domain": r["domain"], "why": r["status_reason"]} for r in missed.to_dict("records")]
    return Panel("Could not be checked", note=note, status="warn").add("", Table(rows[:500]))


def verdict_of_run(df: pd.DataFrame) -> str:
    """The run's verdict: fail when a checked domain has a failing finding, warn for warnings only, pass when
    none has either. Nothing known is never a pass: with no domain checked it is warn, as "could not check" is."""
    checked = df[df["status"] == "checked"]
    if not len(checked):
        return "warn"
    return "fail" if (checked["n_fail"] > 0).any() else ("warn" if (checked["n_warn"] > 0).any() else "pass")


class PastedAudit(Viewable):
    """The audit of the domains pasted in the notebook: its summary and its sortable table, as the notebook shows
    its portfolio's (a bare DataFrame of 37 columns was unreadable there); `df` is the DataFrame (None: nothing
    was pasted, and the view says what to do)."""

    def __init__(self, df: pd.DataFrame | None) -> None:
        self.df = df

    @property
    def status(self) -> str | None:
        """The run's verdict, for the form's line beside Run (it read DONE above a FAIL panel)."""
        return None if self.df is None else verdict_of_run(self.df)

    def _parts(self) -> list[Viewable]:
        from smtpkit.render.panel import Panel

        if self.df is None:
            note = "Paste your domains in the form above, one a line, then press Run."
            return [Panel("Nothing pasted", note=note)]
        return [summary(self.df), sortable(self.df)]

    def to_html(self) -> str:
        return "".join(part.to_html() for part in self._parts())

    def to_text(self) -> str:
        return "\n\n".join(part.to_text() for part in self._parts())


def audit_pasted(text: str, **settings: Any) -> PastedAudit:
    """The audit of the domains pasted in the notebook (one a line) with the notebook's `settings`
    (`nameservers`, `query_limit`, `selectors`; None: the default)."""
    import smtpkit.audit as audit_pkg

    names = [line.strip() for line in text.splitlines() if line.strip()]
    if not names:
        return PastedAudit(None)
    given = {k: v for k, v in settings.items() if v is not None}
    return PastedAudit(audit_pkg.audit(names, progress=False, **given))


def earlier_run(previous: str | None, domains: Any, options: dict[str, Any]) -> pd.DataFrame:
    """The run to compare with: `previous` (a path written with out=), or the lab's stand-in (`last_week`)."""
    import smtpkit.audit as audit_pkg

    if previous:
        return audit_pkg.read_results(previous)
    return last_week(domains, {k: v for k, v in options.items() if k not in ("out", "resume")})
