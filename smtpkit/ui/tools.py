"""Forms for every tool of the kit, so nobody has to edit a Python string to use one.

* `PortsForm`: which port and mode work (the port x mode matrix), for the lab's
  servers or your own host.
* `SpfTraceForm`: SPF evaluated for one IP, every include and lookup.
* `SpfRecordForm`: a record pasted before it is published, read in plain words.
* `DkimKeyForm`: a new DKIM key: the record to publish (wrapped, with a Copy
  button), and the private key as a download that never enters a cell output.
* `ExplainForm`: an error message or a whole bounce, pasted, explained.

They share the forms' machinery (`smtpkit.ui.runner`): values checked by the
settings validators and marked on their field, Enter runs, Cancel, results as
ordinary cell outputs, the mode banner.
"""

from __future__ import annotations

import base64
import html
import threading
from pathlib import Path
from typing import Any

import ipywidgets as widgets

from smtpkit.errors import InvalidSettings
from smtpkit.render.panel import Html, Panel
from smtpkit.ui.fields import hint_html, number_text, refuse_empty, style, text_area, text_field, wide
from smtpkit.ui.forms import mode_toggle
from smtpkit.ui.lab import is_lab_domain, lab_server_settings, lab_zones
from smtpkit.ui.modes import LAB, OWN, Banner, describe_ca, describe_dns
from smtpkit.ui.runner import BaseForm, FormBox

__all__ = ["DkimKeyForm", "ExplainForm", "PortsForm", "SpfRecordForm", "SpfTraceForm", "dkim_record_view"]

#: The lab servers the port matrix probes in lab mode (one per way a port answers).
LAB_PORT_SERVERS = ("submission", "implicit_tls", "mx", "refusing", "silent")
#: Seconds the private key's download link stays in the page (it is widget state while it is there).
KEY_LINK_SECONDS = 300.0


def _set_quietly(form: Any, widget: widgets.Widget, value: Any) -> None:
    form._filling = True
    try:
        widget.value = value
    finally:
        form._filling = False


