"""Settings forms for the notebooks: fill in a server or a domain, press Run, read the result.

Every form has two explicit modes (`smtpkit.ui.modes`): **Practice lab**, where
a scenario fills everything from the running lab (its DNS server, its CA, its
user, each scenario's own lesson), and **My server** / **My domain**, where
nothing of the lab is used: this computer's resolver or the DNS server you
type, the system's trusted certificates or the CA file you give, your login or
none. Choosing a provider, typing a host that is not the lab's, or typing a
domain the lab does not serve switches to your own target; every result starts
with a banner naming the mode, the DNS and the CA really used.

The forms build the settings model of `smtpkit.settings` (a `Target` with its
`Secret` beside it, as a `ServerInput`; a `DomainQuery`), the same objects the
command line builds; a value the model refuses is marked on its field with the
model's message and nothing runs (`smtpkit.ui.fields`). Running, progress and
Cancel are `smtpkit.ui.runner`'s. Typical use in a notebook::

    form = ui.ServerForm(lab, scenario="expired_cert")
    form                      # the form
    report = form.run()       # runs now; the result appears here, and Run updates it

The password and the OAuth token are never left in the widget: the moment a
value reaches the kernel (Enter, or leaving the field) it is moved into a
`Secret` and the field is cleared, so neither the browser nor a saved
notebook's widget state holds it. ``SMTPKIT_PASSWORD`` in the kernel's
environment is the alternative that never touches the form at all.
"""

from __future__ import annotations

import dataclasses
import html
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from smtpkit.knowledge.presets import GENERIC_PRESETS
from smtpkit.secrets import Secret
from smtpkit.settings import AUTH_MECHANISMS, IMPLICIT_TLS_PORTS, Refusals, Target
from smtpkit.settings.domain import DomainQuery
from smtpkit.ui.fields import MORE_WIDTH, hint_html, number_text, refuse_empty, show, style, text_field, uploaded, wide
from smtpkit.ui.inputs import PASSWORD_ENV, SECURITY_CHOICES, ServerInput, password_from_env
from smtpkit.ui.lab import (
    domain_choices,
    is_lab_domain,
    lab_domain_settings,
    lab_server_settings,
    lab_zones,
    scenario_choices,
)
from smtpkit.ui.modes import LAB, OWN, Banner, describe_ca, describe_dns
from smtpkit.ui.runner import BaseForm, FormBox

if TYPE_CHECKING:
    from smtpkit.lab.lessons import Lesson

__all__ = ["DomainForm", "EmlForm", "ServerForm", "diagnose_action", "domain_action"]

_PLAINTEXT_WARNING = (
    "Only on a network you trust: with this ticked, a server without TLS (or a failed STARTTLS) receives your "
    "password unencrypted, readable by anyone on the path, and a server that was meant to refuse it may log it."
)
_SESSION_STEPS = ("resolve", "connect", "banner", "ehlo", "tls", "auth", "send")
_IMPLICIT_STEPS = ("resolve", "connect", "tls", "banner", "ehlo", "auth", "send")


def diagnose_action(settings: ServerInput) -> Any:
    """The default server action: the full session diagnosis."""
    return settings.diagnose()


def domain_action(settings: DomainQuery) -> Any:
    """The default domain action: MX, SPF, DKIM, DMARC and PTR checks."""
    from smtpkit.checks.domain import check_domain

    return check_domain(settings)


def mode_toggle(own_label: str, lab: Any) -> widgets.ToggleButtons:
    options = [("Practice lab", LAB), (own_label, OWN)] if lab is not None else [(own_label, OWN)]
    toggle = widgets.ToggleButtons(
        options=options,
        value=LAB if lab is not None else OWN,
        tooltips=["the practice lab on this machine", "your own, with nothing of the lab"][: len(options)],
        style={"button_width": "auto"},
        layout=widgets.Layout(),
    )
    toggle.add_class("smtpkit-mode")
    if lab is None:
        show(toggle, False)
    return toggle


def _seconds_or_none(text: str) -> float | None:
    """A Timeout field's seconds, or None while it holds no usable number (the Run says why)."""
    from smtpkit.errors import InvalidSettings
    from smtpkit.settings import validate_seconds

    try:
        return validate_seconds(text)
    except InvalidSettings:
        return None


