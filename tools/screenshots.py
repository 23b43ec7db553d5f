#!/usr/bin/env python3
"""Make the README's screenshots of the pictures, from real checks of the practice lab.

    python tools/screenshots.py [--out docs/screenshots] [--chromium /usr/bin/chromium]

Starts a practice lab on loopback, runs the checks each picture is drawn from
(a session with an expired certificate, a domain whose SPF needs 15 lookups,
the lab's healthy domain, the port matrix of the lab's servers, the report
header of the 06_report notebook's lab run), renders each as the notebooks
and the exported report show it (the picture with its words beside it), and
photographs it in headless Chromium (Playwright, no browser download). Nothing
leaves the machine. The dates in the pictures are those of the day it runs.

The forms' screenshots (the two modes, the step strip while a check runs and
once cancelled, the `smtpkit app` start page, 02_tls, 06_report) come from the
real-browser tests, which click through them in JupyterLab and Voilà:
``SMTPKIT_SCREENSHOT_DIR=docs/screenshots pytest -m browser tests/ui tests/cli/test_app.py``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WIDTH = 1100


def pictures(lab: Any) -> dict[str, str]:
    """file name (without .png) -> the HTML of one picture (or the report header)."""
    import smtpkit
    from smtpkit.checks.domain import check_domain
    from smtpkit.render.pictures import certificate_validity, dmarc_alignment, session_strip, spf_include_tree
    from smtpkit.reporting.header import report_header
    from smtpkit.ui.lab import lab_domain_settings, lab_server_settings

    expired_settings = lab_server_settings(lab, "expired_cert", timeout=3)
    expired = expired_settings.diagnose()
    spf = check_domain(lab_domain_settings(lab, "spf-too-many-lookups.test", timeout=8))
    healthy_settings = lab_domain_settings(lab, "smtpkit.test", timeout=8)
    healthy = check_domain(healthy_settings)
    target = lab_server_settings(lab, "submission", timeout=2).target
    names = ("submission", "implicit_tls", "mx", "refusing", "silent")
    labels = {lab.endpoint(n).port: n for n in names if n in lab.names}
    matrix = smtpkit.check_ports(
        target.host, list(labels), timeout=2, cafile=target.cafile, nameservers=target.nameservers
    )
    charts = {
        "picture_steps": session_strip(expired, title="The steps at a glance"),
        "picture_certificate": certificate_validity(expired),
        "picture_spf_tree": spf_include_tree(spf),
        "picture_dmarc_alignment": dmarc_alignment(healthy),
        "picture_ports": matrix.picture(labels),
    }
    out = {name: chart.to_html() for name, chart in charts.items() if chart is not None}
    header = report_header(expired, healthy, expired_settings.target, healthy_settings, practice_lab=True)
    out["report_header"] = header.to_html()
    return out


def photograph(pages: dict[str, str], out: Path, chromium: str) -> list[Path]:
    from playwright.sync_api import sync_playwright

    written = []
    with tempfile.TemporaryDirectory(prefix="smtpkit-shots-") as tmp, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=["--headless", "--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": WIDTH, "height": 800}, device_scale_factor=1)
            for name, markup in pages.items():
                html = Path(tmp) / f"{name}.html"
                html.write_text(
                    '<!DOCTYPE html><html><head><meta charset="utf-8"></head>'
                    f'<body style="margin:12px;background:#fff"><div id="shot">{markup}</div></body></html>',
                    encoding="utf-8",
                )
                page.goto(html.as_uri())
                target = out / f"{name}.png"
                page.locator("#shot").screenshot(path=str(target))
                written.append(target)
        finally:
            browser.close()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots", help="where to write the PNGs")
    parser.add_argument("--chromium", default="/usr/bin/chromium", help="the Chromium to drive")
    args = parser.parse_args(argv)
    if not Path(args.chromium).exists():
        print(f"no Chromium at {args.chromium} (apt-get install chromium, or --chromium PATH)", file=sys.stderr)
        return 2
    from smtpkit.lab import Lab

    args.out.mkdir(parents=True, exist_ok=True)
    with Lab() as lab:
        pages = pictures(lab)
    for path in photograph(pages, args.out, args.chromium):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
