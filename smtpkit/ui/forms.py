"""Settings forms for the notebooks: fill in a server or a domain, press Run, read the result.

The forms only collect settings and trigger a run; the result is shown as an
ordinary cell output through a display handle (see `smtpkit.ui.display`), so
it survives saving and export. Typical use in a notebook::

    form = ui.ServerForm(lab, scenario="expired_cert")
    form                      # the form
    report = form.run()       # runs now; the result appears here, and Run updates it

The forms build the settings model of `smtpkit.settings` (a `Target` with its
`Secret` beside it, as a `ServerInput`; a `DomainQuery`), the same objects the
command line builds, so a bad value gets the same `InvalidSettings` message
here as in a terminal. The server form sets everything `smtpkit check` can:
host, port, security, login, OAuth access token, AUTH mechanism, timeout,
overall deadline and the plaintext-AUTH opt-in.

The password and the OAuth token are never left in the widget: the moment a
value reaches the kernel (Enter, or leaving the field) it is moved into a
`Secret` and the field is cleared, so neither the browser nor a saved
notebook's widget state holds it. ``SMTPKIT_PASSWORD`` in the kernel's
environment is the alternative that never touches the form at all.
"""

from __future__ import annotations

import dataclasses
import html
import time
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets

from smtpkit.errors import InvalidSettings
from smtpkit.knowledge.presets import GENERIC_PRESETS
from smtpkit.model import Report
from smtpkit.secrets import Secret
from smtpkit.settings import AUTH_MECHANISMS, DomainQuery, Target
from smtpkit.ui.display import Panel, ReportView, ResultView, message, problem_panel
from smtpkit.ui.inputs import PASSWORD_ENV, SECURITY_CHOICES, ServerInput, password_from_env
from smtpkit.ui.lab import lab_domain_settings, lab_server_settings, lab_zones, scenario_choices

_LABEL_WIDTH = "130px"
_STYLE = {"description_width": _LABEL_WIDTH}
_WIDE = widgets.Layout(width="560px")
_NARROW = widgets.Layout(width="300px")


