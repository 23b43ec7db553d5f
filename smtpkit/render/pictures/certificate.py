"""The server certificate's validity on a time axis: issued, the day of the check, expiry.

"Expired 10 days ago" and "valid for 89 more days" are dates people compare in
their head; drawn as a bar on a calendar with a line for the day of the check,
the answer is where the line falls: inside the bar (valid), after it (expired),
before it (not valid yet), or just before its end (renew now).
"""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING, Any

from smtpkit.render.pictures.drawing import (
    GRID,
    INK,
    MUTED,
    clip,
    foreground,
    parse_utc,
    plain_text,
    status_label,
    table_of,
)

if TYPE_CHECKING:
    from smtpkit.model import Report
    from smtpkit.render.charts import Chart

__all__ = ["certificate_validity"]

# A certificate with fewer days left than this is drawn as a warning (the lab's and most
# monitoring tools' threshold; Let's Encrypt renews at 30 days left).
SOON_DAYS = 30


def _name(fields: dict[str, Any], report: Report) -> str:
    names = str(fields.get("names (SANs)") or "").split(",")
    first = names[0].strip() if names and names[0].strip() not in ("", "(none)") else ""
    if first:
        return first
    subject = str(fields.get("subject") or "")
    for part in subject.split(","):
        if part.strip().upper().startswith("CN="):
            return part.strip()[3:]
    return str(report.target_dict().get("host") or "the server")


def _days(delta: _dt.timedelta) -> str:
    days = abs(delta) // _dt.timedelta(days=1)
    return "less than a day" if days == 0 else f"{days} day{'s' if days != 1 else ''}"


def _relative(when: _dt.datetime, checked: _dt.datetime) -> str:
    if abs(when - checked) < _dt.timedelta(minutes=1):
        return "the check"
    return f"{_days(when - checked)} {'before' if when < checked else 'after'}"


def month_ticks(first: _dt.datetime, last: _dt.datetime, most: int = 8) -> list[tuple[_dt.datetime, str]]:
    """Calendar ticks between two dates: the first of every month (every 2nd, 3rd, ... to stay under `most`),
    labelled with the month, and the year where it starts or changes."""
    months: list[_dt.datetime] = []
    year, month = first.year, first.month + 1
    while True:
        if month > 12:
            year, month = year + 1, 1
        tick = _dt.datetime(year, month, 1, tzinfo=_dt.UTC)
        if tick > last:
            break
        months.append(tick)
        month += 1
    step = max(1, -(-len(months) // most))
    chosen = months[::step]
    out = []
    for i, t in enumerate(chosen):
        show_year = i == 0 or t.year != chosen[i - 1].year
        out.append((t, f"{t:%b}\n{t:%Y}" if show_year else f"{t:%b}"))
    return out


@plain_text
def certificate_validity(report: Report, *, title: str = "") -> Chart | None:
    """The leaf certificate's validity period with the day of the check, or None when no certificate was read."""
    from smtpkit.render.charts import Chart, new_figure

    fields = {str(r.get("field")): r.get("value") for r in table_of(report, "tls", "certificate")}
    issued, expires = parse_utc(fields.get("valid from")), parse_utc(fields.get("valid to"))
    if issued is None or expires is None or expires < issued:
        return None
    checked = getattr(report, "checked_at", None) or _dt.datetime.now(_dt.UTC)
    if checked.tzinfo is None:
        checked = checked.replace(tzinfo=_dt.UTC)
    name = _name(fields, report)
    if checked > expires:
        status, state = "fail", f"expired {_days(checked - expires)} before the check"
    elif checked < issued:
        status, state = (
            "fail",
            f"not valid yet: valid only from {issued:%Y-%m-%d}, {_days(issued - checked)} after the check",
        )
    elif expires - checked < _dt.timedelta(days=SOON_DAYS):
        status, state = "warn", f"valid, but expires in {_days(expires - checked)}: renew it now"
    else:
        status, state = "pass", f"valid for {_days(expires - checked)} more"
    # "it was expired 10 days before the check", after "on the day of the check", said the check twice
    said = f"it had expired {_days(checked - expires)} earlier" if checked > expires else f"it was {state}"
    fig, ax = new_figure(width=7.0, height=1.9)
    start, end = min(issued, checked), max(expires, checked)
    pad = max((end - start) * 0.08, _dt.timedelta(days=2))
    origin = start - pad

    def x(when: _dt.datetime) -> float:
        return (when - origin) / _dt.timedelta(days=1)

    ax.set_xlim(0, x(end + pad))
    ax.set_ylim(0, 1.5)
    left, right, today = x(issued), x(expires), x(checked)
    ax.barh(0.55, right - left, left=left, height=0.4, color=foreground(status), alpha=0.85)
    ax.text(left, 0.82, f"issued\n{issued:%Y-%m-%d}", ha="left", va="bottom", fontsize=8, color=INK)
    ax.text(right, 0.82, f"expires\n{expires:%Y-%m-%d}", ha="right", va="bottom", fontsize=8, color=INK)
    ax.axvline(today, ymax=0.52, color=INK, linewidth=1.6, linestyle="--")  # below the date labels
    near_right = today > x(end) - (x(end) - x(start)) * 0.15
    ax.text(
        today,
        0.12,
        f" today (the check): {checked:%Y-%m-%d} ",
        ha="right" if near_right else "left",
        va="center",
        fontsize=8,
        fontweight="bold",
        color=INK,
    )
    ax.text(
        (left + right) / 2,
        0.55,
        status_label(status, state.split(":")[0].upper()),
        ha="center",
        va="center",
        fontsize=8,
        fontweight="bold",
        color="white",
    )
    ax.set_yticks([])
    ax.spines[["left"]].set_visible(False)
    ticks = month_ticks(origin, end + pad)
    ax.set_xticks([x(t) for t, _label in ticks], [label for _t, label in ticks])
    ax.tick_params(axis="x", labelsize=8, colors=MUTED)
    ax.grid(axis="x", color=GRID, linewidth=0.6)
    ax.set_axisbelow(True)
    sentence = (
        f"The certificate of {name} was issued on {issued:%Y-%m-%d} and"
        f" {'expired' if checked > expires else 'expires'} on {expires:%Y-%m-%d};"
        f" on the day of the check ({checked:%Y-%m-%d}) {said}."
    )
    events = sorted(
        [("issued", issued), ("today (the check)", checked), ("expires", expires)],
        key=lambda e: e[1],
    )
    rows = [
        {
            "event": label,
            "date (UTC)": f"{when:%Y-%m-%d %H:%M}",
            "relative to the check": _relative(when, checked),
            "status": status if when is checked else "",
        }
        for label, when in events
    ]
    return Chart(fig, sentence, rows=rows, title=title or f"Certificate of {clip(name, 60)}: validity", layout="beside")
