"""Notebook views of the evidence flow: the upload/paste form, the hop-delay timeline, the side-by-side tables.

Everything here only shapes results for display; the analysis is
`smtpkit.analyze_message` / `smtpkit.analyze_bounce`. Results are ordinary
outputs (a Report, a Chart, DataFrames), so a saved notebook shows them
without a kernel.
"""

from __future__ import annotations

from typing import Any

from smtpkit.model import Report

__all__ = ["EvidenceForm", "hop_timeline", "requirements_frame", "verdicts_frame"]


def _table(report: Report, step: str, table: str) -> list[dict[str, Any]]:
    s = report.step(step)
    return list(s.tables.get(table, [])) if s is not None else []


def hop_timeline(report: Report):  # type: ignore[no-untyped-def]
    """A static chart of each hop's delay (seconds, log scale), with the same facts as a table beside it."""
    from smtpkit.render.charts import PALETTE, Chart, new_figure

    hops = _table(report, "journey", "hops")
    rows = [
        {
            "hop": h["hop"],
            "by": h["by"] or h["from"] or "?",
            "delay": h["delay"] or "(first or unknown)",
            "tls": h["tls"],
        }
        for h in hops
    ]
    labels = [f"{h['hop']}. {str(h['by'] or h['from'] or '?')[:40]}" for h in hops]
    delays = [max(float(h["delay_s"]), 0.5) if isinstance(h.get("delay_s"), (int, float)) else 0.0 for h in hops]
    fig, ax = new_figure(width=7.0, height=max(1.6, 0.35 * len(hops) + 0.8))
    slow = {f.title.split()[1] for f in report.findings if f.code == "message.hop_slow"}
    colours = [PALETTE["warn"] if str(h["hop"]) in slow else PALETTE["info"] for h in hops]
    ax.barh(labels, delays, color=colours)
    ax.invert_yaxis()
    if any(d > 0 for d in delays):
        ax.set_xscale("log")
    ax.set_xlabel("seconds since the previous hop (log scale)")
    timed = [h for h in hops if isinstance(h.get("delay_s"), (int, float))]
    if hops:
        worst = max(timed, key=lambda h: h["delay_s"], default=None)
        journey = report.step("journey")
        total = journey.details.get("total time", "unknown") if journey is not None else "unknown"
        sentence = f"{len(hops)} hops in {total}." + (
            f" The longest step was hop {worst['hop']} ({worst['delay']}) at {worst['by'] or '?'}." if worst else ""
        )
    else:
        sentence = "The message has no Received fields, so there is no journey to draw."
    return Chart(fig, sentence, rows=rows, title="Where the time went")


def verdicts_frame(report: Report):  # type: ignore[no-untyped-def]
    """The receiver's verdicts beside the kit's own (one row per method)."""
    import pandas as pd

    rows = _table(report, "re-verification", "verdicts")
    return pd.DataFrame(rows, columns=["method", "receiver said", "kit says", "agree", "kit's detail"]).fillna("")


def requirements_frame(report: Report):  # type: ignore[no-untyped-def]
    """The bulk-sender requirements checklist as a DataFrame."""
    import pandas as pd

    return pd.DataFrame(
        _table(report, "requirements", "requirements"),
        columns=["requirement", "applies to", "status", "evidence", "fix"],
    )


class EvidenceForm:
    """Upload a .eml or paste "Show original" text, press Analyse: a message or a bounce, whichever it is.

    `run(text_or_bytes)` does the same without widgets (what headless runs use).
    """

    def __init__(self, nameserver: str | None = None, *, dns: bool = True) -> None:
        import ipywidgets as widgets

        self.nameserver = nameserver
        self.dns = dns
        self.upload = widgets.FileUpload(accept=".eml,.txt,.msg,message/rfc822", multiple=False, description="Upload")
        self.paste = widgets.Textarea(
            placeholder="…or paste the message here (Gmail: Show original; Outlook: Internet headers)",
            layout=widgets.Layout(width="100%", height="8em"),
        )
        self.kind = widgets.ToggleButtons(options=["message", "bounce"], value="message", description="It is a")
        self.button = widgets.Button(description="Analyse", button_style="primary")
        self.out = widgets.Output()
        self.button.on_click(lambda _b: self._clicked())
        self.widget = widgets.VBox([widgets.HBox([self.upload, self.kind, self.button]), self.paste, self.out])
        self.report: Report | None = None

    def _input(self) -> bytes | str | None:
        from smtpkit.ui.fields import uploaded

        files = uploaded(self.upload.value)
        if files:
            return files[0][1]
        text = self.paste.value
        return text if text.strip() else None

    def run(self, source: bytes | str, kind: str | None = None) -> Report:
        import smtpkit

        kind = kind or self.kind.value
        if kind == "bounce":
            self.report = smtpkit.analyze_bounce(source)
        else:
            servers = [self.nameserver] if self.nameserver else None
            self.report = smtpkit.analyze_message(source, nameservers=servers, dns=self.dns)
        return self.report

    def _clicked(self) -> None:
        from IPython.display import display

        self.out.clear_output()
        with self.out:
            source = self._input()
            if source is None:
                print("Upload a file or paste a message first.")
                return
            report = self.run(source)
            display(report)
            if report.step("journey") is not None:
                display(hop_timeline(report))

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)