class ServerForm(BaseForm):
    """Mode, lab scenario or provider, host, port, security, username, password, timeout, Run.

    "More settings" (closed at first) holds the rest of what `smtpkit check`
    takes: an OAuth access token (handled like the password), the AUTH
    mechanism, the EHLO name, a DNS server and a CA file of your own, the
    overall deadline and the plaintext-AUTH opt-in. With ``envelope=True`` the
    sender, the recipients and "really send" are fields too.
    """

    title = "Server check"

    def __init__(
        self,
        lab: Any = None,
        *,
        scenario: str | None = None,
        preset: str | None = None,
        host: str | None = None,
        port: int | None = None,
        security: str | None = None,
        username: str | None = None,
        password: str | Secret | None = None,
        password_env: str | None = PASSWORD_ENV,
        timeout: float = 10.0,
        categories: tuple[str, ...] | None = None,
        action: Callable[[ServerInput], Any] | None = None,
        title: str | None = None,
        send: bool = False,
        mail_from: str | None = None,
        rcpt_to: str | list[str] | None = None,
        helo: str | None = None,
        cafile: str | None = None,
        nameserver: str | None = None,
        envelope: bool = False,
        focus: tuple[str, ...] | str = (),
        auth_mechanism: str | None = None,
        deadline: float | None = None,
        allow_plaintext_auth: bool = False,
    ) -> None:
        from smtpkit.knowledge.presets import PRESETS, provider_for_host

        if title:
            self.title = title
        super().__init__(action or diagnose_action, (focus,) if isinstance(focus, str) else focus)
        self.lab = lab
        self.password_env = password_env
        self._secret: Secret | None = (
            Secret(password)
            if isinstance(password, str) and password
            else (password if isinstance(password, Secret) and password else None)
        )
        self._token: Secret | None = None
        self._envelope = envelope
        self._filling = False
        self._filled: dict[str, Any] = {}  # what choosing the scenario put in the fields (a lesson's settings)
        self._password_hint = ""  # the chosen provider's, said under the Password field while none is set

        self._presets = {p.key: p for p in PRESETS if p.key != "lab"}
        self.mode = mode_toggle("My server", lab)
        self.scenario = widgets.Dropdown(
            options=scenario_choices(lab, categories) if lab is not None else [],
            description="Lab scenario",
            style=style(),
            layout=wide(),
        )
        self.scenario.add_class("smtpkit-scenario")
        self.preset = widgets.Dropdown(
            options=[(p.name, p.key) for p in self._presets.values()],
            value="custom",
            description="Provider",
            style=style(),
            layout=wide(),
        )
        self.preset.add_class("smtpkit-provider")
        self.hint = widgets.HTML(layout=widgets.Layout())
        self.hint.add_class("smtpkit-hint")
        self.host = text_field("Host", placeholder="smtp.example.com")
        self.port = text_field("Port", placeholder="empty: 587 or 465", short=True)
        self.security = widgets.Dropdown(
            options=SECURITY_CHOICES, value="auto", description="Security", style=style(), layout=wide()
        )
        self.username = text_field("Username", placeholder="empty: no login, only connection and TLS")
        self.password = widgets.Password(description="Password", continuous_update=False, style=style(), layout=wide())
        self.password_state = widgets.HTML(layout=widgets.Layout())
        self.forget_button = widgets.Button(
            description="Forget password", tooltip="Drop the stored password from memory", layout=widgets.Layout()
        )
        self.timeout = text_field("Timeout (s)", value=number_text(timeout), placeholder="e.g. 10", short=True)
        # the rest of what `smtpkit check` takes, in a closed "More settings" section
        self.token = widgets.Password(description="OAuth token", continuous_update=False, style=style(), layout=wide())
        self.token.placeholder = "an OAuth 2.0 access token (XOAUTH2) instead of the password"
        self.auth_mechanism = widgets.Dropdown(
            options=[("Auto: the best the server offers", "")] + [(m, m) for m in AUTH_MECHANISMS],
            value=(auth_mechanism or "").upper(),
            description="AUTH mechanism",
            style=style(),
            layout=wide(),
        )
        self.helo = text_field("EHLO name", value=helo or "", placeholder="empty: this machine's name")
        self.nameserver = text_field(
            "DNS server", value=nameserver or "", placeholder="empty: this computer's own resolver"
        )
        self.cafile = text_field(
            "CA file", value=cafile or "", placeholder="empty: this computer's trusted certificates"
        )
        self.deadline = text_field(
            "Deadline (s)",
            value=number_text(deadline) if deadline else "",
            placeholder="empty: the usual",
            short=True,
        )
        self.allow_plaintext_auth = widgets.Checkbox(
            value=bool(allow_plaintext_auth),
            description="Allow sending the password without encryption (insecure)",
            indent=False,
            layout=wide(),
        )
        self.plaintext_warning = widgets.HTML(layout=widgets.Layout())
        self.mail_from = text_field("Mail from", value=mail_from or "", placeholder="you@example.com")
        rcpt = rcpt_to if isinstance(rcpt_to, str) else ", ".join(rcpt_to or [])
        self.rcpt_to = text_field("Send to", value=rcpt, placeholder="a mailbox you can read (comma-separated)")
        self.send = widgets.Checkbox(
            value=bool(send),
            description="Really send a test message (otherwise a dry run: MAIL and RCPT, then RSET)",
            indent=False,
            layout=wide(),
        )
        self._extra = {"send": send, "mail_from": mail_from, "rcpt_to": rcpt_to} if not envelope else {}

        f = self.fields
        more = widgets.Accordion(
            children=[
                widgets.VBox(
                    [
                        f.add("token", self.token, label="OAuth token"),
                        f.add("auth_mechanism", self.auth_mechanism, label="AUTH mechanism"),
                        f.add("helo", self.helo, label="EHLO name"),
                        f.add("nameservers", self.nameserver, label="DNS server"),
                        f.add("cafile", self.cafile, label="CA file"),
                        f.add("deadline", self.deadline, label="Deadline"),
                        self.allow_plaintext_auth,
                        self.plaintext_warning,
                    ],
                    layout=widgets.Layout(),
                )
            ],
            selected_index=None,
            # wider than the fields: its title fits on one line (it wrapped at their width)
            layout=widgets.Layout(width=MORE_WIDTH),
        )
        more.add_class("smtpkit-more")  # its fields line up with those above it (fields.CSS)
        more.set_title(0, "More settings: OAuth token, AUTH mechanism, EHLO name, DNS server, CA file, deadline")
        self.more = more
        envelope_boxes = (
            [
                f.add("mail_from", self.mail_from, label="Mail from"),
                f.add("rcpt_to", self.rcpt_to, label="Send to"),
                f.add("send", self.send, label="Really send"),
            ]
            if envelope
            else []
        )
        self.box = FormBox(
            [
                self.css,
                self.mode,
                self.scenario,
                self.preset,
                self.hint,
                f.add("host", self.host, label="Host"),
                f.add("port", self.port, label="Port"),
                f.add("security", self.security, label="Security"),
                f.add("username", self.username, label="Username"),
                widgets.HBox(
                    [f.add("password", self.password, label="Password", aliases=("credential",)), self.forget_button],
                    layout=widgets.Layout(),
                ),
                self.password_state,
                f.add("timeout", self.timeout, label="Timeout"),
                self.more,
                *envelope_boxes,
                *self._controls(),
            ],
            label="server settings form",
        )

        self.password.observe(self._take_password, names="value")
        self.token.observe(self._take_token, names="value")
        self.allow_plaintext_auth.observe(lambda _c: self._show_plaintext_warning(), names="value")
        self.forget_button.on_click(lambda _b: self.forget_password())
        self.mode.observe(self._mode_changed, names="value")
        self.watch_mode(self.mode)
        self.preset.observe(self._preset_changed, names="value")
        self.scenario.observe(self._scenario_changed, names="value")
        self.timeout.observe(self._timeout_changed, names="value")
        self._lab_prefix = ""  # the lab's host name, while keystrokes typed after it are still arriving
        self.host.observe(self._host_changed, names="value")
        for w in (self.host, self.port, self.security, self.timeout, self.deadline, self.mail_from, self.rcpt_to):
            w.observe(lambda _c: self.refresh_limit(), names="value")

        # initial state: an explicit host wins, then a provider, then the lab
        if host:
            guess = provider_for_host(host)
            key = preset if preset in self._presets else (guess.key if guess and guess.key in self._presets else None)
            self._enter_own(key or "custom", fill=False)
            self._set_quietly(self.host, host)
            self.port.value = number_text(port)
            self.security.value = security or (self._presets[key].security if key else "auto")
        elif preset and preset != "lab":
            if preset not in self._presets:
                raise KeyError(f"unknown provider preset {preset!r}; choose one of {', '.join(self._presets)}")
            self._enter_own(preset, fill=True)
            if port:
                self.port.value = number_text(port)
            if security:
                self.security.value = security
        elif lab is not None:
            name = scenario or "submission"
            names = [v for _l, v in self.scenario.options]
            if name not in names:
                raise KeyError(f"no lab scenario {name!r} in this form; choose one of {names}")
            if self.scenario.value == name:
                self._fill_from_scenario(name)
            else:
                self.scenario.value = name
            if port:
                self.port.value = number_text(port)
            if security:
                self.security.value = security
        else:
            self._enter_own("custom", fill=True)
        if username:
            self.username.value = username
        self._show_mode()
        self._show_password_state()
        self._show_plaintext_warning()
        self.refresh_limit()

    # -- modes, providers, scenarios -----------------------------------------------------
    @property
    def in_lab(self) -> bool:
        return self.mode.value == LAB and self.lab is not None

    def _set_quietly(self, widget: widgets.Widget, value: Any) -> None:
        """Set a field without it counting as the person typing (no mode switch)."""
        self._filling = True
        try:
            widget.value = value
        finally:
            self._filling = False

    def _show_mode(self) -> None:
        show(self.scenario, self.in_lab)
        show(self.preset, not self.in_lab)
        # In the lab, Host holds the lab's name, and the browser sends what is typed there when the field is
        # left (or Enter pressed), not at each key: the name typed after the lab's then arrives whole, and the
        # switch to My server rewrites the field once, not under the person's fingers (keys were lost).
        self.host.continuous_update = not self.in_lab

    def _mode_changed(self, change: dict[str, Any]) -> None:
        if self._filling:
            return
        if change["new"] == LAB:
            self._enter_lab()
        else:
            self._enter_own(self.preset.value, fill=True)

    def _enter_lab(self) -> None:
        self._set_quietly(self.mode, LAB)
        self._show_mode()
        if self.scenario.value:
            self._fill_from_scenario(self.scenario.value)

    def _enter_own(self, key: str, *, fill: bool) -> None:
        """Switch to your own server: nothing of the lab stays in a field; `fill` puts the provider's values in."""
        was_lab = self.in_lab
        self._set_quietly(self.mode, OWN)
        if self.preset.value != key:
            self._filling = True
            try:
                self.preset.value = key
            finally:
                self._filling = False
        self._show_mode()
        if was_lab or self._filled:
            self._drop_lab_values()
        if fill:
            self._fill_from_preset(key)
        self._show_password_state()

    def _drop_lab_values(self) -> None:
        """Empty every field that still holds a value the lab put there (its port, user, DNS, CA, envelope)."""
        lab_values = self._filled
        for name, widget in (
            ("host", self.host),
            ("port", self.port),
            ("username", self.username),
            ("nameservers", self.nameserver),
            ("cafile", self.cafile),
            ("mail_from", self.mail_from),
            ("rcpt_to", self.rcpt_to),
        ):
            if name in lab_values and widget.value == lab_values[name] and widget.value:
                self._set_quietly(widget, "")
        if "security" in lab_values and self.security.value == lab_values["security"]:
            self.security.value = "auto"
        if lab_values.get("send") and self.send.value:
            self.send.value = False
        self._filled = {}
        self.password.placeholder = ""
        self._password_hint = ""

    def _preset_changed(self, change: dict[str, Any]) -> None:
        if self._filling:
            return
        self._enter_own(change["new"], fill=True)

    def _fill_from_preset(self, key: str) -> None:
        p = self._presets[key]
        host = p.host
        if "{region}" in host:
            host = host.format(region=p.params.get("default_region", "us-east-1"))
        if host or key == "custom":
            self._set_quietly(self.host, host)
        self.port.value = number_text(p.default_port) if key != "custom" else ""
        self.security.value = p.security if p.security in {v for _l, v in SECURITY_CHOICES} else "auto"
        self.username.placeholder = p.username_hint[:80] or "empty: no login"
        # the field shows about 60 characters: its placeholder is the hint's first clause, and the whole hint
        # is said on the line under the field (Gmail's was cut at "(your norm…"; said with the provider's notes,
        # it sat under the Provider menu, five fields above the password it is about)
        self.password.placeholder = short_hint(p.password_hint)
        self._password_hint = f"{p.name}: {p.password_hint}" if p.password_hint and key != "custom" else ""
        notes = " ".join(x for x in (p.limits and f"Limits: {p.limits}.", p.notes) if x)
        self.hint.value = hint_html(notes)

    def _scenario_changed(self, change: dict[str, Any]) -> None:
        if change["new"] and not self._filling:
            was_lab = self.in_lab
            self._set_quietly(self.mode, LAB)
            self._show_mode()
            self._fill_from_scenario(change["new"])
            if was_lab and change["old"]:  # another lab server: the last one's result (PASS) read as this one's
                self.clear_result(f"the lab scenario {change['new']}", f"the lab scenario {change['old']}")

    def _fill_from_scenario(self, name: str) -> None:
        from smtpkit.lab.lessons import server_lesson

        s = lab_server_settings(self.lab, name)
        t = s.target
        lesson = server_lesson(self.lab, name)
        self._set_quietly(self.host, t.host)
        self.port.value = str(t.port)
        self.security.value = t.security
        self.username.value = t.username or ""
        self.username.placeholder = "" if t.username else "no login: this server takes mail without one"
        self.nameserver.value = ", ".join(t.nameservers)
        self.cafile.value = t.cafile or ""
        if self._envelope:
            self.mail_from.value = t.mail_from or ""
            self.rcpt_to.value = ", ".join(t.rcpt_to)
            self.send.value = bool(t.send)
        self.password.placeholder = "the lab password is filled in for you" if s.password else ""
        self._filled = {
            "host": self.host.value,
            "port": self.port.value,
            "security": self.security.value,
            "username": self.username.value,
            "nameservers": self.nameserver.value,
            "cafile": self.cafile.value,
            "mail_from": self.mail_from.value,
            "rcpt_to": self.rcpt_to.value,
            "send": self.send.value,
        }
        self._scenario_hint(name, t.host, str(t.port), lesson.why)
        self._show_password_state()

    def _scenario_hint(self, name: str, asked: str, port: str, why: str) -> None:
        """The hint under a lab scenario: what the server does, the finding the result should show in the
        words it will say, and how the form is set up for it."""
        from smtpkit.lab.lessons import expected, server_words

        ep = self.lab.endpoint(name)
        # the words known before the run: the host and port the form connects to, and the server's own (its
        # reply, its certificate's dates, the wait a silent one costs at this form's Timeout)
        known = {
            **server_words(self.lab, name, timeout=_seconds_or_none(self.timeout.value)),
            "host": ep.hostname,
            "asked": asked,
            "port": port,
        }
        said = expected([ep.expect], words={ep.expect: known}) if ep.expect else ""
        expect = f" Run it: the result should show {said}." if said else ""
        setup = f" This form is set up for it: {why}." if why else ""
        self.hint.value = hint_html(f"{ep.description}{expect}{setup}")

    def _timeout_changed(self, _change: dict[str, Any]) -> None:
        """A silent server's hint says the wait at this form's Timeout: it follows the field (it said 5.0 s
        while the run, at a Timeout of 3, said 3.0 s)."""
        name = self.scenario.value
        if not self.in_lab or name not in self.lab.names or self.lab.endpoint(name).expect != "banner.timeout":
            return
        from smtpkit.lab.lessons import server_lesson

        self._scenario_hint(name, self.host.value, self.port.value, server_lesson(self.lab, name).why)

    def _host_changed(self, change: dict[str, Any]) -> None:
        """Typing a host that is not the lab's means your own server: leave the lab mode at once.

        A person who clicks into the field and types their host after the lab's own name meant their host
        alone: "mail.smtpkit.testlocalhost" was checked. The lab's name in front is dropped, from the first
        keystroke and from any keystroke the browser sent before it heard of the change.
        """
        if self._filling:
            return
        new = str(change["new"])
        if not self.in_lab:
            prefix = self._lab_prefix
            if prefix and new.startswith(prefix) and len(new) > len(prefix):
                self._set_quietly(self.host, new[len(prefix) :])
            elif not (prefix and prefix.startswith(new)):
                self._lab_prefix = ""
            return
        lab_host = self._filled.get("host", "")
        if new.strip() != lab_host:
            typed = self.host.value
            if lab_host and typed.startswith(lab_host):
                typed, self._lab_prefix = typed[len(lab_host) :], lab_host
            self._enter_own("custom", fill=False)
            self._set_quietly(self.host, typed)
            self.hint.value = hint_html(
                "My server: this host is checked with this computer's resolver and trusted certificates, "
                "on the usual port for the security mode, with your own login (none if Username is empty)."
            )

    # -- the password and the token -----------------------------------------------------
    def _take_password(self, change: dict[str, Any]) -> None:
        value = change["new"]
        if not value:
            return
        self._secret = Secret(value)
        self.password.value = ""  # the widget (and any saved widget state) never keeps it
        self._show_password_state()

    def _take_token(self, change: dict[str, Any]) -> None:
        value = change["new"]
        if not value:
            return
        self._token = Secret(value)
        self.token.value = ""  # like the password: the widget never keeps it
        self._show_password_state()

    def forget_password(self) -> None:
        """Drop the typed password and OAuth token from memory."""
        self._secret = None
        self._token = None
        self.password.value = ""
        self.token.value = ""
        self._show_password_state()

    def _password_source(self) -> tuple[Secret | None, str]:
        if self._secret:
            return self._secret, "typed into the form, kept in memory only"
        if self.in_lab:
            from smtpkit.lab.lessons import server_lesson

            lesson = server_lesson(self.lab, self.scenario.value) if self.scenario.value else None
            if lesson is not None and lesson.settings.get("password", True) is not None:
                return self.lab.password, "the practice lab's password"
            return None, ""
        env = password_from_env(self.password_env)
        if env:
            return env, f"from the environment variable {self.password_env}"
        return None, ""

    def _show_password_state(self) -> None:
        secret, source = self._password_source()
        if self._token:
            text = (
                "OAuth token: set (typed into the form, kept in memory only); it is used instead of the password "
                "and is never saved in the notebook."
            )
        elif secret:
            text = f"Password: set ({source}); it is never saved in the notebook."
        elif self.in_lab:
            text = "Password: none (this lab server takes mail without a login)."
        else:
            from smtpkit.ui.display import in_voila

            # the app's reader starts nothing from a shell: the environment variable is JupyterLab's way only
            where = "" if in_voila() else f", or set {self.password_env or PASSWORD_ENV} before starting JupyterLab"
            wanted = f" ({self._password_hint})" if self._password_hint else ""
            text = f"Password: not set{wanted}. Type it above (it moves to memory and the field empties){where}."
        self.password_state.value = hint_html(text)

    def _show_plaintext_warning(self) -> None:
        self.plaintext_warning.value = (
            f'<div style="font-size:12px;line-height:1.4;color:#9a3412;max-width:700px">'
            f"<b>Warning:</b> {html.escape(_PLAINTEXT_WARNING)}</div>"
            if self.allow_plaintext_auth.value
            else ""
        )

    # -- settings ----------------------------------------------------------------------
    def settings(self) -> ServerInput:
        """The current settings as a validated `Target` with its secret; InvalidSettings if one is unusable.

        A password or token still waiting in its widget is moved into a Secret first.
        """
        if self.password.value:
            self._take_password({"new": self.password.value})
        if self.token.value:
            self._take_token({"new": self.token.value})
        secret, _source = self._password_source()
        self._show_password_state()
        r = Refusals()  # every field read in one Run: the refusals are all marked (the first raised)
        host = r.take(
            lambda: refuse_empty(
                "host",
                self.host.value,
                "Host is empty: type your SMTP server's name (e.g. smtp.gmail.com) or choose a provider.",
            ),
            "",
        )
        timeout = r.take(
            lambda: refuse_empty(
                "timeout", self.timeout.value, "Timeout is empty: give the seconds each step may wait, e.g. 10."
            ),
            "",
        )
        common: dict[str, Any] = {
            "host": host,
            "port": self.port.value.strip() or None,
            "security": self.security.value,
            "username": self.username.value.strip() or None,
            "helo": self.helo.value.strip() or None,
            "timeout": timeout,
            "deadline": self.deadline.value.strip() or None,
            "auth_mechanism": self.auth_mechanism.value or None,
            "allow_plaintext_auth": bool(self.allow_plaintext_auth.value),
            "nameservers": self.nameserver.value.strip() or None,
            "cafile": self.cafile.value.strip() or None,
        }
        if self._envelope:
            common.update(
                mail_from=self.mail_from.value.strip() or None,
                rcpt_to=self.rcpt_to.value.strip() or None,
                send=bool(self.send.value),
            )
        else:
            common.update({k: v for k, v in self._extra.items() if v not in (None, "", False)})
        token = self._token
        password = None if token else secret
        if self.in_lab and self.scenario.value:
            lab_common = {k: v for k, v in common.items() if v is not None}
            if self._envelope and not self.send.value:
                lab_common["send"] = False
            scenario = self.scenario.value
            chosen = r.take(
                lambda: lab_server_settings(self.lab, scenario, password=password, token=token, **lab_common), None
            )
            r.raise_first()
            assert chosen is not None
            return chosen
        provider = self.preset.value if self.preset.value not in GENERIC_PRESETS else None
        target = r.take(
            lambda: Target(
                credential="oauth" if token else "password" if password else "none",
                **{k: v for k, v in common.items() if v is not None},
            ),
            None,
        )
        r.raise_first()
        assert target is not None
        return ServerInput(target, password=password, token=token, provider=provider)

    # -- what a run shows --------------------------------------------------------------
    def _describe(self, settings: ServerInput) -> str:
        t = settings.target
        if settings.scenario:
            return f"{self.title}: lab scenario {settings.scenario} ({t.address}, {t.security})"
        return f"{self.title}: {t.address} ({t.security})"

    def _plan(self, settings: ServerInput) -> tuple[str, ...]:
        t = settings.target
        implicit = t.security == "tls" or (t.security == "auto" and t.port in IMPLICIT_TLS_PORTS)
        return _IMPLICIT_STEPS if implicit else _SESSION_STEPS

    def _limit(self, settings: ServerInput) -> float:
        return settings.target.session_deadline

    def changed_from_lesson(self) -> list[str]:
        """The fields the person changed after choosing the lab scenario (why its lesson may not show)."""
        now = {
            "host": self.host.value,
            "port": self.port.value,
            "security": self.security.value,
            "username": self.username.value,
            "mail_from": self.mail_from.value,
            "rcpt_to": self.rcpt_to.value,
            "send": self.send.value,
        }
        return [self.fields.labels.get(k, k) for k, v in now.items() if k in self._filled and self._filled[k] != v]

    def _lesson_codes(self, settings: ServerInput) -> tuple[str, ...]:
        from smtpkit.lab.lessons import server_lesson

        return server_lesson(self.lab, settings.scenario).expect if settings.scenario else ()

    def _banner(self, settings: ServerInput, result: Any) -> Banner:
        from smtpkit.lab.lessons import lesson_line, missed, server_lesson

        t = settings.target
        host_dns = describe_dns(t.nameservers, self.lab, host_lookup=True)
        if t.username:
            how = "an OAuth token" if settings.token else "a password" if settings.password else "no password"
            login = f"{t.username} with {how}"
        else:
            login = "none (Username is empty: the connection, the greeting and TLS are checked, no AUTH)"
        lines = [("DNS", host_dns), ("Certificates trusted", describe_ca(t.cafile, self.lab)), ("Login", login)]
        if t.rcpt_to:
            what = "a real test message" if t.send else "a dry run (MAIL, RCPT, then RSET: nothing is sent)"
            lines.append(("Envelope", f"{t.mail_from} to {', '.join(t.rcpt_to)}, {what}"))
        if settings.scenario:
            lesson = server_lesson(self.lab, settings.scenario)
            codes = result.codes() if hasattr(result, "codes") else []
            lines.append(("Lesson", lesson_line(lesson, result, " or ", "a healthy server: no problem")))
            return Banner(
                LAB,
                f"lab scenario {settings.scenario} at {t.address} ({t.security})",
                tuple(lines),
                note=missed(lesson, codes, self.changed_from_lesson()),
            )
        provider = self._presets[settings.provider].name if settings.provider in self._presets else ""
        head = f"{t.address} ({t.security})" + (f", {provider}" if provider else "")
        return Banner(OWN, head, tuple(lines), name="My server")


