"""`smtpkit app`: the notebooks as web apps (Voilà), with the practice lab running, behind a token.

The browser test (tests/ui/test_browser.py) checks that 00_start_here's form is
visible without pressing anything; here, the command itself: its JSON, the
start page served with the token and refused without it, the lab it starts,
and a clean stop.
"""

from __future__ import annotations

import importlib.util
import json
import signal
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from smtpkit.cli import main
from smtpkit.lab import load_state
from tests.cli.test_lab import Lines, start, stop


def test_smtpkit_app_serves_the_start_page_with_the_lab(tmp_path):
    if importlib.util.find_spec("voila") is None:
        pytest.skip("Voilà is not installed in this environment (pip install voila)")
    env = {
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTER_DATA_DIR": str(tmp_path / "data"),
    }
    proc = start(["app", "--no-browser", "--port", "0", "--json"], env=env)
    lines = Lines(proc)
    try:
        doc = json.loads(lines.next(120))
        assert lines.next(10) == "READY"
        app = doc["app"]
        assert app["url"].startswith(f"http://127.0.0.1:{app['port']}/voila/render/00_start_here.ipynb?token=")
        info, why = load_state(doc["state_file"])
        assert info is not None, why  # the lab is running, and kernels find it through SMTPKIT_LAB_STATE
        assert info.password.reveal() not in json.dumps(doc)
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(app["url"], timeout=120) as resp:
            page = resp.read().decode("utf-8", "replace")
        assert resp.status == 200 and "Start here" in page
        assert "ensure_running" not in page  # code hidden: only the outputs
        bare = app["url"].split("?", 1)[0]
        try:  # without the token: the login page (another user of this machine cannot use the app)
            with opener.open(bare, timeout=30) as resp:
                assert "login" in resp.geturl() and "Start here" not in resp.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            assert exc.code in (401, 403)
        assert Path(app["notebooks"]).name == "notebooks"
    finally:
        code, _ = stop(proc, signal.SIGINT, timeout=40)
    assert code == 0


def test_app_usage_errors(capsys, tmp_path):
    assert main(["app", "--port", "70000"]) == 2
    assert "out of range" in capsys.readouterr().err
    assert main(["app", "--notebooks", str(tmp_path)]) == 2
    assert "00_start_here" in capsys.readouterr().err
