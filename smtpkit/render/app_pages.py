"""Which page of the no-code app does what a command of smtpkit does.

A finding's fix often names a command ("check it with `smtpkit domain example.com
--ip 192.0.2.1`"). A person at a shell runs it; a person in the app (`smtpkit
app`: forms only, no shell, no Python) cannot, and was left with advice they
could not follow. In the app, every such command in a finding is followed by the
page that does the same, the section of its form and what to type there: "[in this
app: page “5. SPF, DKIM and DMARC”, section “Check a domain”, with Domain:
example.com, Sending IP: 192.0.2.1]", or "on this page" without a link when it is
the page already open (`current_page`). The command stays: it is what to send to
whoever runs the servers.

The app's kernel turns this on once (`use_app_pages`, from `smtpkit.ui` when it
runs under Voilà); JupyterLab, the command line and shared reports are unchanged.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

__all__ = ["PAGES", "Page", "annotate", "app_pages_on", "current_page", "page_for", "use_app_pages"]


@dataclass(frozen=True)
class Page:
    """A notebook of the app, and the label of the field each of a command's options fills there."""

    notebook: str  # the file name's stem, e.g. "05_spf_dkim_dmarc"
    title: str  # as the page's heading says it
    section: str = ""  # the heading above the form on that page (a page may have several forms)
    positional: str = ""  # the field the command's first argument goes into ("" for none)
    options: dict[str, str] = field(default_factory=dict)  # --option -> field label


_SERVER = {
    "--port": "Port",
    "--security": "Security",
    "--cafile": "CA file",
    "--nameserver": "DNS server",
    "--username": "Username",
}
_DOMAIN = {"--ip": "Sending IP", "--selector": "DKIM selectors", "--nameserver": "DNS server"}

#: smtpkit's command -> the app page that does the same. `lab`, `app` and `findings` have none.
_SPF_DKIM_DMARC = ("05_spf_dkim_dmarc", "5. SPF, DKIM and DMARC")
_RECEIVING_SIDE = ("09_inbound_and_reputation", "9. The receiving side")
_EVIDENCE = ("07_message", "7. The evidence in hand", "Your own evidence")
PAGES: dict[str, Page] = {
    "check": Page("00_start_here", "Start here", "Check your server", "Host", _SERVER),
    "explain": Page("00_start_here", "Start here", "Explain an error", "Error or bounce"),
    "ports": Page("01_connection", "1. Connection", "Which ports work?", "Host", {"--ports": "Ports", **_SERVER}),
    "domain": Page(*_SPF_DKIM_DMARC, "Check a domain", "Domain", _DOMAIN),
    "spf": Page(*_SPF_DKIM_DMARC, "SPF, step by step", "Domain", {"--ip": "Sending IP"}),
    "dkim": Page(*_SPF_DKIM_DMARC, "Make a DKIM key", "", {"--domain": "Domain", "--selector": "Selector"}),
    "report": Page("06_report", "Mail delivery report"),
    "message": Page(*_EVIDENCE, "Upload"),
    "bounce": Page(*_EVIDENCE, "Upload"),
    "reports": Page("08_dmarc_reports", "8. DMARC aggregate reports", "Your own reports", "Upload"),
    "dnsbl": Page(*_RECEIVING_SIDE, "Your domain's receiving side", "Sending IP"),
    "audit": Page("10_portfolio_audit", "10. Audit a portfolio of domains", "Your own domains"),
}
#: `smtpkit domain D --probe-mx` is the receiving side: notebook 09's form.
_RECEIVING = Page(
    *_RECEIVING_SIDE,
    "Your domain's receiving side",
    "Domain",
    {"--ip": "Sending IP", "--nameserver": "DNS server", "--probe-mx": "Connect to each MX"},
)

