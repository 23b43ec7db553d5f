"""DMARC alignment: the From domain and the domains SPF (Return-Path) and DKIM (d=) vouch for.

DMARC's central rule is easy to state and hard to see in a table: the domain
in the From header must match (be *aligned* with) a domain that SPF or DKIM
authenticated. The picture puts the From domain on the left and each
authenticated identity on the right, joined by a line that says whether they
are aligned, so the mismatch (a Return-Path at the mailing service, a d= of
the provider) is where the broken line is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from smtpkit.render.pictures.drawing import INK, MUTED, background, clip, foreground, plain_text, status_label

if TYPE_CHECKING:
    from smtpkit.model import Report
    from smtpkit.render.charts import Chart

__all__ = ["alignment_rows", "dmarc_alignment"]

_NAMES = {"SPF MAIL FROM": "Return-Path (SPF)", "DKIM d=": "DKIM signature d="}
_KIND = {"SPF MAIL FROM": "SPF", "DKIM d=": "DKIM"}


def alignment_rows(report: Report) -> tuple[str, list[dict[str, Any]]]:
    """(the step the rows come from, the rows of its "alignment" table): the dmarc step first, else any step."""
    steps = sorted(report.steps, key=lambda s: s.name != "dmarc")
    for step in steps:
        _summary, _details, tables = step.view()
        rows = tables.get("alignment")
        if rows:
            return str(step.name), [dict(r) for r in rows]
    return "", []


def _yes(value: Any) -> bool:
    return value is True or str(value).strip().lower() in ("yes", "true")


@plain_text
def dmarc_alignment(report: Report, *, title: str = "") -> Chart | None:
    """From against Return-Path and every DKIM d=, aligned or not; None when nothing was compared."""
    from matplotlib.patches import FancyBboxPatch

    from smtpkit.render.charts import Chart, new_figure

    _step, rows = alignment_rows(report)
    if not rows:
        return None
    from_domain = str(rows[0].get("From domain") or "?")
    n = len(rows)
    fig, ax = new_figure(width=7.0, height=max(1.5, 0.8 * n + 0.6))
    ax.set_axis_off()
    ax.set_xlim(0, 10)
    ax.set_ylim(-0.5, n - 0.3)
    mid = (n - 1) / 2
    ax.add_patch(
        FancyBboxPatch(
            (0.1, mid - 0.3),
            2.9,
            0.6,
            boxstyle="round,pad=0.02,rounding_size=0.1",
            facecolor="#f6f8fa",
            edgecolor=INK,
            linewidth=1.2,
        )
    )
    ax.text(1.55, mid + 0.1, "From (what people see)", ha="center", va="center", fontsize=7.5, color=MUTED)
    ax.text(1.55, mid - 0.12, clip(from_domain, 30), ha="center", va="center", fontsize=9, fontweight="bold", color=INK)
    words: list[dict[str, Any]] = []
    parts: list[str] = []
    for i, row in enumerate(rows):
        y = n - 1 - i
        ident = str(row.get("identifier") or "")
        name = _NAMES.get(ident, ident)
        domain = str(row.get("domain") or "?")
        mode = str(row.get("mode") or "relaxed")
        ok = _yes(row.get("aligned"))
        auth = str(row.get("authenticated") or "not checked")
        status = "pass" if ok else "fail"
        ax.plot([3.0, 6.0], [mid, y], color=foreground(status), linewidth=2.0, linestyle="-" if ok else (0, (4, 3)))
        ax.text(
            4.5,
            (mid + y) / 2 + 0.14,
            status_label(status, f"aligned ({mode})" if ok else f"not aligned ({mode})"),
            ha="center",
            va="bottom",
            fontsize=8,
            fontweight="bold",
            color=foreground(status),
            bbox={"facecolor": "white", "edgecolor": "none", "pad": 1.0},
        )
        auth_status = {"pass": "pass", "fail": "fail"}.get(auth, "skip")
        kind = _KIND.get(ident, name.split(" ")[0])
        # the box says whether this identity counts for DMARC: aligned and authenticated (pass), aligned but
        # failing its check (warn), aligned and not verified here (info), not aligned (fail)
        counts = "fail" if not ok else {"pass": "pass", "fail": "warn"}.get(auth, "info")
        ax.add_patch(
            FancyBboxPatch(
                (6.0, y - 0.3),
                3.85,
                0.6,
                boxstyle="round,pad=0.02,rounding_size=0.1",
                facecolor=background(counts),
                edgecolor=foreground(counts),
                linewidth=1.2,
            )
        )
        ax.text(7.925, y + 0.13, name, ha="center", va="center", fontsize=7.5, color=MUTED)
        ax.text(7.925, y - 0.06, clip(domain, 36), ha="center", va="center", fontsize=9, fontweight="bold", color=INK)
        ax.text(
            9.8,
            y - 0.245,
            f"{kind}: {clip(auth, 20)}",
            ha="right",
            va="center",
            fontsize=6.5,
            color=foreground(auth_status) if auth_status != "skip" else MUTED,
        )
        words.append(
            {
                "identifier": name,
                "domain": domain,
                "aligned with From": f"yes ({mode})" if ok else f"no ({mode})",
                "authenticated": auth,
            }
        )
        parts.append(f"{name} {domain}: {'aligned' if ok else 'not aligned'} ({mode}), {kind} {auth}")
    passes = any(_yes(r.get("aligned")) and str(r.get("authenticated")) == "pass" for r in rows)
    could = any(_yes(r.get("aligned")) and str(r.get("authenticated")) not in ("pass", "fail") for r in rows)
    if passes:
        verdict = "DMARC passes: at least one identifier is aligned and authenticated."
    elif could:
        verdict = "DMARC passes when an aligned identifier also authenticates (its signature verifies, or SPF passes)."
    else:
        verdict = "DMARC fails: no identifier is both aligned with the From domain and authenticated."
    sentence = f"From domain {from_domain}: " + "; ".join(parts) + f". {verdict}"
    return Chart(
        fig, sentence, rows=words, title=title or f"DMARC alignment for {clip(from_domain, 60)}", layout="beside"
    )
