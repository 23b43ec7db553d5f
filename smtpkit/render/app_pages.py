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

__all__ = [
    "FILL",
    "PAGES",
    "Page",
    "annotate",
    "app_pages_on",
    "current_page",
    "linked_values",
    "page_for",
    "page_link",
    "use_app_pages",
]


@dataclass(frozen=True)
class Page:
    """A notebook of the app, and the label of the field each of a command's options fills there."""

    notebook: str  # the file name's stem, e.g. "05_spf_dkim_dmarc"
    title: str  # as the page's heading says it
    section: str = ""  # the heading above the form on that page (a page may have several forms)
    positional: str = ""  # the field the command's first argument goes into ("" for none)
    options: dict[str, str] = field(default_factory=dict)  # --option -> field label
    form: str = ""  # the class of the form under `section` that a link fills in ("" for none: an upload)


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
_RECEIVING_SECTION = "Your domain's receiving side, step by step"
PAGES: dict[str, Page] = {
    "check": Page("00_start_here", "Start here", "Check your server", "Host", _SERVER, "ServerForm"),
    "explain": Page("00_start_here", "Start here", "Explain an error", "Error or bounce", form="ExplainForm"),
    "ports": Page(
        "01_connection",
        "1. Connection",
        "Which ports work? The port matrix",
        "Host",
        {"--ports": "Ports", "--timeout": "Timeout", "--cafile": "CA file", "--nameserver": "DNS server"},
        "PortsForm",
    ),
    "domain": Page(*_SPF_DKIM_DMARC, "Check a domain", "Domain", _DOMAIN, "DomainForm"),
    "spf": Page(*_SPF_DKIM_DMARC, "SPF, step by step", "Domain", {"--ip": "Sending IP"}, "SpfTraceForm"),
    "dkim": Page(
        *_SPF_DKIM_DMARC, "Make a DKIM key", "", {"--domain": "Domain", "--selector": "Selector"}, "DkimKeyForm"
    ),
    "report": Page("06_report", "Mail delivery report"),
    "message": Page(*_EVIDENCE, "Upload"),
    "bounce": Page(*_EVIDENCE, "Upload"),
    "reports": Page("08_dmarc_reports", "8. DMARC aggregate reports", "Your own reports", "Upload", form="ReportsForm"),
    "dnsbl": Page(*_RECEIVING_SIDE, _RECEIVING_SECTION, "Sending IP", form="ReceivingForm"),
    "audit": Page("10_portfolio_audit", "10. Audit a portfolio of domains", "Your own domains", form="PortfolioForm"),
}
#: `smtpkit domain D --probe-mx` is the receiving side: notebook 09's form.
_RECEIVING = Page(
    *_RECEIVING_SIDE,
    _RECEIVING_SECTION,
    "Domain",
    {"--ip": "Sending IP", "--nameserver": "DNS server", "--probe-mx": "Connect to each MX"},
    "ReceivingForm",
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


_TO_TYPE = ("yours", "your file")  # what `_value` says for a placeholder


def _value(arg: str, label: str) -> str:
    value = arg.strip('"')
    if value in _PLACEHOLDERS:
        return _TO_TYPE[1] if label == "Upload" else _TO_TYPE[0]
    return value


#: The link's query parameter naming the form to fill in; the others are its fields' labels.
FILL = "fill"
_MOST_FIELDS = 12
_LONGEST_VALUE = 500


def page_link(page: Page, fields: list[tuple[str, str]]) -> str:
    """The address of `page` from another page of the app, opened at its section's heading, with the values the
    command gives (``01_connection.ipynb?fill=PortsForm&Host=mail.example.com#Which-ports-work?-The-port-matrix``).

    The page used to open at its top with its form empty: the reader scrolled to find the form and typed what
    the note had just said. Placeholders ("yours", "<new selector>") are left for the reader to type.
    """
    from urllib.parse import quote, urlencode

    given = [(label, value) for label, value in fields if value not in _TO_TYPE and not value.startswith("<")]
    # the form is named even without values: it is what scrolls the page to itself (`BaseForm._fill_from_link`)
    query = "?" + urlencode([(FILL, page.form), *given]) if page.form else ""
    # the heading's id as nbconvert gives it (nbconvert.filters.strings._convert_header_id)
    anchor = "#" + quote(page.section.replace(" ", "-"), safe="?/:@!$&'()*+,;=") if page.section else ""
    return f"{page.notebook}.ipynb{query}{anchor}"


def linked_values(form: str) -> dict[str, str] | None:
    """The field label -> value pairs the link that opened this page gives form class `form` (None for a page
    opened otherwise, or by a link to another form). Voilà gives the kernel the query as ``QUERY_STRING``.

    The address is untrusted (anyone can write a link): at most 12 values of up to 500 printable characters;
    the form decides which labels it has and fills only text fields and boxes, never a password.
    """
    import os
    from urllib.parse import parse_qsl

    try:
        pairs = parse_qsl(os.environ.get("QUERY_STRING", ""), max_num_fields=_MOST_FIELDS + 2)
    except ValueError:  # more fields than that: not a link of ours
        return None
    values = dict(pairs)
    if not form or values.pop(FILL, None) != form:
        return None
    values.pop("token", None)
    return {
        label: value
        for label, value in list(values.items())[:_MOST_FIELDS]
        if len(value) <= _LONGEST_VALUE and value.isprintable()
    }


def _note(command: str) -> str:
    found = page_for(command)
    if found is None:
        return ""
    page, fields = found
    if page.notebook == current_page():
        parts = ["on this page"]  # a link to the page already open opened it again, in a new tab
    else:
        href = html.escape(page_link(page, fields))
        parts = [f'page “<a href="{href}" target="_blank" rel="noopener">{html.escape(page.title)}</a>”']
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
