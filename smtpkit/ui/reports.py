"""`ReportsForm`: your own DMARC aggregate and TLS-RPT reports read in notebook 08, with Run, as the other
forms work.

Why a form: the notebook asked to upload files and then run the cell under the upload button, or to set
`reports_dir` in the parameters cell. In the no-code app (Voilà) no cell can be run again, so the upload
did nothing there and a person who does not write code could only look at the lab's month. With Run (and
Enter in a field, Cancel, inline messages on a bad folder, domain, date or DNS server) the files uploaded,
or a folder on the computer that runs the notebook, are read in JupyterLab and in the app alike, and the
result is what the notebook shows for the lab's month: what was read, the findings with their fixes, the
policy simulation and the next step, the senders, the charts and the files that could not be used.

The files are read by `smtpkit.reports.load` with its caps for untrusted files; nothing is sent anywhere.
Only the reverse DNS of the source addresses is asked (of the DNS server typed, or this computer's), unless
"Skip reverse DNS" is ticked.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import ipywidgets as widgets

from smtpkit.errors import InvalidSettings
from smtpkit.ui.fields import hint_html, text_field, uploaded
from smtpkit.ui.modes import OWN, Banner
from smtpkit.ui.runner import BaseForm, FormBox

__all__ = ["MAX_UPLOAD", "PTR_DEADLINE", "ReportsForm", "reports_panel"]

#: The most bytes the upload may hold in all: a browser sends it through the notebook's websocket, and a
#: month of reports is a few megabytes. More belongs in a folder (the Folder field), read file by file.
MAX_UPLOAD = 50 * 1024 * 1024

#: Seconds the reverse DNS of all the source addresses may take (`smtpkit.reports.senders.lookup_ptrs`).
#: Reading the files has no time limit of its own (their caps bound each file), so the form promises none.
PTR_DEADLINE = 30.0


def _folder(text: str) -> Path | None:
    """The folder (or single file) typed, which must exist on this computer; None when the field is empty."""
    typed = text.strip()
    if not typed:
        return None
    path = Path(os.path.expandvars(os.path.expanduser(typed)))
    if not path.exists():
        raise InvalidSettings(
            f"{typed!r} does not exist on the computer that runs this notebook (the app reads its own disk, not"
            " the browser's): give the full path of the folder your reports are saved in, or upload them",
            field="folder",
        )
    if not os.access(path, os.R_OK):
        raise InvalidSettings(f"{typed!r} cannot be read: its permissions do not allow it", field="folder")
    return path


class ReportsForm(BaseForm):
    """Report files uploaded, or a folder typed; optional domain, date and DNS server: Run reads them
    (`smtpkit.reports.load`) and shows the findings, the policy simulation, the senders and the charts."""

    title = "Your reports"

    def __init__(self, *, nameserver: str | None = None, offline: bool = False) -> None:
        super().__init__(self._read_reports)
        self.upload = widgets.FileUpload(
            multiple=True,
            description="Upload",
            tooltip="DMARC aggregate or TLS-RPT reports: .xml, .xml.gz, .zip, .json, .eml, an mbox",
            layout=widgets.Layout(),
        )
        self.upload.add_class("smtpkit-upload")
        self.chosen = widgets.HTML(value=hint_html("No file chosen."), layout=widgets.Layout())
        self.chosen.add_class("smtpkit-chosen")
        self.upload.observe(lambda _c: self._show_chosen(), names="value")
        self.clear_button = widgets.Button(
            description="Clear", icon="times", tooltip="Forget the uploaded files", layout=widgets.Layout()
        )
        self.clear_button.on_click(lambda _b: self._clear_upload())
        self.folder = text_field("Folder", placeholder="optional: a folder on this computer, e.g. ~/dmarc-reports")
        self.domain = text_field("Domain", placeholder="optional: only reports about this domain, e.g. example.com")
        self.since = text_field("Since", placeholder="optional: only reports ending on or after, e.g. 2026-03-01")
        self.nameserver = text_field(
            "DNS server", value=nameserver or "", placeholder="optional: this computer's resolvers"
        )
        self.offline = widgets.Checkbox(
            value=offline, description="Skip reverse DNS", indent=False, layout=widgets.Layout(width="auto")
        )
        self.offline.add_class("smtpkit-offline")
        f = self.fields
        self.box = FormBox(
            [
                self.css,
                widgets.HTML(
                    hint_html(
                        "The files are read on the computer that runs this notebook and nothing is sent anywhere;"
                        " only the reverse DNS of the sending addresses is asked, of the DNS server below (or this"
                        " computer's), unless you skip it."
                    ),
                    layout=widgets.Layout(),
                ),
                f.add(
                    "upload",
                    widgets.HBox([self.upload, self.clear_button, self.chosen], layout=widgets.Layout()),
                    label="Upload",
                ),
                f.add("folder", self.folder, label="Folder"),
                f.add("domain", self.domain, label="Domain"),
                f.add("since", self.since, label="Since"),
                f.add("nameservers", self.nameserver, label="DNS server", aliases=("nameserver",)),
                widgets.HBox(
                    [
                        self.offline,
                        widgets.HTML(
                            hint_html("(the senders are then named from their DKIM and SPF domains only)"),
                            layout=widgets.Layout(),
                        ),
                    ],
                    layout=widgets.Layout(),
                ),
                *self._controls(),
            ],
            label="reports form",
        )

    # -- the upload ---------------------------------------------------------------------
    @property
    def files(self) -> list[tuple[str, bytes]]:
        """The files chosen, as (name, content): what the next Run reads."""
        return uploaded(self.upload.value)

    def add_file(self, name: str, content: bytes) -> None:
        """Read this file on the next Run too, as if it had been chosen in the upload dialog (tests, code)."""
        import datetime as dt

        entry = {
            "name": name,
            "type": "",
            "size": len(content),
            "last_modified": dt.datetime.now(dt.UTC),
            "content": memoryview(bytes(content)),
        }
        self.upload.value = (*tuple(self.upload.value or ()), entry)

    def _show_chosen(self) -> None:
        files = self.files
        self.fields.clear("upload")
        if not files:
            self.chosen.value = hint_html("No file chosen.")
            return
        size = sum(len(content) for _name, content in files)
        names = ", ".join(name for name, _c in files[:3]) + (f" and {len(files) - 3} more" if len(files) > 3 else "")
        self.chosen.value = hint_html(f"{len(files)} file{'s' if len(files) != 1 else ''} ({_size(size)}): {names}")

    def _clear_upload(self) -> None:
        self.upload.value = ()

    # -- settings -------------------------------------------------------------------------
    def settings(self) -> dict[str, Any]:
        from smtpkit.reports.loader import parse_domain, parse_since
        from smtpkit.settings import validate_nameserver

        typed = self.nameserver.value.strip()
        chosen = self.fields.read_all(
            {
                "folder": lambda: _folder(self.folder.value),
                "files": self._chosen_files,
                "domain": lambda: parse_domain(self.domain.value),
                "since": lambda: parse_since(self.since.value.strip() or None),
                "nameserver": lambda: validate_nameserver(typed, field="nameservers") if typed else None,
            }
        )
        if not chosen["files"] and chosen["folder"] is None:
            raise InvalidSettings(
                "Nothing to read: upload your report files (Upload), or type the folder they are saved in (Folder)",
                field="upload",
            )
        return {**chosen, "offline": bool(self.offline.value)}

    def _chosen_files(self) -> list[dict[str, Any]]:
        files = [{"name": name, "content": content} for name, content in self.files]
        size = sum(len(f["content"]) for f in files)
        if size > MAX_UPLOAD:
            raise InvalidSettings(
                f"{_size(size)} uploaded; at most {_size(MAX_UPLOAD)} here: save the reports in a folder on this"
                " computer and type it in Folder (it is read file by file)",
                field="upload",
            )
        return files

    def _read_reports(self, s: dict[str, Any]) -> Any:
        from smtpkit.net.dns import Resolver
        from smtpkit.progress import current
        from smtpkit.reports import load
        from smtpkit.reports.loader import load_uploads

        progress = current()
        options: dict[str, Any] = {"domain": s["domain"], "since": s["since"], "offline": s["offline"]}
        if s["nameserver"]:
            options["resolver"] = Resolver(nameservers=[s["nameserver"]], timeout=2.0)
        doing = "reading the report files" if s["offline"] else "reading the files, then the senders' reverse DNS"
        progress.started("read", doing, None if s["offline"] else PTR_DEADLINE)
        folders = [s["folder"]] if s["folder"] is not None else []
        rs = load_uploads(s["files"], paths=folders, **options) if s["files"] else load(folders, **options)
        progress.check()
        got = rs.summary()
        reports = got["aggregate_reports"] + got["tls_reports"]
        from smtpkit.render.plural import counted

        read = f"{counted(reports, 'report')} in {counted(got['files'], 'file')}"
        progress.finished("read", "pass" if reports else "warn", read)
        progress.started("findings", "looking for the senders that fail and why")
        panel = reports_panel(rs, title=self.title)
        progress.finished("findings", panel.status or "info")
        return panel

    def _plan(self, settings: dict[str, Any]) -> tuple[str, ...]:
        return ("read", "findings")

    def _banner(self, settings: dict[str, Any], result: Any) -> Banner:
        if settings["offline"]:
            dns = "not asked (senders named from their DKIM and SPF domains)"
        else:
            dns = settings["nameserver"] or "this computer's resolvers"
        lines = [("Read", " and ".join(_sources(settings))), ("Reverse DNS", dns)]
        if settings["domain"]:
            lines.append(("Only about", settings["domain"]))
        if settings["since"] is not None:
            lines.append(("Only ending on or after", str(settings["since"].date())))
        return Banner(OWN, "the reports you gave", tuple(lines))

    def _describe(self, settings: dict[str, Any]) -> str:
        folder = settings["folder"]
        return f"{self.title}: {', '.join(_sources(settings, folder.name if folder is not None else ''))}"


def _sources(settings: dict[str, Any], folder_as: str = "") -> list[str]:
    """What a run reads, in words: "3 uploaded files", the folder (its full path, or `folder_as`)."""
    n = len(settings["files"])
    parts = [f"{n} uploaded file{'s' if n != 1 else ''}"] if n else []
    if settings["folder"] is not None:
        parts.append(folder_as or str(settings["folder"]))
    return parts


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{max(1, round(n / 1024))} kB"


def reports_panel(rs: Any, *, title: str = "DMARC reports") -> Any:
    """Everything notebook 08 shows for a set of reports, as one panel: what was read, the findings with their
    fixes (the senders, the files that could not be used, what a stricter policy would have done and the TLS
    failures are tables of those steps) and the charts. Its status is the findings' verdict; "warn" when no file
    held a report, or none passed Domain and Since (said as such, with what the files do hold)."""
    import html

    from smtpkit.render.panel import Html, Panel

    summary = rs.summary()
    read = rs.to_text(problems=False)
    what_was_read = Html("<p>" + html.escape(read).replace("\n", "<br>") + "</p>", read)
    if not summary["aggregate_reports"] and not summary["tls_reports"]:
        held = rs.unfiltered or {}
        if held.get("reports"):
            kept = [f"is about {rs.domain}"] if rs.domain else []
            if rs.since is not None:
                kept.append(f"ends on or after {rs.since.date()}")
            period = f", from {held['first']} to {held['last']}" if held.get("first") else ""
            note = (
                f"No report {' and '.join(kept)}: the files hold {held['reports']} reports about"
                f" {', '.join(held['domains'][:5]) or 'no domain'}{period}. Change Domain or Since (or empty them)."
            )
            return Panel(title, status="warn", note=note).add("What was read", what_was_read)
        panel = Panel(title, status="warn", note="No DMARC aggregate or TLS-RPT report was found in these files.")
        panel.add("What was read", what_was_read)
        panel.add("Files that could not be used", rs.problems[["source", "kind", "reason"]])
        return panel.add(
            "What to do",
            "Aggregate reports arrive at the address in your DMARC record's rua= tag, as .zip, .xml.gz or .xml"
            " attachments (TLS-RPT: .json.gz, at the address of your _smtp._tls record). Save those attachments,"
            " or the whole mails (.eml, an mbox), and read them here; the table above says why each file was"
            " not used.",
        )
    report = rs.check()
    note = ""
    if rs.ptr_unanswered:
        servers = ", ".join(rs.ptr_servers) or "the DNS server"
        note = (
            f"Reverse DNS did not work: {servers} gave no answer for {rs.ptr_unanswered} of the {rs.ptr_asked}"
            " sending addresses, so those senders are named only from the domains that signed or bounced for"
            " them, and real senders may show as unknown (spoofing). Check the DNS server and run again, or tick"
            " Skip reverse DNS to leave it out on purpose."
        )
    panel = Panel(title, status=report.verdict, note=note)
    panel.add("What was read", what_was_read)
    panel.add("Findings and fixes", report)
    for chart in rs.charts():
        panel.add("", chart)
    return panel