class _FormBox(widgets.VBox):  # type: ignore[misc]
    """The form's container; its text form never lists field values (a saved text/plain must hold no secret)."""

    def __init__(self, *args: Any, label: str = "settings form", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._smtpkit_label = label

    def __repr__(self) -> str:
        return f"[smtpkit {self._smtpkit_label}: run the notebook in JupyterLab to use it]"


_PLAINTEXT_WARNING = (
    "Only on a network you trust: with this ticked, a server without TLS (or a failed STARTTLS) receives your "
    "password unencrypted, readable by anyone on the path, and a server that was meant to refuse it may log it."
)


def diagnose_action(settings: ServerInput) -> Any:
    """The default server action: the full session diagnosis."""
    return settings.diagnose()


def domain_action(settings: DomainQuery) -> Any:
    """The default domain action: MX, SPF, DKIM, DMARC and PTR checks."""
    from smtpkit.checks.domain import check_domain

    return check_domain(settings)


def _verdict(result: Any) -> str | None:
    verdict = getattr(result, "verdict", None)
    if verdict is None and isinstance(result, Panel):
        verdict = result.status
    return str(verdict) if verdict else None


class _BaseForm:
    """Run plumbing shared by the forms: the result view, the Run button, errors as panels."""

    title = "Check"

    def __init__(self, action: Callable[[Any], Any], focus: tuple[str, ...] = ()) -> None:
        self.action = action
        self.focus = tuple(focus)
        self.view = ResultView(message(self.title, "Press Run to check these settings."))
        self.last_result: Any = None
        self.last_settings: Any = None
        self.last_error: BaseException | None = None
        self.run_button = widgets.Button(
            description="Run", button_style="primary", icon="play", tooltip="Run the check"
        )
        self.run_button.add_class("smtpkit-run")
        self.status = widgets.HTML(value="")
        self.status.add_class("smtpkit-status")
        # Only used when Run is pressed before any cell showed a result (nowhere else to put it).
        self._fallback = widgets.Output()
        self.run_button.on_click(lambda _b: self._clicked())

    # -- to override ----------------------------------------------------------------
    def settings(self) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def _describe(self, settings: Any) -> str:
        return self.title

    def _wrap(self, settings: Any, result: Any) -> Any:
        label = self._describe(settings)
        if isinstance(result, Report):
            return ReportView(result, focus=self.focus, title=label)
        return Panel(label, [("Settings used", settings.to_dict()), ("", result)], status=_verdict(result))

    # -- running --------------------------------------------------------------------
    def compute(self, **overrides: Any) -> Any:
        """Read the settings and run the action; problems come back as a panel, never raised.

        `overrides` replace settings for this run only (``send=True`` for a real send).
        """
        started = time.monotonic()
        settings = None
        try:
            settings = self.settings()
            if overrides:
                if isinstance(settings, ServerInput):
                    settings = settings.replace(**overrides)
                else:
                    settings = dataclasses.replace(settings, **overrides)
            self.last_settings = settings
            result = self.action(settings)
            self.last_result = result
            self.last_error = None
            shown = self._wrap(settings, result)
            verdict = _verdict(result)
            self._set_status(
                f"Last run: {html.escape(self._describe(settings))}: "
                f"<b>{html.escape(verdict.upper()) if verdict else 'DONE'}</b> "
                f"({time.monotonic() - started:.1f} s)"
            )
        except Exception as exc:  # shown as an explanation, never as a traceback
            self.last_result = None
            self.last_error = exc
            shown = problem_panel(self.title, exc)
            self._set_status(f"Last run: <b>FAIL</b>: {html.escape(str(shown.parts[0][1])[:200])}")
        return shown

    def run(self, **overrides: Any) -> Any:
        """Run now and show the result in the current cell (updated by later Run clicks); returns the result.

        `overrides` change settings for this run only, e.g. ``form.run(send=True)``.
        """
        shown = self.compute(**overrides)
        self.view.show(shown)
        return self.last_result

    def results(self) -> None:
        """Show where results will appear, without running: Run fills this output in place."""
        self.view.show(message(self.title, "Press Run above: the result appears here and replaces this message."))

    def _clicked(self) -> None:
        self.run_button.disabled = True
        self.run_button.description = "Running…"
        try:
            if self.view.handles:
                self.view.update(message(self.title, "Running… the result replaces this message.", "info"))
            shown = self.compute()
            if self.view.handles:
                self.view.update(shown)
            else:
                # No cell output exists yet: this copy lives only in widget state until a cell runs `form.run()`.
                self._fallback.outputs = ()
                self._fallback.append_display_data(shown)
        finally:
            self.run_button.disabled = False
            self.run_button.description = "Run"

    def click(self) -> Any:
        """Press Run from code (tests, demos); returns what the click displayed."""
        self.run_button.click()
        return self.view.current

    def _set_status(self, markup: str) -> None:
        self.status.value = f'<span style="font-size:12px">{markup}</span>'

    # -- display ----------------------------------------------------------------------
    @property
    def widget(self) -> widgets.Widget:
        return self.box  # type: ignore[attr-defined]

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.box)  # type: ignore[attr-defined]

    def __repr__(self) -> str:
        return f"[smtpkit {self.title} form]"


