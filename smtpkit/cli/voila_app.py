"""Voilà as `smtpkit app` runs it: the notebooks without the text meant for JupyterLab only.

The notebooks speak to two readers. In JupyterLab one sets `domains_file` in the parameters cell, stops a long
run with the stop button and runs the notebook again; in the app (Voilà) no cell can be edited or run again,
and the forms do that work. A markdown cell tagged `jupyterlab-only` (in its metadata, as JupyterLab's
property inspector sets tags) says what only JupyterLab can do; the app drops it before the page is rendered,
through Voilà's `prelaunch_hook`, so a person without code is never told to edit a cell they cannot see. A code
cell may be tagged too when it only shows a value for someone who reads DataFrames (notebook 08's raw tables:
a truncated 42-column table in the app); such a cell is one expression, so nothing later depends on it.

Run as ``python -m smtpkit.cli.voila_app NOTEBOOK_DIR [voila options]``, with the options of ``voila``.
"""

from __future__ import annotations

import sys
from typing import Any

from smtpkit.cli.csp import CONTENT_SECURITY_POLICY

#: The cell tag for text that only a JupyterLab reader can act on.
LAB_ONLY = "jupyterlab-only"


def without_lab_only(notebook: Any) -> Any:
    """`notebook` (an nbformat node) without its cells tagged `LAB_ONLY`."""
    notebook.cells = [c for c in notebook.cells if LAB_ONLY not in (c.get("metadata", {}).get("tags") or [])]
    return notebook


def prelaunch(request: Any, notebook: Any, cwd: str) -> Any:
    """Voilà's `prelaunch_hook`: called with each notebook before its kernel runs it (and before the page's
    first byte is sent, so a cookie set here goes out with it)."""
    give_xsrf_cookie(request)
    return without_lab_only(notebook)


def give_xsrf_cookie(handler: Any) -> None:
    """Set the page's `_xsrf` cookie, which Voilà's page needs to stop its kernel when it is left.

    On `beforeunload` the page posts its kernel's shutdown with the `_xsrf` cookie's value, but Voilà's page
    never sets that cookie (voila-dashboards/voila#1458), so every shutdown was refused (403) and each page
    left a kernel running until the culler came (a helper counted 15, 145-235 MB each). Tornado sets the
    cookie when a handler first reads its `xsrf_token`; the check of the POST itself is kept.
    """
    try:
        _ = handler.xsrf_token
    except Exception:  # noqa: BLE001 - no handler (a test) or headers already sent: the culler still stops it
        return


def main(argv: list[str] | None = None) -> None:
    from traitlets.config import Config
    from voila.app import Voila

    config = Config()
    config.VoilaConfiguration.prelaunch_hook = prelaunch
    config.Voila.tornado_settings = {"headers": {"Content-Security-Policy": CONTENT_SECURITY_POLICY}}  # no CDN
    Voila.launch_instance(argv=sys.argv[1:] if argv is None else argv, config=config)


if __name__ == "__main__":
    main()
