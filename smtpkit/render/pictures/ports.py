"""The port x mode matrix as a coloured grid, the recommended port framed.

The matrix answers "which port and which setting do I use", and a grid shows
the answer as a green row among red and grey ones: each port a row, each thing
tried a column (connect, a plain greeting, STARTTLS, implicit TLS, the
certificate, a login), each cell saying in a word what happened.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from smtpkit.render.pictures.drawing import INK, MUTED, background, clip, foreground, plain_text

if TYPE_CHECKING:
    from smtpkit.render.charts import Chart

__all__ = ["COLUMNS", "MatrixLike", "port_grid"]

COLUMNS = ("connect", "greeting", "STARTTLS", "implicit TLS", "certificate", "login", "use it as")


class MatrixLike(Protocol):
    """What the grid reads from a port matrix (`smtpkit.checks.ports.PortMatrix`)."""

    host: str
    recommendation: dict[str, Any]

    def rows(self) -> list[dict[str, Any]]: ...


def _cells(row: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(status, word) for each column of one port's row."""
    reachable = str(row.get("reachable") or "")
    if reachable != "yes":
        word = {"refused": "refused", "timeout": "no answer", "unreachable": "unreachable"}.get(reachable, "no")
        return [("fail", word)] + [("skip", "–")] * (len(COLUMNS) - 2) + [("fail", "do not use")]
    greets = str(row.get("greets") or "")
    offered, works = str(row.get("starttls_offered") or ""), str(row.get("starttls_works") or "")
    implicit = str(row.get("implicit_tls_works") or "")
    cert = str(row.get("certificate") or "-")
    login = str(row.get("auth_after_tls") or "-")
    before = str(row.get("auth_before_tls") or "-")
    use = str(row.get("use_as") or "-")
    out = [("pass", "yes")]
    out.append({"yes": ("pass", "in plain text"), "after TLS": ("info", "after TLS")}.get(greets, ("fail", "none")))
    if works == "yes":
        out.append(("pass", "works"))
    elif offered == "yes":
        out.append(("fail", "fails"))
    else:
        out.append(("skip", "not offered"))
    out.append(("pass", "works") if implicit == "yes" else ("skip", "no"))
    if cert == "valid":
        out.append(("pass", "valid"))
    elif cert.upper().startswith("INVALID"):
        out.append(("fail", "invalid"))
    else:
        out.append(("skip", "–"))
    if login != "-":
        methods = login.split()
        out.append(("pass", clip(methods[0], 10) + (f" +{len(methods) - 1}" if len(methods) > 1 else "")))
    elif before != "-":
        out.append(("warn", "only without TLS"))
    else:
        out.append(("skip", "none"))
    if use in ("-", ""):
        out.append(("fail", "do not use"))
    elif "plain" in use or "bad certificate" in use:
        out.append(("warn", clip(use, 16)))
    else:
        out.append(("pass", clip(use, 16)))
    return out


@plain_text
def port_grid(matrix: MatrixLike, *, labels: Mapping[int, str] | None = None, title: str = "") -> Chart | None:
    """The grid of ports (rows) and what was tried on each (columns); None when no port was probed.

    `labels` names ports (the lab's server on each port).
    """
    from matplotlib.patches import Rectangle

    from smtpkit.render.charts import Chart, new_figure

    rows: Sequence[dict[str, Any]] = matrix.rows()
    if not rows:
        return None
    rec = dict(matrix.recommendation or {})
    best = rec.get("port")
    n, m = len(rows), len(COLUMNS)
    fig, ax = new_figure(width=7.0, height=0.42 * n + 0.9)
    ax.set_axis_off()
    ax.set_xlim(-1.6, m)
    ax.set_ylim(n + 0.05, -0.75)
    for j, column in enumerate(COLUMNS):
        ax.text(j + 0.5, -0.3, column, ha="center", va="center", fontsize=8, fontweight="bold", color=INK)
    words = []
    for i, row in enumerate(rows):
        port = int(row.get("port") or 0)
        name = f"port {port}" + (f"\n{clip(labels[port], 14)}" if labels and port in labels else "")
        ax.text(-0.1, i + 0.5, name, ha="right", va="center", fontsize=8, fontweight="bold", color=INK)
        for j, (status, word) in enumerate(_cells(row)):
            ax.add_patch(
                Rectangle(
                    (j + 0.03, i + 0.06),
                    0.94,
                    0.88,
                    facecolor=background(status),
                    edgecolor=foreground(status),
                    linewidth=0.8,
                )
            )
            ax.text(
                j + 0.5,
                i + 0.5,
                word,
                ha="center",
                va="center",
                fontsize=7,
                color=foreground(status) if status != "skip" else MUTED,
            )
        if port == best:
            ax.add_patch(Rectangle((-1.55, i + 0.01), m + 1.53, 0.98, fill=False, edgecolor=INK, linewidth=2.2))
        words.append(
            {
                "port": port,
                **({"server": labels.get(port, "")} if labels else {}),
                "use it as": row.get("use_as") if row.get("use_as") not in (None, "", "-") else "do not use",
                "what happened": row.get("note"),
            }
        )
    summary = str(rec.get("summary") or "").strip().rstrip(".")
    reason = str(rec.get("reason") or "").strip().rstrip(".")
    sentence = f"{summary}." + (f" {reason}." if reason else "") if summary else "No port worked."
    if best is not None:
        sentence += f" The framed row is port {best}."
    host = clip(getattr(matrix, "host", ""), 60)
    return Chart(fig, sentence, rows=words, title=title or f"Ports of {host}: what works", layout="beside")
