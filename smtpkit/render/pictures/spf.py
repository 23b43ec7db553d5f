"""The SPF include tree against the limit of 10 DNS lookups.

"15 lookups; the limit is 10" does not say where to cut. Drawn as a tree whose
branches are bars on one lookup ruler (each include starts where the one
before it ended, its own includes nested inside it), the branch that crosses
the line at 10 is the one to flatten or remove, and the bars past the line are
the lookups receivers never make (they answer permerror instead).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from smtpkit.render.pictures.drawing import GRID, INK, MUTED, clip, foreground, plain_text, status_label, table_of

if TYPE_CHECKING:
    from smtpkit.model import Report
    from smtpkit.render.charts import Chart

__all__ = ["LOOKUP_LIMIT", "spf_include_tree"]

LOOKUP_LIMIT = 10  # RFC 7208 §4.6.4
MAX_ROWS = 30  # a picture past this is unreadable; the table beside and the step's table have every row


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


@plain_text
def spf_include_tree(report: Report, *, title: str = "") -> Chart | None:
    """The lookups of the domain's SPF record, branch by branch, against the limit; None without a record."""
    from smtpkit.render.charts import Chart, new_figure

    rows = table_of(report, "spf", "include tree")
    spf = report.step("spf") if hasattr(report, "step") else None
    if spf is None:
        return None
    _summary, details, _tables = spf.view()
    record = str(details.get("record") or "")
    if not record or record == "(none)":
        return None
    domain = str(details.get("domain") or "the domain")
    total = max([_int(r.get("lookups so far")) for r in rows] or [0])
    if total == 0:
        return None  # a record of ip4:/ip6: terms only: nothing to count, the step's summary says "0/10"
    shown = rows[:MAX_ROWS]
    n = len(shown) + 1
    fig, ax = new_figure(width=7.0, height=0.27 * n + 1.0)
    reach = max(total, LOOKUP_LIMIT) + 1
    # the whole record first: one bar, its part past the limit in the failure colour
    labels = [f"{clip(domain, 40)} (the whole record)"]
    _bar(ax, 0, 0, total, level=0)
    for i, row in enumerate(shown, start=1):
        level, cost, end = _int(row.get("level")), _int(row.get("lookups")), _int(row.get("lookups so far"))
        labels.append(("   " * level) + ("└ " if level else "") + clip(row.get("term"), 44 - 3 * level))
        _bar(ax, i, end - cost, end, level=level + 1)
        ax.text(end + 0.1, i, f"{cost}", va="center", fontsize=7, color=INK)
    ax.text(total + 0.1, 0, f"{total} of {LOOKUP_LIMIT}", va="center", fontsize=8, fontweight="bold", color=INK)
    ax.axvline(LOOKUP_LIMIT, color=foreground("fail"), linewidth=1.4, linestyle="--")
    ax.text(
        LOOKUP_LIMIT,
        -0.75,
        f" limit: {LOOKUP_LIMIT} lookups",
        fontsize=8,
        color=foreground("fail"),
        va="center",
        fontweight="bold",
    )
    ax.set_yticks(range(n), labels, fontsize=7.5)
    ax.set_ylim(n - 0.4, -1.2)
    ax.set_xlim(0, reach + 1.5)
    ax.set_xticks(range(0, reach + 1, 1 if reach <= 16 else 2))
    ax.tick_params(axis="x", labelsize=7.5, colors=MUTED)
    ax.grid(axis="x", color=GRID, linewidth=0.5)
    ax.set_axisbelow(True)
    ax.set_xlabel("DNS lookups, in the order a receiver makes them", fontsize=8, color=MUTED)
    if len(rows) > MAX_ROWS:
        ax.text(0, n - 0.5, f"… and {len(rows) - MAX_ROWS} more terms (in the table)", fontsize=7, color=MUTED)
    status = "fail" if total > LOOKUP_LIMIT else "pass"
    top = [r for r in rows if _int(r.get("level")) == 0]
    heaviest = max(top, key=lambda r: _int(r.get("lookups")), default=None)
    if total > LOOKUP_LIMIT:
        first_over = next((r for r in rows if _int(r.get("lookups so far")) > LOOKUP_LIMIT), None)
        sentence = (
            f"{domain}'s SPF needs {total} DNS lookups; receivers stop at {LOOKUP_LIMIT} and answer permerror, so SPF"
            " fails for every sender."
            + (f" The limit is crossed in {first_over.get('term')}." if first_over else "")
            + (
                f" The heaviest branch is {heaviest.get('term')} ({_int(heaviest.get('lookups'))} lookups)."
                if heaviest
                else ""
            )
        )
    else:
        sentence = f"{domain}'s SPF needs {total} of the {LOOKUP_LIMIT} DNS lookups receivers allow" + (
            f"; the heaviest branch is {heaviest.get('term')} ({_int(heaviest.get('lookups'))})." if heaviest else "."
        )
    words = [
        {
            "term (nested under its include)": ("· " * _int(r.get("level"))) + str(r.get("term") or ""),
            "lookups": _int(r.get("lookups")),
            "total so far": _total(_int(r.get("lookups so far"))),
        }
        for r in rows
    ]
    words.append(
        {"term (nested under its include)": "the whole record", "lookups": total, "total so far": _total(total)}
    )
    return Chart(
        fig,
        sentence,
        rows=words,
        title=title or f"SPF of {clip(domain, 60)}: {status_label(status, f'{total} of {LOOKUP_LIMIT} lookups')}",
        layout="beside",
    )


def _total(n: int) -> str:
    return f"{n} (past the limit)" if n > LOOKUP_LIMIT else str(n)


def _bar(ax: Any, y: int, start: int, end: int, *, level: int) -> None:
    """A bar over lookups start+1 .. end, the part past the limit in the failure colour."""
    height = max(0.72 - 0.08 * level, 0.4)
    inside = min(end, LOOKUP_LIMIT) - start
    if inside > 0:
        ax.barh(y, inside, left=start, height=height, color=foreground("info"), alpha=max(1.0 - 0.15 * level, 0.45))
    over_start = max(start, LOOKUP_LIMIT)
    if end > over_start:
        ax.barh(
            y,
            end - over_start,
            left=over_start,
            height=height,
            color=foreground("fail"),
            alpha=max(1.0 - 0.15 * level, 0.45),
            hatch="//",
            edgecolor="white",
        )
