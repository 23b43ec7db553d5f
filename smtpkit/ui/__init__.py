"""Widgets and display helpers for the smtpkit notebooks.

* `ServerForm`, `DomainForm`: settings forms with a Run button; results appear
  as ordinary cell outputs through display handles.
* `ServerSettings`, `DomainSettings`: what the forms collect, as plain data;
  `lab_server_settings(lab, scenario)` / `lab_domain_settings(lab)` for the
  practice lab; `password_from_env()` reads ``SMTPKIT_PASSWORD``.
* `show(obj)`, `Panel`, `ResultView`: updatable, escaped, text-readable outputs.
* `views`: one-call helpers the notebooks use (scenario tables, comparisons).

Importing this module inside a kernel also makes the kernel redact registered
secrets from every rich output (`install_output_redaction`).
"""

from smtpkit.ui.display import Html, Panel, ResultView, install_output_redaction, message, problem_panel, show
from smtpkit.ui.forms import DomainForm, ServerForm, diagnose_action, domain_action
from smtpkit.ui.lab import lab_domain_settings, lab_server_settings, lab_zones, scenario_choices
from smtpkit.ui.settings import PASSWORD_ENV, DomainSettings, ServerSettings, password_from_env

install_output_redaction()

__all__ = [
    "PASSWORD_ENV",
    "DomainForm",
    "DomainSettings",
    "Html",
    "Panel",
    "ResultView",
    "ServerForm",
    "ServerSettings",
    "diagnose_action",
    "domain_action",
    "install_output_redaction",
    "lab_domain_settings",
    "lab_server_settings",
    "lab_zones",
    "message",
    "password_from_env",
    "problem_panel",
    "scenario_choices",
    "show",
]