class PortsForm(BaseForm):
    """Which port and which security mode work: every port tried with STARTTLS and with implicit TLS at once."""

    title = "Port matrix"

    def __init__(
        self,
        lab: Any = None,
        *,
        host: str | None = None,
        ports: Any = None,
        timeout: float = 3.0,
        nameserver: str | None = None,
        cafile: str | None = None,
    ) -> None:
        super().__init__(self._probe)
        self.lab = lab
        self._filling = False
        self._filled: dict[str, str] = {}  # what lab mode put in the fields
        self.mode = mode_toggle("My server", lab)
        self.host = text_field("Host", value=host or "", placeholder="smtp.example.com")
        listed = ", ".join(str(p) for p in ports) if isinstance(ports, (list, tuple)) else (ports or "")
        self.ports = text_field("Ports", value=str(listed), placeholder="25, 465, 587, 2525")
        self.timeout = text_field("Timeout (s)", value=number_text(timeout), short=True)
        self.nameserver = text_field(
            "DNS server", value=nameserver or "", placeholder="empty: this computer's own resolver"
        )
        self.cafile = text_field(
            "CA file", value=cafile or "", placeholder="empty: this computer's trusted certificates"
        )
        self.hint = widgets.HTML(layout=widgets.Layout())
        f = self.fields
        self.box = FormBox(
            [
                self.css,
                self.mode,
                self.hint,
                f.add("host", self.host, label="Host"),
                f.add("ports", self.ports, label="Ports"),
                f.add("timeout", self.timeout, label="Timeout"),
                f.add("nameservers", self.nameserver, label="DNS server"),
                f.add("cafile", self.cafile, label="CA file"),
                *self._controls(),
            ],
            label="port matrix form",
        )
        self.mode.observe(lambda c: self._enter(c["new"]), names="value")
        self.watch_mode(self.mode)
        self.host.observe(self._host_changed, names="value")
        for w in (self.timeout, self.ports):
            w.observe(lambda _c: self.refresh_limit(), names="value")
        self._enter(LAB if lab is not None and not host else OWN)

    @property
    def in_lab(self) -> bool:
        return self.mode.value == LAB and self.lab is not None

    def _enter(self, mode: str) -> None:
        if self._filling:
            return
        _set_quietly(self, self.mode, mode)
        if mode == LAB and self.lab is not None:
            target = lab_server_settings(self.lab, "submission").target
            lab_ports = [str(self.lab.endpoint(n).port) for n in LAB_PORT_SERVERS if n in self.lab.names]
            _set_quietly(self, self.host, target.host)
            self.ports.value = ", ".join(lab_ports)
            self.nameserver.value = ", ".join(target.nameservers)
            self.cafile.value = target.cafile or ""
            self._filled = {"host": self.host.value, "ports": self.ports.value}
            self._filled.update(nameservers=self.nameserver.value, cafile=self.cafile.value)
            self.hint.value = hint_html(
                "The practice lab's servers, one per way a port answers: a healthy STARTTLS server, an "
                "implicit-TLS one, an MX, a port that refuses and one that never greets. Type your own host to "
                "check yours."
            )
        else:
            for name, widget in (
                ("host", self.host),
                ("ports", self.ports),
                ("nameservers", self.nameserver),
                ("cafile", self.cafile),
            ):
                if name in self._filled and widget.value == self._filled[name]:
                    _set_quietly(self, widget, "25, 465, 587, 2525" if name == "ports" else "")
            self._filled = {}
            self.hint.value = hint_html(
                "My server: every port tried with STARTTLS and with implicit TLS, with this computer's resolver "
                "and trusted certificates. Port 25 is often blocked by your network, not the server."
            )
        self.refresh_limit()

    def _host_changed(self, change: dict[str, Any]) -> None:
        if self._filling or not self.in_lab:
            return
        typed = self.host.value
        self._enter(OWN)
        _set_quietly(self, self.host, typed)

    def settings(self) -> Any:
        from smtpkit.settings.ports import PortsQuery

        host = refuse_empty(
            "host", self.host.value, "Host is empty: type your SMTP server's name, e.g. smtp.gmail.com."
        )
        ports = refuse_empty("ports", self.ports.value, "Ports is empty: give the ports to try, e.g. 25, 465, 587.")
        timeout = refuse_empty("timeout", self.timeout.value, "Timeout is empty: give the seconds, e.g. 3.")
        return PortsQuery(
            host, ports, timeout=timeout, nameservers=self.nameserver.value, cafile=self.cafile.value.strip() or None
        )

    def _probe(self, query: Any) -> Any:
        from smtpkit.checks.ports import check_ports
        from smtpkit.ui.views import PortMatrixView

        names = {}
        if self.in_lab:
            names = {self.lab.endpoint(n).port: n for n in LAB_PORT_SERVERS if n in self.lab.names}
        return PortMatrixView(check_ports(query), names)

    def _describe(self, settings: Any) -> str:
        return f"{self.title}: {settings.host}"

    def picture(self) -> Any:
        """The last matrix as a picture, redrawn after each Run. A picture drawn once from the page's first run
        stayed the practice lab's under a result for your own server."""
        from smtpkit.ui.views import FollowingView

        return FollowingView(self, lambda view: view.picture(), "Press Run above: the matrix's picture appears here.")

    def _limit(self, settings: Any) -> float:
        return float(settings.timeout) * 2 + 5.0  # every probe at once: a timeout each, DNS and the TLS second look

    def _banner(self, settings: Any, result: Any) -> Banner:
        lines = (
            ("DNS", describe_dns(settings.nameservers, self.lab, host_lookup=True)),
            ("Certificates trusted", describe_ca(settings.cafile, self.lab)),
            ("Ports tried", ", ".join(str(p) for p in settings.ports)),
        )
        if self.in_lab:
            return Banner(LAB, f"the practice lab's servers at {settings.host}", lines)
        return Banner(OWN, settings.host, lines, name="My server")


