"""Headless notebook runs and shareable reports.

* `execute_notebook(path, parameters, secret_env=...)`: run a notebook in a
  fresh kernel with papermill-style injected parameters; returns a
  `NotebookRun` whose notebook is already scrubbed of widget state and secrets.
* `notebook_to_html(nb)` / `write_html(nb, path)`: an offline HTML export.
* `external_resources(html)`: what such a page would fetch from elsewhere
  (empty for our exports).
* `clear_notebook(nb)` / `is_clean(nb)`: the committed form of a notebook.
* `scorecard(server_report, domain_report)`: the best-practices scorecard.
* `summarize(server_report, domain_report)`: the report's summary (verdict, what to
  fix first, the score); `read_summary(path)` reads one a report run wrote.
"""

from smtpkit.reporting.execute import CellError, NotebookRun, execute_notebook, kernel_environment
from smtpkit.reporting.export import external_resources, html_exporter, notebook_to_html, write_html
from smtpkit.reporting.notebooks import NOTEBOOKS, notebook_path, notebooks_dir
from smtpkit.reporting.parameters import (
    INJECTED_TAG,
    PARAMETERS_TAG,
    ParameterError,
    declared_parameters,
    inject_parameters,
)
from smtpkit.reporting.scorecard import Practice, Scorecard, scorecard
from smtpkit.reporting.scrub import clear_notebook, is_clean, redact_notebook, strip_widget_state
from smtpkit.reporting.summary import Failure, Summary, read_summary, summarize

__all__ = [
    "INJECTED_TAG",
    "NOTEBOOKS",
    "PARAMETERS_TAG",
    "CellError",
    "Failure",
    "NotebookRun",
    "ParameterError",
    "Practice",
    "Scorecard",
    "Summary",
    "clear_notebook",
    "declared_parameters",
    "execute_notebook",
    "external_resources",
    "html_exporter",
    "inject_parameters",
    "is_clean",
    "kernel_environment",
    "notebook_path",
    "notebook_to_html",
    "notebooks_dir",
    "read_summary",
    "redact_notebook",
    "scorecard",
    "strip_widget_state",
    "summarize",
    "write_html",
]