class ServerForm(_BaseForm):
    """Provider preset, lab scenario, host, port, security, username, password, timeout, Run.

    "More settings" (closed at first) holds the rest of what `smtpkit check`
    takes: an OAuth access token (handled like the password), the AUTH
    mechanism, the overall deadline and the plaintext-AUTH opt-in.
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
        self._extra = {"send": send, "mail_from": mail_from, "rcpt_to": rcpt_to, "helo": helo}
        self._cafile = cafile
        self._nameserver = nameserver
        self._filling = False

        self._presets = {p.key: p for p in PRESETS if p.key != "lab" or lab is not None}
        options = [(p.name, p.key) for p in self._presets.values()]
        self.preset = widgets.Dropdown(options=options, description="Provider", style=_STYLE, layout=_WIDE)
        self.scenario = widgets.Dropdown(
            options=scenario_choices(lab, categories) if lab is not None else [],
            description="Lab scenario",
            style=_STYLE,
            layout=_WIDE,
        )
        self.scenario.add_class("smtpkit-scenario")
        self.host = widgets.Text(description="Host", placeholder="smtp.example.com", style=_STYLE, layout=_WIDE)
        self.port = widgets.BoundedIntText(
            value=0,
            min=0,
            max=65535,
            description="Port",
            style=_STYLE,
            layout=_NARROW,
            tooltip="0: the usual port for the security mode",
        )
        self.security = widgets.Dropdown(
            options=SECURITY_CHOICES, value="auto", description="Security", style=_STYLE, layout=_WIDE
        )
        self.username = widgets.Text(description="Username", style=_STYLE, layout=_WIDE)
        self.password = widgets.Password(description="Password", continuous_update=False, style=_STYLE, layout=_WIDE)
        self.password.add_class("smtpkit-password")
        self.password_state = widgets.HTML()
        self.forget_button = widgets.Button(
            description="Forget password", tooltip="Drop the stored password from memory"
        )
        self.timeout = widgets.BoundedFloatText(
            value=float(timeout), min=0.5, max=300, step=1, description="Timeout (s)", style=_STYLE, layout=_NARROW
        )
        self.hint = widgets.HTML()
        # the rest of what `smtpkit check` takes, in a closed "More settings" section
        self.token = widgets.Password(description="OAuth token", continuous_update=False, style=_STYLE, layout=_WIDE)
        self.token.placeholder = "an OAuth 2.0 access token (XOAUTH2) instead of the password"
        self.token.add_class("smtpkit-token")
        self.auth_mechanism = widgets.Dropdown(
            options=[("Auto: the best the server offers", "")] + [(m, m) for m in AUTH_MECHANISMS],
            value=(auth_mechanism or "").upper(),
            description="AUTH mechanism",
            style=_STYLE,
            layout=_WIDE,
        )
        self.deadline = widgets.BoundedFloatText(
            value=float(deadline or 0),
            min=0,
            max=3600,
            step=10,
            description="Deadline (s)",
            tooltip="0: enough for every step at one timeout each",
            style=_STYLE,
            layout=_NARROW,
        )
        self.allow_plaintext_auth = widgets.Checkbox(
            value=bool(allow_plaintext_auth),
            description="Allow sending the password without encryption (insecure)",
            indent=False,
            layout=_WIDE,
        )
        self.plaintext_warning = widgets.HTML()
        self.more = widgets.Accordion(
            children=[
                widgets.VBox(
                    [
                        self.token,
                        self.auth_mechanism,
                        self.deadline,
                        self.allow_plaintext_auth,
                        self.plaintext_warning,
                    ]
                )
            ],
            selected_index=None,
            layout=_WIDE,
        )
        self.more.set_title(0, "More settings: OAuth token, AUTH mechanism, deadline, plaintext AUTH")
        self.mail_from = widgets.Text(
            description="Mail from", placeholder="you@example.com", style=_STYLE, layout=_WIDE
        )
        self.rcpt_to = widgets.Text(
            description="Send to", placeholder="a mailbox you can read (comma-separated)", style=_STYLE, layout=_WIDE
        )
        self.send = widgets.Checkbox(
            value=bool(send),
            description="Really send a test message (otherwise a dry run: MAIL and RCPT, then RSET)",
            indent=False,
            layout=_WIDE,
        )
        envelope_widgets = [self.mail_from, self.rcpt_to, self.send] if envelope else []

        self.password.observe(self._take_password, names="value")
        self.token.observe(self._take_token, names="value")
        self.allow_plaintext_auth.observe(lambda _c: self._show_plaintext_warning(), names="value")
        self.forget_button.on_click(lambda _b: self.forget_password())
        self.preset.observe(self._preset_changed, names="value")
        self.scenario.observe(self._scenario_changed, names="value")

        self.box = _FormBox(
            [
                self.preset,
                self.scenario,
                self.hint,
                self.host,
                self.port,
                self.security,
                self.username,
                widgets.HBox([self.password, self.forget_button]),
                self.password_state,
                self.timeout,
                self.more,
                *envelope_widgets,
                widgets.HBox([self.run_button, self.status]),
                self._fallback,
            ],
            label="server settings form",
        )

        # initial state: an explicit host wins, then a preset, then the lab
        if host:
            guess = provider_for_host(host)
            key = preset or (guess.key if guess and guess.key in self._presets else "custom")
            self._select_preset(key, fill=False)
            self.host.value = host
            self.port.value = int(port or 0)
            self.security.value = security or (self._presets[key].security if key != "custom" else "auto")
        elif preset and preset != "lab":
            self._select_preset(preset, fill=True)
            if port:
                self.port.value = int(port)
            if security:
                self.security.value = security
        elif lab is not None:
            self._select_preset("lab", fill=False)
            name = scenario or "submission"
            if name not in [v for _l, v in self.scenario.options]:
                raise KeyError(
                    f"no lab scenario {name!r} in this form; choose one of {[v for _l, v in self.scenario.options]}"
                )
            if self.scenario.value == name:
                self._fill_from_scenario(name)
            else:
                self.scenario.value = name
            if port:
                self.port.value = int(port)
            if security:
                self.security.value = security
        else:
            self._select_preset(preset or "custom", fill=True)
        if username:
            self.username.value = username
        self._envelope = envelope
        if envelope:
            self.mail_from.value = mail_from or (lab.user if self.preset.value == "lab" and lab is not None else "")
            rcpt = rcpt_to if isinstance(rcpt_to, str) else ", ".join(rcpt_to or [])
            self.rcpt_to.value = rcpt or (
                f"alice@{lab.domain}" if self.preset.value == "lab" and lab is not None else ""
            )
        self._show_password_state()
        self._show_plaintext_warning()

    # -- presets and scenarios -----------------------------------------------------------
    def _select_preset(self, key: str, *, fill: bool) -> None:
        if key not in self._presets:
            raise KeyError(f"unknown provider preset {key!r}; choose one of {', '.join(self._presets)}")
        self._filling = not fill
        try:
            if self.preset.value == key:
                if fill:
                    self._fill_from_preset(key)
            else:
                self.preset.value = key
        finally:
            self._filling = False
        self._show_scenario(key == "lab")

    def _show_scenario(self, visible: bool) -> None:
        self.scenario.layout.display = None if visible else "none"

    def _preset_changed(self, change: dict[str, Any]) -> None:
        key = change["new"]
        self._show_scenario(key == "lab")
        if self._filling:
            return
        if key == "lab":
            if self.scenario.value:
                self._fill_from_scenario(self.scenario.value)
        else:
            self._fill_from_preset(key)

    def _fill_from_preset(self, key: str) -> None:
        p = self._presets[key]
        host = p.host
        if "{region}" in host:
            host = host.format(region=p.params.get("default_region", "us-east-1"))
        self.host.value = host
        self.port.value = int(p.default_port or 0)
        self.security.value = p.security if p.security in {v for _l, v in SECURITY_CHOICES} else "auto"
        # the lab's user name means nothing to a real provider: leave the field for the person's own login
        if self.lab is not None and self.username.value.strip() == getattr(self.lab, "user", None):
            self.username.value = ""
        self.username.placeholder = p.username_hint[:80]
        self.password.placeholder = p.password_hint[:80]
        notes = " ".join(x for x in (p.limits and f"Limits: {p.limits}.", p.notes) if x)
        self.hint.value = (
            f'<div style="font-size:12px;line-height:1.4;color:#57606a;max-width:700px">{html.escape(notes)}</div>'
        )
        self._show_password_state()  # "the practice lab's password" no longer applies

    def _scenario_changed(self, change: dict[str, Any]) -> None:
        if change["new"]:
            self._fill_from_scenario(change["new"])

    def _fill_from_scenario(self, name: str) -> None:
        s = lab_server_settings(self.lab, name).target
        ep = self.lab.endpoint(name)
        self.host.value = s.host
        self.port.value = int(s.port or 0)
        self.security.value = s.security
        self.username.value = s.username or ""
        self.username.placeholder = ""
        self.password.placeholder = "the lab password is filled in for you"
        expect = f" A correct diagnosis names <code>{html.escape(ep.expect)}</code>." if ep.expect else ""
        self.hint.value = (
            '<div style="font-size:12px;line-height:1.4;color:#57606a;max-width:700px">'
            f"{html.escape(ep.description)}{expect}</div>"
        )
        self._show_password_state()

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
        if self.preset.value == "lab" and self.lab is not None:
            return self.lab.password, "the practice lab's password"
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
            text = f"Password: set ({html.escape(source)}); it is never saved in the notebook."
        else:
            text = (
                "Password: not set. Type it above (it moves to memory and the field empties), "
                f"or set {html.escape(self.password_env or PASSWORD_ENV)} before starting JupyterLab."
            )
        self.password_state.value = f'<span style="font-size:12px;line-height:1.4;color:#57606a">{text}</span>'

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
        host = self.host.value.strip()
        if not host:
            raise InvalidSettings(
                "Host is empty: type the SMTP server's name (e.g. smtp.gmail.com) or pick a provider.", field="host"
            )
        extra: dict[str, Any] = {k: v for k, v in self._extra.items() if v not in (None, "")}
        if self._envelope:
            extra.update(
                mail_from=self.mail_from.value.strip() or None, rcpt_to=self.rcpt_to.value, send=bool(self.send.value)
            )
        common: dict[str, Any] = {
            "host": host,
            "port": int(self.port.value) or None,
            "security": self.security.value,
            "username": self.username.value.strip() or None,
            "timeout": float(self.timeout.value),
            "deadline": float(self.deadline.value) or None,
            "auth_mechanism": self.auth_mechanism.value or None,
            "allow_plaintext_auth": bool(self.allow_plaintext_auth.value),
            **extra,
        }
        token = self._token
        password = None if token else secret
        if self.preset.value == "lab" and self.lab is not None and self.scenario.value:
            return lab_server_settings(self.lab, self.scenario.value, password=password, token=token, **common)
        provider = self.preset.value if self.preset.value not in GENERIC_PRESETS else None
        target = Target(
            cafile=self._cafile,
            nameservers=(self._nameserver,) if self._nameserver else (),
            credential="oauth" if token else "password" if password else "none",
            **common,
        )
        return ServerInput(target, password=password, token=token, provider=provider)

    def _describe(self, settings: ServerInput) -> str:
        t = settings.target
        where = f"{t.host}:{t.port}"
        if settings.scenario:
            return f"{self.title}: lab scenario {settings.scenario} ({where}, {t.security})"
        return f"{self.title}: {where} ({t.security})"


class DomainForm(_BaseForm):
    """Domain, DKIM selectors, sending IP, DNS server, Run."""

    title = "Domain check"

    def __init__(
        self,
        lab: Any = None,
        *,
        domain: str | None = None,
        selectors: str | list[str] | None = None,
        ip: str | None = None,
        nameserver: str | None = None,
        timeout: float = 3.0,
        action: Callable[[DomainQuery], Any] | None = None,
        title: str | None = None,
        focus: tuple[str, ...] | str = (),
    ) -> None:
        if title:
            self.title = title
        super().__init__(action or domain_action, (focus,) if isinstance(focus, str) else focus)
        self.lab = lab
        defaults = lab_domain_settings(lab) if lab is not None else None
        zones = lab_zones(lab) if lab is not None else []
        self.domain = widgets.Combobox(
            options=zones,
            ensure_option=False,
            description="Domain",
            placeholder="example.com",
            style=_STYLE,
            layout=_WIDE,
        )
        self.domain.add_class("smtpkit-domain")
        self.selectors = widgets.Text(
            description="DKIM selectors",
            placeholder="google, selector1, s1 (comma-separated)",
            style=_STYLE,
            layout=_WIDE,
        )
        self.ip = widgets.Text(
            description="Sending IP", placeholder="the address your mail leaves from", style=_STYLE, layout=_WIDE
        )
        self.nameserver = widgets.Text(
            description="DNS server", placeholder="empty: the system's resolvers", style=_STYLE, layout=_WIDE
        )
        self.timeout = widgets.BoundedFloatText(
            value=float(timeout), min=0.5, max=60, description="Timeout (s)", style=_STYLE, layout=_NARROW
        )
        lab_note = (
            f"The practice lab's DNS server answers for {len(zones)} domains: {zones[0]} is healthy, each of the "
            "others is wrong in one way (spf-plus-all.test, dkim-revoked.test, dmarc-none.test...). "
            "Empty the Domain field to pick one from the list, or type your own."
            if zones
            else ""
        )
        self.hint = widgets.HTML(
            f'<div style="font-size:12px;line-height:1.4;color:#57606a;max-width:700px">{html.escape(lab_note)}</div>'
        )
        self.domain.value = domain or (defaults.domain if defaults else "")
        self.selectors.value = (
            ", ".join(selectors)
            if isinstance(selectors, (list, tuple))
            else (selectors or (", ".join(defaults.selectors) if defaults else ""))
        )
        self.ip.value = ip if ip is not None else ((defaults.ip if defaults else None) or "")
        self.nameserver.value = (
            nameserver if nameserver is not None else (", ".join(defaults.nameservers) if defaults else "")
        )
        self.domain.observe(self._domain_changed, names="value")
        self.box = _FormBox(
            [
                self.domain,
                self.hint,
                self.selectors,
                self.ip,
                self.nameserver,
                self.timeout,
                widgets.HBox([self.run_button, self.status]),
                self._fallback,
            ],
            label="domain settings form",
        )

    def _domain_changed(self, change: dict[str, Any]) -> None:
        # The lab's selector only exists on the lab's healthy domain; elsewhere, let discovery work.
        if self.lab is not None and self.selectors.value.strip() == "lab" and change["new"].strip() != self.lab.domain:
            self.selectors.value = ""

    def settings(self) -> DomainQuery:
        """The current settings as a validated `DomainQuery`; InvalidSettings if one is unusable."""
        domain = self.domain.value.strip()
        if not domain:
            raise InvalidSettings(
                "Domain is empty: type the domain you send from (the part after @ in your From address).",
                field="domain",
            )
        timeout = float(self.timeout.value)
        return DomainQuery(
            domain=domain,
            selectors=self.selectors.value,
            ip=self.ip.value,
            nameservers=self.nameserver.value,
            timeout=timeout,
            dns_timeout=min(2.0, timeout),
        )

    def _describe(self, settings: DomainQuery) -> str:
        return f"{self.title}: {settings.domain}"


class EmlForm(_BaseForm):
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
        self.upload = widgets.FileUpload(accept=".eml,message/rfc822,.txt", multiple=False, description="Upload .eml")
        self.upload.observe(self._take_upload, names="value")
        self.nameserver = widgets.Text(
            value=(
                nameserver
                if nameserver is not None
                else (lab.nameserver if lab is not None and lab.dns is not None else "")
            ),
            description="DNS server",
            placeholder="empty: the system's resolvers",
            style=_STYLE,
            layout=_WIDE,
        )
        self.which = widgets.HTML()
        self._show_which()
        self.box = _FormBox(
            [
                widgets.HBox([self.upload, self.which]),
                self.nameserver,
                widgets.HBox([self.run_button, self.status]),
                self._fallback,
            ],
            label="message verification form",
        )

    def _take_upload(self, change: dict[str, Any]) -> None:
        files = change["new"]
        if not files:
            return
        first = files[0] if isinstance(files, (list, tuple)) else next(iter(files.values()))
        content = first["content"]
        self._message = bytes(content.tobytes() if hasattr(content, "tobytes") else content)
        self._name = str(first.get("name") or "uploaded message")
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
        if self._message:
            return {"message": self._message, "name": self._name, "nameserver": self.nameserver.value.strip() or None}
        if self._sample is None:
            from smtpkit.ui.views import lab_signed_sample

            self._sample = lab_signed_sample()
        return {
            "message": self._sample,
            "name": "the lab-signed sample",
            "nameserver": self.nameserver.value.strip() or None,
        }

    def _verify(self, settings: dict[str, Any]) -> Any:
        from smtpkit.ui.views import verify_eml

        return verify_eml(settings["message"], self.lab, nameserver=settings["nameserver"], name=settings["name"])

    def _wrap(self, settings: Any, result: Any) -> Any:
        return result

    def _describe(self, settings: Any) -> str:
        return f"{self.title} of {settings['name']}"