#: How an option's value reads in the form (the Security menu's choices start with these words).
_CHOICES = {"--security": {"starttls": "STARTTLS", "tls": "Implicit TLS", "plain": "None", "auto": "Auto"}}
#: Placeholders of the command line ("smtpkit dnsbl IP"): in the form, the person types their own.
_PLACEHOLDERS = {"IP", "DOMAIN", "FILE", "FILE.eml", "DIR", "HOST", "…", "..."}

_on = False


def use_app_pages(on: bool = True) -> None:
    """Annotate commands with their app page from now on, in this process (the app's kernel)."""
    global _on
    _on = bool(on)


def app_pages_on() -> bool:
    return _on


def current_page() -> str:
    """The notebook (its file name's stem) whose page this kernel serves: Voilà gives a page's kernel the path
    it was asked for as ``SCRIPT_NAME`` (RFC 3875's CGI variables); "" outside the app."""
    import os
    import posixpath
    from urllib.parse import unquote

    path = unquote(os.environ.get("SCRIPT_NAME", ""))
    name = posixpath.basename(path)
    return name[: -len(".ipynb")] if name.endswith(".ipynb") else ""


# A value in angle brackets ("<mx host>") or quotes is one argument; so is any run of non-spaces.
_ARG = re.compile(r'<[^>]*>|"[^"]*"|\S+')
_CODE = re.compile(r"<code>(smtpkit [^<]*)</code>")


def page_for(command: str) -> tuple[Page, list[tuple[str, str]]] | None:
    """The page for one ``smtpkit …`` command and the (field label, value) pairs its arguments fill there;
    None for a command no page does (or text that is no command)."""
    args = _ARG.findall(command)
    if len(args) < 2 or args[0] != "smtpkit":
        return None
    name, rest = args[1], args[2:]
    if name == "dkim" and rest[:1] == ["keygen"]:
        rest = rest[1:]
    page = _RECEIVING if name == "domain" and "--probe-mx" in rest else PAGES.get(name)
    if page is None:
        return None
    fields: list[tuple[str, str]] = []
    i = 0
    while i < len(rest):
        arg = rest[i]
        if arg.startswith("--"):
            label = page.options.get(arg)
            value = rest[i + 1] if i + 1 < len(rest) and not rest[i + 1].startswith("--") else ""
            if label and arg == "--probe-mx":
                fields.append((label, "ticked"))
            elif label and value:
                fields.append((label, _CHOICES.get(arg, {}).get(value, _value(value, label))))
            i += 2 if value and arg != "--probe-mx" else 1
            continue
        if page.positional and arg not in ("|", "head") and not any(lbl == page.positional for lbl, _ in fields):
            fields.append((page.positional, _value(arg, page.positional)))
        i += 1
    return page, fields


def _value(arg: str, label: str) -> str:
    value = arg.strip('"')
    if value in _PLACEHOLDERS:
        return "your file" if label == "Upload" else "yours"
    return value


def _note(command: str) -> str:
    found = page_for(command)
    if found is None:
        return ""
    page, fields = found
    if page.notebook == current_page():
        parts = ["on this page"]  # a link to the page already open opened it again, in a new tab
    else:
        link = (
            f'<a href="{html.escape(page.notebook)}.ipynb" target="_blank" rel="noopener">{html.escape(page.title)}</a>'
        )
        parts = [f"page “{link}”"]
    if page.section:
        parts.append(f"section “{html.escape(page.section)}”")
    if fields:
        parts.append("with " + ", ".join(f"{html.escape(label)}: {html.escape(value)}" for label, value in fields))
    # square brackets: the command often sits in parentheses already ("(`smtpkit check ...`)")
    return f' <span class="smtpkit-app-page">[in this app: {", ".join(parts)}]</span>'


def annotate(markup: str) -> str:
    """Follow each ``<code>smtpkit …</code>`` span of our own markup with its app page, when the app is on.

    Only our markup is matched (a server's text is escaped before it gets here,
    so it cannot hold ``<code>``); the command text is unescaped to read it.
    """
    if not _on:
        return markup
    return _CODE.sub(lambda m: m.group(0) + _note(html.unescape(m.group(1))), markup)
