"""Where the kit's notebooks live, by name.

In a checkout (and an editable install) they are the repository's
``notebooks/`` folder next to the package; a wheel installs them as data files
under ``<prefix>/share/smtpkit/notebooks``; ``SMTPKIT_NOTEBOOKS`` points
elsewhere (a copy you edited).
"""

from __future__ import annotations

import os
import sysconfig
from pathlib import Path

NOTEBOOKS = (
    "00_start_here",
    "01_connection",
    "02_tls",
    "03_auth",
    "04_send",
    "05_spf_dkim_dmarc",
    "06_report",
    "07_message",
    "08_dmarc_reports",
    "09_inbound_and_reputation",
    "10_portfolio_audit",
)


def notebook_dir_candidates() -> list[Path]:
    """Where the notebooks may be, in order: the checkout, inside the package, the wheel's data files."""
    here = Path(__file__).resolve().parent.parent  # the smtpkit package
    return [
        here.parent / "notebooks",
        here / "notebooks",
        Path(sysconfig.get_path("data")) / "share" / "smtpkit" / "notebooks",
    ]


def notebooks_dir() -> Path:
    env = os.environ.get("SMTPKIT_NOTEBOOKS")
    if env:
        return Path(env)
    candidates = notebook_dir_candidates()
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        "smtpkit's notebooks were not found (looked in "
        + ", ".join(str(c) for c in candidates)
        + "); set SMTPKIT_NOTEBOOKS to the folder that holds them"
    )


def notebook_path(name: str) -> Path:
    """The path of a notebook by its name, with or without ``.ipynb`` (``06_report``)."""
    stem = name[:-6] if name.endswith(".ipynb") else name
    path = notebooks_dir() / f"{stem}.ipynb"
    if not path.is_file():
        raise FileNotFoundError(f"notebook {stem!r} not found in {path.parent}")
    return path
