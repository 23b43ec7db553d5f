"""The report charts: daily volume by DMARC result, pass rate per sender, senders by result, TLS failures by day.

Each is a `smtpkit.render.charts.Chart`: a static SVG (so a saved notebook and
its HTML export show it without a kernel) with a sentence and a table beside
it that say the same thing. Every label comes from report files and is
escaped by matplotlib's SVG writer and by the table renderer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from smtpkit.render.plural import counted

if TYPE_CHECKING:
    import pandas as pd

    from smtpkit.render.charts import Chart
    from smtpkit.reports.reportset import ReportSet

__all__ = ["all_charts", "daily_volume", "pass_rate_by_sender", "senders_by_result", "tls_failures_by_day"]

MAX_SENDERS = 12
# how a record authenticated, in the order the stacked bars show it
RESULTS = ("SPF and DKIM aligned", "DKIM aligned only", "SPF aligned only", "neither (fails DMARC)")


def _result(records: pd.DataFrame) -> pd.Series:
    import numpy as np
    import pandas as pd

    spf, dkim = records["spf_aligned"].to_numpy(), records["dkim_aligned"].to_numpy()
    codes = np.where(spf & dkim, 0, np.where(dkim, 1, np.where(spf, 2, 3)))
    return pd.Series(pd.Categorical.from_codes(codes, categories=list(RESULTS)), index=records.index)


def _per_day(records: pd.DataFrame) -> pd.DataFrame:
    """Messages passing and failing per day, a report covering several days spread evenly over them."""
    import numpy as np
    import pandas as pd

    begin = records["begin"].dt.floor("D")
    span = ((records["end"] - begin).dt.total_seconds() // 86400 + 1).fillna(1).clip(1, 31).astype(int).to_numpy()
    rows = np.repeat(np.arange(len(records)), span)
    offset = np.arange(len(rows)) - np.repeat(np.cumsum(span) - span, span)
    share = (records["count"].to_numpy() / span)[rows]
    passed = records["dmarc_pass"].to_numpy()[rows]
    frame = pd.DataFrame(
        {
            "day": begin.dt.tz_localize(None).to_numpy()[rows] + pd.to_timedelta(offset, unit="D").to_numpy(),
            "pass": np.where(passed, share, 0.0),
            "fail": np.where(passed, 0.0, share),
        }
    )
    return frame.groupby("day")[["pass", "fail"]].sum().sort_index()


def daily_volume(rs: ReportSet) -> Chart:
    """Messages per day passing and failing DMARC (a report covering several days is spread over them)."""
    from smtpkit.render.charts import PALETTE, Chart, new_figure

    daily = _per_day(rs.records)
    fig, ax = new_figure(width=7.5, height=2.8)
    labels = [d.strftime("%m-%d") for d in daily.index]
    ax.bar(labels, daily["pass"], color=PALETTE["pass"], label="passes DMARC")
    ax.bar(labels, daily["fail"], bottom=daily["pass"], color=PALETTE["fail"], label="fails DMARC")
    ax.set_ylabel("messages")
    ax.set_ylim(0, float(daily.sum(axis=1).max() or 1) * 1.3)  # room for the legend above the bars
    ax.legend(loc="upper left", fontsize=8, frameon=False, ncol=2)
    ax.tick_params(axis="x", labelrotation=90, labelsize=7)
    total = int(rs.records["count"].sum())
    passed = int(rs.records.loc[rs.records["dmarc_pass"], "count"].sum())
    busiest = daily.sum(axis=1).idxmax() if len(daily) else None
    sentence = (
        f"Over {len(daily)} days the reports count {total} messages; {passed} ({passed / total:.0%}) passed DMARC"
        + (f"; the busiest day was {busiest:%Y-%m-%d}." if busiest is not None else ".")
        if total
        else "The reports count no messages."
    )
    rows = [{"day": f"{d:%Y-%m-%d}", "pass": round(p), "fail": round(f)} for d, p, f in daily.itertuples()]
    return Chart(fig, sentence, rows=rows, title="Daily volume by DMARC result")


def pass_rate_by_sender(rs: ReportSet) -> Chart:
    """The DMARC pass rate of the busiest senders."""
    from smtpkit.render.charts import PALETTE, Chart, new_figure

    top = rs.senders.head(MAX_SENDERS).iloc[::-1]
    fig, ax = new_figure(width=7.5, height=0.35 * len(top) + 0.9)
    colours = [
        PALETTE["pass"] if c == "passing" else PALETTE["neutral"] if c == "forwarder" else PALETTE["fail"]
        for c in top["category"]
    ]
    ax.barh([str(s) for s in top["sender"]], top["pass_rate"] * 100, color=colours)
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of its messages passing DMARC")
    ax.tick_params(axis="y", labelsize=8)
    failing = rs.senders[rs.senders["category"] == "legitimate"]
    sentence = (
        f"{counted(len(rs.senders), 'sender')}; {len(failing)} legitimate"
        f" {'one fails' if len(failing) == 1 else 'ones fail'} DMARC: "
        + ", ".join(f"{s} ({p:.0%} pass)" for s, p in zip(failing["sender"], failing["pass_rate"]))
        + "."
        if len(failing)
        else f"{counted(len(rs.senders), 'sender')}; every legitimate sender passes DMARC."
    )
    rows = [
        {"sender": s, "category": c, "messages": int(m), "pass rate": f"{p:.1%}"}
        for s, c, m, p in rs.senders.head(MAX_SENDERS)[["sender", "category", "messages", "pass_rate"]].itertuples(
            index=False
        )
    ]
    return Chart(fig, sentence, rows=rows, title="DMARC pass rate per sender")


def senders_by_result(rs: ReportSet) -> Chart:
    """For each busy sender, its messages by how they authenticated (both aligned, DKIM only, SPF only, neither)."""
    import pandas as pd

    from smtpkit.render.charts import PALETTE, Chart, new_figure

    r = rs.records
    table = (
        pd.DataFrame({"sender": r["sender"].astype(object), "result": _result(r), "count": r["count"]})
        .pivot_table(index="sender", columns="result", values="count", aggfunc="sum", fill_value=0, observed=False)
        .reindex(columns=list(RESULTS), fill_value=0)
    )
    order = [s for s in rs.senders["sender"].head(MAX_SENDERS) if s in table.index]
    table = table.loc[order]
    fig, ax = new_figure(width=7.5, height=0.35 * len(table) + 1.1)
    colours = [PALETTE["pass"], "#4ac26b", PALETTE["warn"], PALETTE["fail"]]
    left = None
    names = [str(s) for s in table.index[::-1]]
    for column, colour in zip(RESULTS, colours):
        values = table[column].to_numpy()[::-1]
        ax.barh(names, values, left=left, color=colour, label=column)
        left = values if left is None else left + values
    ax.set_xlabel("messages")
    ax.tick_params(axis="y", labelsize=8)
    ax.legend(loc="lower right", fontsize=7, frameon=False)
    neither = table[RESULTS[3]]
    worst = neither.idxmax() if len(neither) and neither.max() > 0 else None
    sentence = (
        f"{int(neither.sum())} messages of these senders aligned neither SPF nor DKIM; most of them from {worst}."
        if worst is not None
        else "Every message of these senders aligned SPF or DKIM."
    )
    rows = [{"sender": s, **{c: int(v) for c, v in row.items()}} for s, row in table.iterrows()]
    return Chart(fig, sentence, rows=rows, title="Senders by authentication result")


def tls_failures_by_day(rs: ReportSet) -> Chart:
    """Failed TLS sessions per day and result type (TLS-RPT)."""
    import pandas as pd

    from smtpkit.render.charts import PALETTE, Chart, new_figure

    f = rs.tls_failures
    fig, ax = new_figure(width=7.5, height=2.6)
    if f.empty:
        ax.text(0.5, 0.5, "no TLS failures reported", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        ok = int(rs.tls["successful_sessions"].sum()) if not rs.tls.empty else 0
        return Chart(fig, f"No TLS failures were reported ({ok} successful sessions).", title="TLS-RPT failures")
    day = f["begin"].dt.floor("D")
    table = (
        pd.DataFrame({"day": day, "result_type": f["result_type"], "n": f["failed_sessions"]})
        .pivot_table(index="day", columns="result_type", values="n", aggfunc="sum", fill_value=0)
        .sort_index()
    )
    colours = [PALETTE["fail"], PALETTE["warn"], PALETTE["info"], PALETTE["neutral"], "#8250df", "#bf3989"]
    bottom = None
    labels = [d.strftime("%m-%d") for d in table.index]
    for i, column in enumerate(table.columns):
        values = table[column].to_numpy()
        ax.bar(labels, values, bottom=bottom, color=colours[i % len(colours)], label=str(column))
        bottom = values if bottom is None else bottom + values
    ax.set_ylabel("failed sessions")
    ax.legend(fontsize=7, frameon=False)
    ax.tick_params(axis="x", labelrotation=90, labelsize=7)
    totals = table.sum().sort_values(ascending=False)
    sentence = (
        f"{int(totals.sum())} TLS sessions failed on {len(table)} days: "
        + ", ".join(f"{k} {int(v)}" for k, v in totals.items())
        + "."
    )
    rows = [{"day": f"{d:%Y-%m-%d}", **{str(c): int(v) for c, v in row.items()}} for d, row in table.iterrows()]
    return Chart(fig, sentence, rows=rows, title="TLS-RPT failures over time")


def all_charts(rs: ReportSet) -> list[Chart]:
    """Every chart the tables allow (none for empty tables)."""
    out: list[Any] = []
    if not rs.records.empty:
        out += [daily_volume(rs), pass_rate_by_sender(rs), senders_by_result(rs)]
    if not rs.tls.empty:
        out.append(tls_failures_by_day(rs))
    return out
