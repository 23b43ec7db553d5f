"""The two modes of every form, and the banner that says which one a result came from.

*Practice lab* checks a lab server or domain: the lab's DNS server, the lab CA,
the lab user. *My server* / *My domain* checks your own: this computer's
resolver (or the DNS server you typed), the system's trusted certificates (or
the CA file you gave), your login, nothing of the lab. A result that does not
say which was used is how "smtp.office365.com through the lab's DNS" got
blamed on "this machine's DNS settings", so every result starts with a banner
naming the mode, the DNS servers and the CA that were really used.
"""

from __future__ import annotations

import html
import ssl
from dataclasses import dataclass, field
from typing import Any

from smtpkit.render import Viewable
from smtpkit.render.panel import html_of, text_of
from smtpkit.render.text import terminal_safe

__all__ = ["LAB", "OWN", "Banner", "WithBanner", "describe_ca", "describe_dns"]

LAB = "lab"
OWN = "own"

_BANNER_CSS = (
    "border:1px solid #d0d7de;border-left:4px solid {color};border-radius:4px;padding:6px 10px;margin:4px 0 8px 0;"
    "font-size:13px;line-height:1.45;background:#f6f8fa;max-width:900px"
)


def _lab_nameserver(lab: Any) -> str:
    try:
        return str(lab.nameserver) if lab is not None and lab.dns is not None else ""
    except RuntimeError:
        return ""


def describe_dns(nameservers: tuple[str, ...] | list[str], lab: Any = None, *, host_lookup: bool = False) -> str:
    """Which DNS servers a check asks, in words: the lab's, the ones typed, or this computer's own.

    `host_lookup`: the question is a server's address, which without a DNS
    server of its own goes through the system resolver (/etc/hosts first).
    """
    servers = tuple(nameservers)
    if servers:
        lab_ns = _lab_nameserver(lab)
        if lab_ns and servers == (lab_ns,):
            return f"the practice lab's DNS server ({lab_ns})"
        return "the DNS server you gave (" + ", ".join(servers) + ")"
    from smtpkit.net.dns import system_nameservers

    system = system_nameservers()
    where = f": {', '.join(system)} from /etc/resolv.conf" if system else ""
    hosts = "; /etc/hosts first" if host_lookup else ""
    return f"this computer's own resolver (its DNS settings{where}{hosts})"


def describe_ca(cafile: str | None, lab: Any = None) -> str:
    """Which certificate authorities a check trusts, in words."""
    if cafile:
        if lab is not None and cafile == getattr(lab, "ca_file", None):
            return f"the practice lab's own CA ({cafile}), trusted for the lab only"
        return f"the CA file you gave ({cafile})"
    paths = ssl.get_default_verify_paths()
    where = paths.cafile or paths.capath or paths.openssl_cafile
    return f"this computer's trusted certificate authorities ({where})" if where else "this computer's trusted CAs"


@dataclass(frozen=True)
class Banner(Viewable):
    """ "Practice lab" or "My server": what was checked, through which DNS, trusting which CA, with which login.

    `lines` are (label, value) pairs after the headline; `note` a closing
    sentence (why a lab lesson did not show, say). Every value is escaped: a
    host or a domain is what someone typed.
    """

    mode: str
    headline: str
    lines: tuple[tuple[str, str], ...] = ()
    note: str = ""
    extra: dict[str, str] = field(default_factory=dict)
    #: the mode as the form's toggle names it ("My server"), when the headline is only the target:
    #: "Your own: your server 127.0.0.1" said 'your' twice
    name: str = ""

    @property
    def label(self) -> str:
        return self.name or {LAB: "Practice lab", OWN: "Your own"}.get(self.mode, self.mode)

    def to_html(self) -> str:
        color = "#8250df" if self.mode == LAB else "#0969da"
        rows = "".join(f"<br><b>{html.escape(k)}:</b> {html.escape(v)}" for k, v in self.lines)
        note = f'<br><span style="color:#9a3412"><b>Note:</b> {html.escape(self.note)}</span>' if self.note else ""
        return (
            f'<div class="smtpkit-mode-banner smtpkit-mode-{html.escape(self.mode)}" '
            f'style="{_BANNER_CSS.format(color=color)}"><b>{html.escape(self.label)}:</b> '
            f"{html.escape(self.headline)}{rows}{note}</div>"
        )

    def to_text(self) -> str:
        out = [f"[{self.label}] {self.headline}"] + [f"  {k}: {v}" for k, v in self.lines]
        if self.note:
            out.append(f"  Note: {self.note}")
        return terminal_safe("\n".join(out))


class WithBanner(Viewable):
    """A result with its mode banner on top; every other attribute is the result's own."""

    def __init__(self, banner: Banner, result: Any) -> None:
        self.banner = banner
        self.result = result

    def __getattr__(self, name: str) -> Any:
        if name in ("banner", "result") or name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.result, name)

    def to_html(self) -> str:
        return self.banner.to_html() + html_of(self.result)

    def to_text(self) -> str:
        return self.banner.to_text() + "\n\n" + terminal_safe(text_of(self.result))
