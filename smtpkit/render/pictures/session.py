"""The steps of a check as a coloured strip, the first failure marked, and where the time went.

A person who asks "why does my mail not send" wants the place first: which
step broke, and whether everything after it was even tried. The strip answers
that in one look (one box per step, in order, the status word in each box);
the timeline under it answers the next question, "why was it so slow", with
one bar per step. For a session the steps run one after the other, so the bars
follow each other; the steps of a domain check run at the same time, so their
bars all start at zero and the check took as long as the longest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from smtpkit.render.pictures.drawing import (
    GRID,
    INK,
    MUTED,
    background,
    clip,
    foreground,
    plain_text,
    status_label,
    status_of,
)

if TYPE_CHECKING:
    from smtpkit.model import Report, Step
    from smtpkit.render.charts import Chart

__all__ = ["is_sequential", "session_strip"]

# the first steps of a session: a report that has them ran its steps one after the other
_SESSION_STEPS = ("resolve", "connect")


def is_sequential(report: Report) -> bool:
    """True for a session (each step waits for the one before), False for a domain check (all at once)."""
    return any(report.step(name) is not None for name in _SESSION_STEPS)


def _duration(ms: float) -> str:
    if ms >= 10_000:
        return f"{ms / 1000:.0f} s"
    if ms >= 1000:
        return f"{ms / 1000:.1f} s"
    if ms >= 10:
        return f"{ms:.0f} ms"
    return f"{ms:.1f} ms"


@plain_text
def session_strip(report: Report, *, timeline: bool = True, title: str = "") -> Chart | None:
    """The strip of steps (first failure marked) and, with `timeline`, the time each step took.

    None for a report without steps. The table beside says the same: each
    step, its status, its time and its share of the whole.
    """
    from matplotlib.patches import FancyBboxPatch

    from smtpkit.render.charts import Chart, new_canvas

    steps = [(str(s.name), status_of(s.status), float(s.elapsed_ms or 0.0), s.view()[0]) for s in report.steps]
    if not steps:
        return None
    sequential = is_sequential(report)
    first_fail = next((i for i, (_n, st, _ms, _s) in enumerate(steps) if st == "fail"), None)
    n = len(steps)
    per_row = min(n, 9)
    strip_rows = (n + per_row - 1) // per_row
    bar_height = 0.24 * n + 0.75 if timeline else 0.0
    strip_height = 0.95 * strip_rows + 0.35
    fig = new_canvas(width=7.0, height=strip_height + bar_height)
    grid = fig.add_gridspec(2 if timeline else 1, 1, height_ratios=[strip_height, bar_height] if timeline else [1])
    strip = fig.add_subplot(grid[0])
    strip.set_axis_off()
    strip.set_xlim(0, per_row)
    strip.set_ylim(-0.05, strip_rows + 0.3)
    label_size = 9 if per_row <= 7 else 8
    for i, (name, status, _ms, _summary) in enumerate(steps):
        col, level = i % per_row, strip_rows - 1 - i // per_row
        first = i == first_fail
        box = FancyBboxPatch(
            (col + 0.06, level + 0.12),
            0.88,
            0.66,
            boxstyle="round,pad=0.0,rounding_size=0.08",
            facecolor=background(status),
            edgecolor=foreground(status),
            linewidth=3.0 if first else 1.0,
            linestyle="-" if status != "skip" else (0, (3, 2)),
        )
        strip.add_patch(box)
        strip.text(
            col + 0.5,
            level + 0.56,
            clip(name, 12),
            ha="center",
            va="center",
            fontsize=label_size,
            fontweight="bold",
            color=INK,
        )
        strip.text(
            col + 0.5,
            level + 0.3,
            status_label(status),
            ha="center",
            va="center",
            fontsize=label_size - 1,
            color=foreground(status),
        )
        if first:
            strip.text(
                col + 0.5,
                level + 0.9,
                "first failure",
                ha="center",
                va="bottom",
                fontsize=8,
                fontweight="bold",
                color=foreground("fail"),
            )
    total = sum(ms for _n, _s, ms, _sum in steps)
    longest = max(ms for _n, _s, ms, _sum in steps)
    if timeline:
        bars = fig.add_subplot(grid[1])
        bars.spines[["top", "right"]].set_visible(False)
        start = 0.0
        scale = 1000.0 if (total if sequential else longest) >= 2000 else 1.0
        unit = "s" if scale > 1 else "ms"
        for i, (_name, status, ms, _summary) in enumerate(steps):
            left = start if sequential else 0.0
            if status == "skip" and ms <= 0:
                bars.text(left / scale, i, "  not run", va="center", fontsize=8, color=MUTED)
            else:
                bars.barh(i, max(ms, 0.0) / scale, left=left / scale, height=0.6, color=foreground(status))
                bars.text((left + ms) / scale, i, f"  {_duration(ms)}", va="center", fontsize=8, color=INK)
            if sequential:
                start += ms
        bars.set_yticks(range(n), [clip(name, 14) for name, *_rest in steps], fontsize=8)
        bars.invert_yaxis()
        bars.set_ylim(n - 0.4, -0.6)
        reach = (total if sequential else longest) / scale
        bars.set_xlim(0, max(reach * 1.18, 1e-3))
        bars.tick_params(axis="x", labelsize=8, colors=MUTED)
        bars.grid(axis="x", color=GRID, linewidth=0.6)
        bars.set_axisbelow(True)
        bars.set_xlabel(
            f"{unit} since the start (each step waits for the one before)"
            if sequential
            else f"{unit}: the steps ran at the same time",
            fontsize=8,
            color=MUTED,
        )
    if first_fail is not None:  # the failure said by its problem, not by the step's summary of what it read
        steps[first_fail] = (*steps[first_fail][:3], _problem(report.steps[first_fail], steps[first_fail][3]))
    sentence = _sentence(steps, first_fail, total, longest, sequential, timeline)
    rows: list[dict[str, Any]] = []
    for name, status, ms, _summary in steps:
        row: dict[str, Any] = {"step": name, "status": status}
        row["time"] = "not run" if status == "skip" and ms <= 0 else _duration(ms)
        if sequential:
            row["share"] = f"{ms / total:.0%}" if total > 0 and row["time"] != "not run" else ""
        rows.append(row)
    return Chart(fig, sentence, rows=rows, title=title or "The steps at a glance", layout="beside")


def _problem(step: Step, summary: str) -> str:
    """What went wrong in a failed step: its first failing finding's title ("'+all' lets the whole internet send
    as example.com"), else its summary. The summary says what the step read, and for a step that read well and
    judged badly it said nothing of the failure ("SPF record found, 1/10 lookups; 127.0.0.1 -> pass")."""
    from smtpkit.model import Severity
    from smtpkit.secrets import redact

    title = next((f.title for f in step.findings if f.severity is Severity.FAIL), "")
    return redact(title) if title else summary


def _sentence(
    steps: list[tuple[str, str, float, str]],
    first_fail: int | None,
    total: float,
    longest: float,
    sequential: bool,
    timeline: bool,
) -> str:
    warned = [n for n, st, _ms, _s in steps if st == "warn"]
    out: list[str] = []
    if first_fail is None:
        # each status counted as what it is: an information step did not "pass" (it said "7 of 7 passed" beside
        # an ℹ chip), and a step not run is said, not left out of the count ("5 of 7 passed")
        counted = {st: sum(1 for _n, s, _ms, _x in steps if s == st) for st in ("pass", "warn", "info", "skip")}
        words = {"pass": "passed", "warn": "warned", "info": "for information only", "skip": "not run"}
        parts = [f"{counted[st]} {words[st]}" for st in words if counted[st]]
        out.append(f"No step failed ({', '.join(parts)}).")
        if warned:
            out.append(f"Warnings: {', '.join(warned)}.")
    else:
        name, _st, _ms, summary = steps[first_fail]
        before = [n for n, *_r in steps[:first_fail]]
        if sequential:
            out.append(
                (f"{', '.join(before)} passed; the" if before else "The") + f" first failure is the {name} step:"
            )
        else:
            out.append(f"The {name} step failed:")
        out[-1] += f" {summary.rstrip('.')}."
        after = [n for n, st, _ms, _s in steps[first_fail + 1 :] if st == "skip"]
        if after and sequential:
            out.append(f"Not run because of it: {', '.join(after)}.")
        others = [n for n, st, _ms, _s in steps[first_fail + 1 :] if st == "fail"]
        if others:
            out.append(f"Also failed: {', '.join(others)}.")
    if timeline and steps:
        slowest = max(steps, key=lambda s: s[2])
        if sequential and total > 0:
            out.append(
                f"The check took {_duration(total)}; the slowest step was {slowest[0]} ({_duration(slowest[2])},"
                f" {slowest[2] / total:.0%} of the time)."
            )
        elif longest > 0:
            out.append(f"The steps ran at the same time; the slowest was {slowest[0]} ({_duration(longest)}).")
    return " ".join(out)