class SpfTraceForm(BaseForm):
    """SPF for one sending IP, evaluated the way a receiver does (RFC 7208), each include and lookup shown."""

    title = "SPF evaluation"

    def __init__(
        self,
        lab: Any = None,
        *,
        domain: str | None = None,
        ip: str | None = None,
        sender: str | None = None,
        nameserver: str | None = None,
    ) -> None:
        super().__init__(self._evaluate)
        self.lab = lab
        self._filling = False
        self._zones = lab_zones(lab) if lab is not None else []
        self.mode = mode_toggle("My domain", lab)
        self.domain = widgets.Combobox(
            options=self._zones,
            ensure_option=False,
            description="Domain",
            placeholder="example.com",
            style=style(),
            layout=wide(),
        )
        self.ip = text_field("Sending IP", value=ip or "", placeholder="the address your mail leaves from")
        self.sender = text_field("MAIL FROM", value=sender or "", placeholder="empty: postmaster@ the domain")
        self.nameserver = text_field("DNS server", placeholder="empty: this computer's own resolver")
        self.hint = widgets.HTML(layout=widgets.Layout())
        f = self.fields
        self.box = FormBox(
            [
                self.css,
                self.mode,
                f.add("domain", self.domain, label="Domain"),
                self.hint,
                f.add("ip", self.ip, label="Sending IP"),
                f.add("sender", self.sender, label="MAIL FROM"),
                f.add("nameservers", self.nameserver, label="DNS server"),
                *self._controls(),
            ],
            label="SPF evaluation form",
        )
        self.mode.observe(lambda c: self._mode_changed(c["new"]), names="value")
        self.watch_mode(self.mode)
        self.domain.observe(self._domain_changed, names="value")
        start = (domain or "").strip()
        if lab is not None and (not start or is_lab_domain(start, self._zones)):
            _set_quietly(self, self.domain, start or lab.domain)
            self._enter_lab(ip)
        else:
            _set_quietly(self, self.domain, start)
            self._enter_own()
        if nameserver:
            self.nameserver.value = nameserver

    @property
    def in_lab(self) -> bool:
        return self.mode.value == LAB and self.lab is not None

    def _enter_lab(self, ip: str | None = None) -> None:
        _set_quietly(self, self.mode, LAB)
        self.domain.options = self._zones
        self.ip.value = ip or self.ip.value or "127.0.0.1"
        self.nameserver.value = self.lab.nameserver
        self.hint.value = hint_html(
            "Practice lab: asked of the lab's DNS server, which answers for spf-plus-all.test, "
            "spf-too-many-lookups.test, spf-include-loop.test and more, each wrong in one way."
        )

    def _enter_own(self) -> None:
        _set_quietly(self, self.mode, OWN)
        self.domain.options = []
        if self.lab is not None and self.nameserver.value == self.lab.nameserver:
            self.nameserver.value = ""
        if self.ip.value == "127.0.0.1":
            self.ip.value = ""
        self.hint.value = hint_html("My domain: asked of this computer's own resolver (or the DNS server you type).")

    def _mode_changed(self, mode: str) -> None:
        if self._filling:
            return
        if mode == LAB:
            if not is_lab_domain(self.domain.value, self._zones):
                _set_quietly(self, self.domain, self.lab.domain)
            self._enter_lab()
        else:
            if is_lab_domain(self.domain.value, self._zones):
                _set_quietly(self, self.domain, "")
            self._enter_own()

    def _domain_changed(self, change: dict[str, Any]) -> None:
        if self._filling or not change["new"].strip():
            return
        lab_domain = self.lab is not None and is_lab_domain(change["new"], self._zones)
        if lab_domain and not self.in_lab:
            self._enter_lab()
        elif not lab_domain and self.in_lab:
            self._enter_own()

    def settings(self) -> dict[str, Any]:
        from smtpkit.settings import validate_address, validate_domain, validate_ip, validate_nameservers

        domain = validate_domain(self.domain.value)
        ip = validate_ip(
            refuse_empty("ip", self.ip.value, "Sending IP is empty: give the address your mail leaves from.")
        )
        sender = self.sender.value.strip()
        mail_from = validate_address("sender", sender, "The MAIL FROM address") if sender else f"postmaster@{domain}"
        servers = validate_nameservers(self.nameserver.value)
        if self.in_lab and not servers:
            servers = (self.lab.nameserver,)
        return {"domain": domain, "ip": ip, "sender": mail_from, "nameservers": servers}

    def _evaluate(self, s: dict[str, Any]) -> Any:
        from smtpkit.ui.views import spf_trace

        return spf_trace(None, s["domain"], s["ip"], s["sender"], nameserver=", ".join(s["nameservers"]) or None)

    def _describe(self, settings: dict[str, Any]) -> str:
        return f"{self.title}: {settings['ip']} for {settings['domain']}"

    def _limit(self, settings: dict[str, Any]) -> float:
        return 20.0  # RFC 7208 §4.6.4: at most 10 lookups, 2 s each, plus the record itself

    def _banner(self, settings: dict[str, Any], result: Any) -> Banner:
        lines = (("DNS", describe_dns(settings["nameservers"], self.lab)), ("MAIL FROM", settings["sender"]))
        mode = LAB if self.in_lab else OWN
        where = "lab domain" if self.in_lab else "your domain"
        return Banner(mode, f"{where} {settings['domain']}, sending IP {settings['ip']}", lines)