class DomainForm(BaseForm):
    """Mode, domain, DKIM selectors, sending IP, DNS server, timeout, Run."""

    title = "Domain check"
    #: What an empty Domain field is told.
    empty_domain = "Domain is empty: type the domain you send from (the part after @ in your From address)."
    #: The hint under Domain in "My domain" mode.
    own_hint = (
        "My domain: asked of this computer's own resolver (or the DNS server you type below); the sending IP "
        "is only the one you type. Your own DKIM selectors (your provider's: google, selector1, s1...) help; "
        "without them common ones are tried."
    )

    def __init__(
        self,
        lab: Any = None,
        *,
        domain: str | None = None,
        selectors: str | list[str] | None = None,
        ip: str | None = None,
        nameserver: str | None = None,
        timeout: float = 5.0,
        action: Callable[[DomainQuery], Any] | None = None,
        title: str | None = None,
        focus: tuple[str, ...] | str = (),
    ) -> None:
        if title:
            self.title = title
        super().__init__(action or domain_action, (focus,) if isinstance(focus, str) else focus)
        self.lab = lab
        self._zones = lab_zones(lab) if lab is not None else []
        self._filling = False
        self._filled: dict[str, Any] = {}
        self.mode = mode_toggle("My domain", lab)
        # the lab's domains as a menu, each with what is wrong with it (shown in the lab only), as the server
        # form's scenario menu: the Domain field listed 85 bare names, and only once it was emptied
        self.zone = widgets.Dropdown(
            options=domain_choices(self._menu(self._zones)), description="Lab domain", style=style(), layout=wide()
        )
        self.zone.add_class("smtpkit-lab-domain")
        self.domain = text_field("Domain", placeholder="example.com")
        self.hint = widgets.HTML(layout=widgets.Layout())
        self.hint.add_class("smtpkit-hint")
        self.selectors = text_field("DKIM selectors", placeholder="google, selector1, s1 (comma-separated)")
        self.ip = text_field("Sending IP", placeholder="the address your mail leaves from (empty: none)")
        self.nameserver = text_field("DNS server", placeholder="empty: this computer's own resolver")
        self.timeout = text_field("Timeout (s)", value=number_text(timeout), placeholder="e.g. 5", short=True)
        f = self.fields
        self.box = FormBox(
            [
                self.css,
                self.mode,
                self.zone,
                f.add("domain", self.domain, label="Domain"),
                self.hint,
                f.add("selectors", self.selectors, label="DKIM selectors"),
                f.add("ip", self.ip, label="Sending IP"),
                f.add("nameservers", self.nameserver, label="DNS server"),
                f.add("timeout", self.timeout, label="Timeout", aliases=("dns_timeout",)),
                *self._controls(),
            ],
            label="domain settings form",
        )
        self.mode.observe(self._mode_changed, names="value")
        self.watch_mode(self.mode)
        self.domain.observe(self._domain_changed, names="value")
        self.zone.observe(self._zone_chosen, names="value")
        self.timeout.observe(lambda _c: self.refresh_limit(), names="value")

        self._lesson_zone = ""  # the lab domain whose lesson the fields are set up for
        self._last_lab = ""  # the lab domain last in the field: Practice lab comes back to it from My domain
        self._last_own = ""  # the domain of your own last in the field: My domain comes back to it
        start = (domain or "").strip()
        if lab is not None and (not start or is_lab_domain(start, self._zones)):
            self._set_quietly(self.domain, start or lab.domain)
            self._enter_lab()
        else:
            self._set_quietly(self.domain, start)
            self._enter_own()
        if selectors is not None:
            self.selectors.value = ", ".join(selectors) if isinstance(selectors, (list, tuple)) else selectors
        if ip is not None:
            self.ip.value = ip
        if nameserver is not None:
            self.nameserver.value = nameserver
        self.refresh_limit()

    @property
    def in_lab(self) -> bool:
        return self.mode.value == LAB and self.lab is not None

    def _set_quietly(self, widget: widgets.Widget, value: Any) -> None:
        self._filling = True
        try:
            widget.value = value
        finally:
            self._filling = False

    def _mode_changed(self, change: dict[str, Any]) -> None:
        if self._filling:
            return
        if change["new"] == LAB:
            if not is_lab_domain(self.domain.value, self._zones):
                self._last_own = self.domain.value  # kept for the way back to My domain
                # the lab domain the person had (it was the start one: a look at My domain lost their choice)
                self._set_quietly(self.domain, self._last_lab or self._lab_start())
            self._enter_lab()
        else:
            if is_lab_domain(self.domain.value, self._zones):
                self._set_quietly(self.domain, self._last_own)  # the domain of your own typed before, if any
            self._enter_own()

    def _menu(self, zones: list[str]) -> list[str]:
        """The lab domains the Lab domain menu offers, in its order: all of them for the domain check."""
        return zones

    def _lab_start(self) -> str:
        """The lab domain this form starts on, and comes back to from My domain."""
        return str(self.lab.domain)

    def _teaches_here(self, lesson: Lesson) -> tuple[str, ...]:
        """The codes of `lesson` this form's result can show: all of them for the domain check (the receiving
        side shows only its own steps' findings)."""
        return lesson.expect

    #: Where a lab domain's lesson that this form cannot show is seen (never, for the domain check).
    shown_elsewhere = ""

    def _enter_lab(self) -> None:
        self._set_quietly(self.mode, LAB)
        show(self.zone, True)
        self._fill_from_zone(self.domain.value)

    def _enter_own(self) -> None:
        """Your own domain: this computer's resolver (or the DNS server typed), no lab IP, no lab selector."""
        self._set_quietly(self.mode, OWN)
        show(self.zone, False)
        for name, widget in (("selectors", self.selectors), ("ip", self.ip), ("nameservers", self.nameserver)):
            if name in self._filled and widget.value == self._filled[name]:
                widget.value = ""
        self._filled = {}
        self.hint.value = hint_html(self.own_hint)

    def _fill_from_zone(self, domain: str) -> None:
        from smtpkit.lab.lessons import domain_lesson

        name = (domain or self.lab.domain).strip().rstrip(".").lower()
        q = lab_domain_settings(self.lab, name)
        lesson = domain_lesson(self.lab, name)
        self._lesson_zone = name if lesson.expect or lesson.why else ""
        if q.domain != name:
            self._set_quietly(self.domain, q.domain)  # the lesson is on a name under the lab domain
        self._last_lab = q.domain
        zone = next((z for z in self._zones if q.domain == z or q.domain.endswith("." + z)), None)
        self._offer(zone)
        if self.zone.value != zone:
            self._set_quietly(self.zone, zone)  # the menu names the domain typed, or the one a name is under
        self.selectors.value = ", ".join(q.selectors)
        self.ip.value = q.ip or ""
        self.nameserver.value = ", ".join(q.nameservers)
        self._filled = {"selectors": self.selectors.value, "ip": self.ip.value, "nameservers": self.nameserver.value}
        self.hint.value = hint_html(self._zone_hint(name, q, lesson))

    def _zone_hint(self, name: str, q: DomainQuery, lesson: Lesson) -> str:
        """The hint under a lab domain: what it is, the findings its result should show on this page in the
        words they will say (another page's named with where it shows), how the form is set up for it, and
        where the other lab domains are."""
        from smtpkit.lab.lessons import expected, hint_words, without_codes

        words = hint_words(lesson, q)
        here = self._teaches_here(lesson)
        elsewhere = [code for code in lesson.expect if code not in here]
        expect = f" Run it: the result should show {expected(here, words=words)}." if here else ""
        if elsewhere:  # a lesson of another page (spf.plus_all on the receiving side): say where it shows
            expect += f" Its lesson, {expected(elsewhere, words=words)}, is {self.shown_elsewhere}."
        setup = f" This form is set up for it: {lesson.why}." if lesson.why and here else ""
        # each code is named once, with its title, in "Run it: …" ("(spf.plus_all)" read twice)
        what = without_codes(lesson.description, lesson.expect) or "a lab domain"
        checked = name if q.domain == name else f"{name} (checked at {q.domain})"
        listed = len(self._menu(self._zones))  # not the line of a domain typed that it leaves out
        menu = (
            f"the Lab domain menu lists the {listed} whose lesson this page shows: choose another there"
            if listed < len(self._zones)
            else "choose another from the Lab domain menu"
        )
        return (
            f"Practice lab domain {checked}: {what}.{expect}{setup} "
            f"The lab's DNS server answers for {len(self._zones)} domains, most of them wrong in one way: {menu}, "
            "or type your own domain in Domain."
        )

    def _offer(self, zone: str | None) -> None:
        """The menu's options: `_menu`'s, and a lab domain typed that it leaves out (another page's lesson) as
        one more line saying so, until another is chosen. The menu went blank, and a blank menu looks broken."""
        options = domain_choices(self._menu(self._zones))
        if zone is not None and zone not in [value for _label, value in options]:
            options.append((f"{zone}: typed; its lesson is not on this page (see the hint)", zone))
        if list(self.zone.options) != options:
            self._filling = True
            try:
                self.zone.options = options
                self.zone.value = zone
            finally:
                self._filling = False

    def _zone_chosen(self, change: dict[str, Any]) -> None:
        """A lab domain chosen from the menu: it goes in Domain, and the fields are set up for its lesson."""
        if self._filling or not change["new"]:
            return
        self._set_quietly(self.domain, change["new"])
        if self.in_lab:
            self._fill_from_zone(change["new"])
        else:
            self._enter_lab()

    def _domain_changed(self, change: dict[str, Any]) -> None:
        """The mode follows the domain: a lab domain is asked of the lab, any other of your own resolver."""
        if self._filling:
            return
        name = change["new"].strip().rstrip(".").lower()
        if not name:
            return
        if is_lab_domain(name, self._zones) and self.lab is not None:
            if self.in_lab:
                self._fill_from_zone(name)
            else:
                self._enter_lab()
        elif self.in_lab and not self._starts_a_lab_domain(name):
            self._enter_own()

    def _starts_a_lab_domain(self, name: str) -> bool:
        """Is `name` the start of a lab domain? Then the person may be typing a lab domain, or emptying the field
        to type one, and the form stays in the lab (the first Backspace switched to My domain and hid the lab's
        menu). A Run decides (`settings`)."""
        return any(zone.startswith(name) for zone in self._zones)

    def settings(self) -> DomainQuery:
        """The current settings as a validated `DomainQuery`; InvalidSettings if one is unusable."""
        from smtpkit.settings import validate_seconds

        typed = self.domain.value.strip().rstrip(".").lower()
        if self.in_lab and typed and not is_lab_domain(typed, self._zones):
            self._enter_own()  # the start of a lab domain left in the field: a domain of your own after all
        r = Refusals()  # every field read in one Run: the refusals are all marked (the first raised)
        domain = r.take(lambda: refuse_empty("domain", self.domain.value, self.empty_domain), "")
        timeout = r.take(
            lambda: validate_seconds(
                refuse_empty(
                    "timeout",
                    self.timeout.value,
                    "Timeout is empty: give the seconds the whole check may take, e.g. 5.",
                ),
                field="timeout",
                label="The timeout",
            ),
            None,
        )
        values: dict[str, Any] = {
            "selectors": self.selectors.value,
            "ip": self.ip.value.strip() or None,
            "nameservers": self.nameserver.value.strip() or None,
            "timeout": timeout,
            "dns_timeout": min(2.0, timeout) if timeout is not None else None,
        }
        if self.in_lab:
            query = r.take(lambda: lab_domain_settings(self.lab, domain, **values), None)
        else:
            query = r.take(
                lambda: DomainQuery(domain=domain, **{k: v for k, v in values.items() if v is not None}), None
            )
        r.raise_first()
        assert query is not None
        return query

    def _describe(self, settings: DomainQuery) -> str:
        return f"{self.title}: {settings.domain}"

    def _limit(self, settings: DomainQuery) -> float:
        return settings.timeout

    def _plan(self, settings: DomainQuery) -> tuple[str, ...]:
        from smtpkit.checks.domain import step_order

        return tuple(step_order(settings))

    def _lesson(self, settings: DomainQuery) -> Lesson | None:
        """The lab lesson of the domain checked (a lesson on a name under a lab zone counts), None outside the lab."""
        from smtpkit.lab.lessons import domain_lesson

        if not self.in_lab:
            return None
        lesson = domain_lesson(self.lab, settings.domain)
        if self._lesson_zone and not lesson.expect:
            zone_lesson = domain_lesson(self.lab, self._lesson_zone)
            if zone_lesson.settings.get("domain", self._lesson_zone) == settings.domain:
                lesson = zone_lesson
        return lesson

    def _lesson_codes(self, settings: DomainQuery) -> tuple[str, ...]:
        lesson = self._lesson(settings)
        return self._teaches_here(lesson) if lesson is not None else ()

    def _banner(self, settings: DomainQuery, result: Any) -> Banner:
        from smtpkit.lab.lessons import expected, hint_words, lesson_line, missed, without_codes

        lines = [("DNS", describe_dns(settings.nameservers, self.lab))]
        lines.append(("Sending IP", settings.ip or "none given (reverse DNS and blocklists are not checked)"))
        if settings.selectors:
            lines.append(("DKIM selectors", ", ".join(settings.selectors)))
        lesson = self._lesson(settings)
        if lesson is not None:
            codes = result.codes() if hasattr(result, "codes") else []
            now = {"selectors": self.selectors.value, "ip": self.ip.value, "nameservers": self.nameserver.value}
            changed = [self.fields.labels[k] for k, v in self._filled.items() if now.get(k) != v]
            here = dataclasses.replace(lesson, expect=self._teaches_here(lesson))
            if lesson.expect and not here.expect:  # another page's lesson: said where, not "did not appear"
                line = f"{expected(lesson.expect, words=hint_words(lesson, settings))}, {self.shown_elsewhere}"
            else:
                # a domain without a finding to teach is said as its zone says it ("p=none while reading a month
                # of aggregate reports"): "a healthy domain" stood above a WARN for the lab's helper zones
                line = lesson_line(here, result, " and ", without_codes(lesson.description) or "a healthy domain")
            lines.append(("Lesson", line))
            return Banner(LAB, f"lab domain {settings.domain}", tuple(lines), note=missed(here, codes, changed))
        return Banner(OWN, settings.domain, tuple(lines), name="My domain")


