"""Widgets and display helpers for the smtpkit notebooks.

* `ServerForm`, `DomainForm`: settings forms with two modes (Practice lab, My
  server / My domain), inline validation, live progress and Cancel; results
  appear as ordinary cell outputs through display handles, under a banner
  naming the mode, the DNS and the CA used.
* The tool forms (`PortsForm`, `SpfTraceForm`, `SpfRecordForm`, `DkimKeyForm`,
  `ExplainForm`): every tool of the kit without editing Python; `PortfolioForm`:
  your own domains pasted and audited (notebook 10); `ReportsForm`: your own DMARC and TLS-RPT reports,
  uploaded or in a folder, read (notebook 08); `ReceivingForm`: a domain's receiving side (MX over TLS,
  MTA-STS, DANE, TLS-RPT) and the sending IP's blocklists (notebook 09).
* The forms build the one settings model of `smtpkit.settings`: a `ServerInput`
  (a validated `Target` and the `Secret` beside it) and a `DomainQuery`;
  `lab_server_settings(lab, scenario)` / `lab_domain_settings(lab)` build them
  for the practice lab, each scenario with its own lesson
  (`smtpkit.lab.lessons`); `password_from_env()` reads ``SMTPKIT_PASSWORD``.
* `show(obj)`, `Panel`, `ResultView`: updatable, escaped, text-readable outputs.
* `views`: one-call helpers the notebooks use (scenario tables, comparisons).

Importing this module inside a kernel also makes the kernel redact registered
secrets from every rich output (`install_output_redaction`), and, in the no-code
app, follow each command of smtpkit a finding names with the app page that does
the same (`smtpkit.render.app_pages`).
"""

from smtpkit.render.app_pages import use_app_pages
from smtpkit.ui.display import (
    Html,
    Panel,
    ReportView,
    ResultView,
    in_voila,
    install_output_redaction,
    message,
    problem_panel,
    show,
)
from smtpkit.ui.evidence import EvidenceForm, hop_timeline, requirements_frame, verdicts_frame
from smtpkit.ui.forms import DomainForm, EmlForm, ServerForm, diagnose_action, domain_action
from smtpkit.ui.inputs import PASSWORD_ENV, ServerInput, password_from_env
from smtpkit.ui.lab import lab_domain_settings, lab_server_settings, lab_zones, scenario_choices
from smtpkit.ui.pictures import certificate_calendar, spf_tree
from smtpkit.ui.portfolio import PortfolioForm
from smtpkit.ui.receiving import ReceivingForm
from smtpkit.ui.reports import ReportsForm
from smtpkit.ui.tools import DkimKeyForm, ExplainForm, PortsForm, SpfRecordForm, SpfTraceForm
from smtpkit.ui.views import (
    MailReport,
    compare_domains,
    compare_scenarios,
    dkim_key_view,
    lab_mailbox,
    lab_overview,
    lab_signed_sample,
    port_matrix,
    presets_table,
    run_report,
    spf_reading,
    spf_trace,
    verify_eml,
)

install_output_redaction()
if in_voila():
    use_app_pages()  # the app: a finding's `smtpkit …` command also names the page that does the same

__all__ = [
    "PASSWORD_ENV",
    "EvidenceForm",
    "hop_timeline",
    "requirements_frame",
    "verdicts_frame",
    "DkimKeyForm",
    "DomainForm",
    "EmlForm",
    "ExplainForm",
    "PortfolioForm",
    "PortsForm",
    "ReceivingForm",
    "ReportsForm",
    "SpfRecordForm",
    "SpfTraceForm",
    "MailReport",
    "Html",
    "Panel",
    "ReportView",
    "ResultView",
    "ServerForm",
    "ServerInput",
    "certificate_calendar",
    "compare_domains",
    "compare_scenarios",
    "diagnose_action",
    "dkim_key_view",
    "domain_action",
    "install_output_redaction",
    "lab_domain_settings",
    "lab_mailbox",
    "lab_overview",
    "lab_signed_sample",
    "lab_server_settings",
    "lab_zones",
    "message",
    "password_from_env",
    "port_matrix",
    "presets_table",
    "problem_panel",
    "run_report",
    "spf_tree",
    "scenario_choices",
    "show",
    "spf_reading",
    "spf_trace",
    "verify_eml",
]