class SpfRecordForm(BaseForm):
    """An SPF record pasted before it is published, read in plain words, with what is wrong in it."""

    title = "SPF record reading"

    def __init__(self, *, record: str = "", domain: str = "") -> None:
        super().__init__(self._read_record)
        self.record = text_area(
            "SPF record", value=record, placeholder="v=spf1 include:_spf.google.com ~all", height="5em"
        )
        self.domain = text_field("Domain", value=domain, placeholder="optional: the domain it is for")
        f = self.fields
        self.box = FormBox(
            [
                self.css,
                widgets.HTML(
                    hint_html("Nothing is looked up: the record is read as you typed it."), layout=widgets.Layout()
                ),
                f.add("record", self.record, label="SPF record"),
                f.add("domain", self.domain, label="Domain"),
                *self._controls(),
            ],
            label="SPF record form",
        )

    def settings(self) -> dict[str, Any]:
        from smtpkit.settings import validate_domain

        record = refuse_empty("record", self.record.value, "The record is empty: paste it, e.g. v=spf1 mx -all.")
        if len(record) > 4096:
            raise InvalidSettings(f"the record is {len(record)} characters long; paste one SPF record", field="record")
        domain = validate_domain(self.domain.value) if self.domain.value.strip() else None
        return {"record": record, "domain": domain}

    def _read_record(self, s: dict[str, Any]) -> Any:
        from smtpkit.ui.views import spf_reading

        return spf_reading(s["record"], s["domain"])

    def _describe(self, settings: dict[str, Any]) -> str:
        return self.title


def dkim_record_view(key: Any, download: str = "") -> Html:
    """The TXT record of a new DKIM key, wrapped to the page, each part with a Copy button; never the private key."""
    box = (
        "white-space:pre-wrap;word-break:break-all;overflow-wrap:anywhere;max-width:900px;margin:4px 0 10px 0;"
        "padding:6px 8px;background:#f6f8fa;border:1px solid #d0d7de;border-radius:4px;font-size:12px"
    )
    button = (
        '<button class="smtpkit-copy" type="button" style="font-size:12px;margin-left:6px" '
        'onclick="navigator.clipboard.writeText(this.parentNode.nextElementSibling.innerText);'
        "this.innerText='Copied'\">Copy</button>"
    )
    parts = [
        ("Name (host)", key.txt_name),
        ("Type", "TXT"),
        ("Value", key.txt_value),
        ("The whole zone-file line (paste as is into a BIND zone)", key.zone_line()),
    ]
    out = ['<div class="smtpkit-dkim-record">']
    for label, value in parts:
        out.append(f"<div><b>{html.escape(label)}</b>{button}</div>")
        out.append(f'<pre class="smtpkit-record" style="{box}">{html.escape(value)}</pre>')
    out.append(f"<p>{html.escape(download)}</p>" if download else "")
    out.append("</div>")
    text = "\n".join(f"{label}:\n  {value}" for label, value in parts) + (f"\n{download}" if download else "")
    return Html("".join(out), text)