class EmlForm(BaseForm):
    """Upload a saved message (.eml), press Run, read whether its DKIM signatures verify and align.

    With nothing uploaded it verifies a message the practice lab signed, so the
    notebook shows a real verification on a fresh machine. The uploaded bytes
    are taken out of the widget as soon as they are read, so a saved notebook's
    widget state never carries someone's e-mail.
    """

    title = "DKIM verification"

    def __init__(self, lab: Any = None, *, nameserver: str | None = None, sample: bytes | None = None) -> None:
        super().__init__(self._verify)
        self.lab = lab
        self._message: bytes | None = None
        self._name = ""
        self._sample = sample
        self.upload = widgets.FileUpload(
            accept=".eml,message/rfc822,.txt", multiple=False, description="Upload .eml", layout=widgets.Layout()
        )
        self.upload.observe(self._take_upload, names="value")
        self.nameserver = text_field(
            "DNS server",
            value=(
                nameserver
                if nameserver is not None
                else (lab.nameserver if lab is not None and lab.dns is not None else "")
            ),
            placeholder="empty: this computer's own resolver",
        )
        self.which = widgets.HTML(layout=widgets.Layout())
        self._show_which()
        self.box = FormBox(
            [
                self.css,
                widgets.HBox([self.upload, self.which], layout=widgets.Layout()),
                self.fields.add("nameservers", self.nameserver, label="DNS server"),
                *self._controls(),
            ],
            label="message verification form",
        )

    def _take_upload(self, change: dict[str, Any]) -> None:
        files = uploaded(change["new"])
        if not files:
            return
        self._name, self._message = files[0]
        self.upload.value = ()  # the message lives in the kernel only, never in widget state
        self._show_which()

    def load(self, message: bytes | str, name: str = "message") -> None:
        """Verify this message on the next Run (what an upload does, from code)."""
        self._message = message.encode() if isinstance(message, str) else bytes(message)
        self._name = name
        self._show_which()

    def _show_which(self) -> None:
        text = (
            f"Will verify: {self._name} ({len(self._message)} bytes)"
            if self._message
            else ("Nothing uploaded: Run verifies a message the practice lab signed.")
        )
        self.which.value = f'<span style="font-size:12px;color:#57606a">{html.escape(text)}</span>'

    def settings(self) -> dict[str, Any]:
        from smtpkit.settings import validate_nameserver

        ns = self.nameserver.value.strip()
        nameserver = validate_nameserver(ns) if ns else None
        if self._message:
            return {"message": self._message, "name": self._name, "nameserver": nameserver}
        if self._sample is None:
            from smtpkit.ui.views import lab_signed_sample

            self._sample = lab_signed_sample()
        return {"message": self._sample, "name": "the lab-signed sample", "nameserver": nameserver}

    def _verify(self, settings: dict[str, Any]) -> Any:
        from smtpkit.ui.views import verify_eml

        return verify_eml(settings["message"], self.lab, nameserver=settings["nameserver"], name=settings["name"])

    def _wrap(self, settings: Any, result: Any) -> Any:
        return result

    def _describe(self, settings: Any) -> str:
        return f"{self.title} of {settings['name']}"


def short_hint(text: str, limit: int = 60) -> str:
    """`text` up to its first ";", cut at a word within `limit` characters: what fits in a field."""
    first = text.split(";", 1)[0].strip()
    cut = len(first) > limit
    if cut:
        first = first[: limit - 2].rsplit(" ", 1)[0]
    if first.count("(") > first.count(")"):  # never a bracket left open: "the lab password (shown by …"
        first, cut = first.rsplit(" (", 1)[0], True
    return first + " …" if cut else first