class DkimKeyForm(BaseForm):
    """Make a DKIM key: the record to publish, and the private key to download (never in a cell output)."""

    title = "New DKIM key"

    def __init__(self, *, domain: str = "", selector: str = "", algorithm: str = "rsa", folder: str = "") -> None:
        super().__init__(self._generate)
        self.domain = text_field("Domain", value=domain, placeholder="example.com")
        self.selector = text_field("Selector", value=selector, placeholder="mail2026")
        self.algorithm = widgets.Dropdown(
            options=[("RSA 2048 bits (works everywhere)", "rsa"), ("Ed25519 (small; sign with RSA too)", "ed25519")],
            value=algorithm,
            description="Key type",
            style=style(),
            layout=wide(),
        )
        self.folder = text_field(
            "Save key to", value=folder, placeholder="optional: a folder for the private key file (mode 0600)"
        )
        # The download link holds the key while it is shown: widget state (never saved by default, never an
        # output), cleared after KEY_LINK_SECONDS or the next run.
        self.key_link = widgets.HTML(value="", layout=widgets.Layout())
        self.key_link.add_class("smtpkit-key-download")
        self._clear_timer: threading.Timer | None = None
        self.key: Any = None
        f = self.fields
        self.box = FormBox(
            [
                self.css,
                f.add("domain", self.domain, label="Domain"),
                f.add("selectors", self.selector, label="Selector", aliases=("selector",)),
                f.add("algorithm", self.algorithm, label="Key type"),
                f.add("folder", self.folder, label="Save key to"),
                *self._controls(),
                self.key_link,
            ],
            label="DKIM key form",
        )

    def settings(self) -> dict[str, Any]:
        from smtpkit.settings import validate_domain, validate_selector

        domain = validate_domain(self.domain.value)
        selector = validate_selector(refuse_empty("selector", self.selector.value, "Selector is empty: e.g. mail2026."))
        folder = self.folder.value.strip()
        if folder and not Path(folder).expanduser().parent.is_dir():
            raise InvalidSettings(f"the folder {folder!r} is not in an existing folder", field="folder")
        return {"domain": domain, "selector": selector, "algorithm": self.algorithm.value, "folder": folder}

    def _generate(self, s: dict[str, Any]) -> Any:
        from smtpkit.dkim import generate, write_private_key

        self.forget_key()
        key = generate(s["domain"], s["selector"], algorithm=s["algorithm"])
        self.key = key
        saved = ""
        if s["folder"]:
            try:
                path = write_private_key(key, Path(s["folder"]).expanduser(), create=True)
            except FileExistsError:
                raise InvalidSettings(
                    f"{Path(s['folder']) / key.private_key_filename} exists already: choose another selector "
                    "(a new key needs a new selector) or another folder",
                    field="folder",
                ) from None
            saved = f"The private key was saved to {path}, readable only by you. "
        self._offer_download(key)
        download = (
            f"{saved}The private key ({len(key.private_key)} bytes) is not shown here, so it never lands in a saved "
            f"notebook: use 'Download the private key' under the form (it stays there for "
            f"{KEY_LINK_SECONDS / 60:.0f} minutes), put it in your signer's key folder, publish the record first, "
            f"check it with the domain form, and only then start signing with selector {key.selector!r}."
        )
        return Panel(
            f"New DKIM key for {key.domain}, selector {key.selector}",
            [("Publish this TXT record", dkim_record_view(key, download))],
            status="info",
        )

    def _offer_download(self, key: Any) -> None:
        data = base64.b64encode(key.private_key).decode("ascii")
        name = html.escape(key.private_key_filename)
        self.key_link.value = (
            f'<a class="smtpkit-key-link" download="{name}" href="data:application/octet-stream;base64,{data}" '
            'style="font-weight:bold">⬇ Download the private key</a> '
            f'<span style="font-size:12px;color:#57606a">({name}; keep it secret: anyone with it can sign as '
            f"{html.escape(key.domain)})</span>"
        )
        self._clear_timer = threading.Timer(KEY_LINK_SECONDS, self.forget_key)
        self._clear_timer.daemon = True
        self._clear_timer.start()

    def forget_key(self) -> None:
        """Remove the download link (and the key with it) from the page."""
        if self._clear_timer is not None:
            self._clear_timer.cancel()
            self._clear_timer = None
        self.key_link.value = ""

    def _describe(self, settings: dict[str, Any]) -> str:
        return f"{self.title} for {settings['domain']}"

    def _wrap(self, settings: Any, result: Any) -> Any:
        return result


class ExplainForm(BaseForm):
    """Paste an error message or a whole bounce: what it means, why, and the fix."""

    title = "Explain this error"

    def __init__(self, *, text: str = "") -> None:
        super().__init__(self._explain, focus=("explain", "bounce"))
        self.text = text_area(
            "Error or bounce",
            value=text,
            placeholder=(
                "Paste the error your app or mail client showed (e.g. 535-5.7.8 Username and Password not "
                "accepted), or the whole bounce message you received"
            ),
        )
        f = self.fields
        self.box = FormBox(
            [
                self.css,
                f.add("text", self.text, label="Error or bounce", aliases=("reply", "source")),
                *self._controls(),
            ],
            label="explain form",
        )

    def settings(self) -> dict[str, Any]:
        text = refuse_empty(
            "text", self.text.value, "Nothing pasted: paste the error line or the bounce message, then press Run."
        )
        return {"text": text}

    def _explain(self, s: dict[str, Any]) -> Any:
        from smtpkit.checks.explain import explain_pasted

        return explain_pasted(s["text"])

    #: What an explained text's verdict says of the text: "Explain this error: FAIL" read as the explainer failing.
    _SAYS = {
        "fail": "it reports a failure",
        "warn": "it reports a problem to look at",
        "pass": "it reports success",
        "info": "it is for information",
    }

    def _verdict_words(self, verdict: str | None) -> str:
        says = self._SAYS.get(verdict or "")
        if says is None:
            return super()._verdict_words(verdict)
        return f"{says} (<b>{html.escape((verdict or '').upper())}</b>), explained below"

    def _describe(self, settings: dict[str, Any]) -> str:
        lines = [line.strip() for line in settings["text"].strip().splitlines() if line.strip()]
        first = lines[0]
        if first.startswith("Traceback (") and len(lines) > 1:
            first = lines[-1]  # a Python traceback: the error is its last line, not "Traceback (most recent …"
        if len(first) > 60:  # cut at a word, and say so ("For more infor:" read as the text itself)
            first = first[:60].rsplit(" ", 1)[0] + " …"
        return f"{self.title}: {first}"
