"""Headless execution, parameter injection, scrubbing and the offline HTML export, on small notebooks."""

from __future__ import annotations

import base64

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from smtpkit.reporting import (
    INJECTED_TAG,
    ParameterError,
    clear_notebook,
    declared_parameters,
    execute_notebook,
    external_resources,
    inject_parameters,
    is_clean,
    notebook_to_html,
    strip_widget_state,
)
from smtpkit.reporting.scrub import WIDGET_STATE, WIDGET_VIEW
from smtpkit.secrets import Secret


def _nb(*cells):
    nb = new_notebook(cells=list(cells))
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def _params_cell(source: str):
    cell = new_code_cell(source)
    cell.metadata["tags"] = ["parameters"]
    return cell


def test_parameters_are_injected_after_the_tagged_cell():
    nb = _nb(
        new_markdown_cell("# t"), _params_cell("host = None\nport = 587\nselectors = ['a']"), new_code_cell("x = 1")
    )
    assert declared_parameters(nb) == {"host": None, "port": 587, "selectors": ["a"]}
    inject_parameters(nb, {"host": "smtp.example.com", "selectors": ("s1", "s2")})
    injected = nb.cells[2]
    assert injected.metadata["tags"] == [INJECTED_TAG]
    assert "host = 'smtp.example.com'" in injected.source
    assert "selectors = ['s1', 's2']" in injected.source
    # injecting again replaces, never stacks
    inject_parameters(nb, {"port": 25})
    assert sum(INJECTED_TAG in c.metadata.get("tags", []) for c in nb.cells) == 1
    assert "port = 25" in nb.cells[2].source and "host" not in nb.cells[2].source


@pytest.mark.parametrize(
    "params, message",
    [
        ({"hots": "x"}, "no parameter 'hots'"),
        ({"host": Secret("pw-in-a-cell")}, "environment variable"),
        ({"host": object()}, "plain literal"),
        ({"class": 1}, "not a valid parameter name"),
    ],
)
def test_bad_parameters_are_refused(params, message):
    nb = _nb(_params_cell("host = None"))
    with pytest.raises(ParameterError, match=message):
        inject_parameters(nb, params)


def test_a_notebook_without_parameters_cell_is_refused():
    with pytest.raises(ParameterError, match="tagged 'parameters'"):
        inject_parameters(_nb(new_code_cell("x = 1")), {"x": 2})


def test_hostile_string_values_stay_strings():
    nb = _nb(_params_cell("host = None"))
    inject_parameters(nb, {"host": "x'); import os; os.system('true'); ('"})
    ns: dict = {}
    exec(nb.cells[1].source, ns)  # noqa: S102 - proving the injected cell is one harmless assignment
    assert ns["host"] == "x'); import os; os.system('true'); ('"


def _widget_nb():
    nb = _nb(
        new_code_cell(
            "form",
            outputs=[
                new_output(
                    "display_data", data={WIDGET_VIEW: {"model_id": "abc"}, "text/plain": "Password(value='leak')"}
                )
            ],
        )
    )
    nb.metadata["widgets"] = {WIDGET_STATE: {"state": {"abc": {"state": {"value": "leak"}}}}}
    nb.cells[0].execution_count = 3
    nb.cells[0].metadata["execution"] = {"iopub.status.busy": "2024"}
    return nb


def test_widget_state_and_views_are_scrubbed():
    nb = strip_widget_state(_widget_nb())
    assert "widgets" not in nb.metadata
    data = nb.cells[0].outputs[0].data
    assert WIDGET_VIEW not in data and "leak" not in str(data)


def test_clear_notebook_is_the_committed_form():
    nb = _widget_nb()
    assert is_clean(nb)  # lists problems
    clear_notebook(nb)
    assert is_clean(nb) == []
    assert nb.cells[0].outputs == [] and nb.cells[0].execution_count is None


def test_html_export_needs_no_network_and_escapes():
    nb = _nb(
        new_markdown_cell("# Report\n\nSome $x$ math."),
        new_code_cell(
            "r",
            outputs=[
                new_output(
                    "display_data",
                    data={"text/html": "<table><tr><td>&lt;script&gt;</td></tr></table>", "text/plain": "t"},
                )
            ],
        ),
    )
    html = notebook_to_html(nb)
    assert external_resources(html) == []
    assert "<table>" in html and "&lt;script&gt;" in html
    assert "require.js" not in html and "mathjax" not in html.lower().replace("mathjax_", "")


def test_external_resources_finds_what_a_page_would_fetch():
    page = (
        '<script src="https://cdn.example/x.js"></script><link rel="stylesheet" href="//cdn.example/a.css">'
        '<style>@import url("https://fonts.example/f.css"); .a{background:url(http://x.example/i.png)}</style>'
        '<a href="https://docs.example/">a link to read is fine</a><script>var inline = 1;</script>'
    )
    found = external_resources(page)
    assert len(found) == 4, found


def test_execute_injects_parameters_and_passes_secrets_by_environment(tmp_path):
    secret = Secret("exec-test-password-77")
    nb = _nb(
        _params_cell("greeting = 'hello'\npassword_env = 'SMTPKIT_PASSWORD'"),
        new_code_cell("import os\nprint(greeting, len(os.environ[password_env]))"),
        new_code_cell("print(os.environ[password_env])  # a careless cell"),
        new_code_cell("raise ValueError('bad input ' + os.environ[password_env])"),
    )
    path = tmp_path / "t.ipynb"
    nbformat.write(nb, path)
    run = execute_notebook(path, {"greeting": "bonjour"}, secret_env={"SMTPKIT_PASSWORD": secret}, cell_timeout=60)
    text = nbformat.writes(run.notebook)
    assert "bonjour 21" in text
    assert secret.reveal() not in text and base64.b64encode(secret.reveal().encode()).decode() not in text
    assert not run.ok and len(run.errors) == 1
    assert run.errors[0].ename == "ValueError" and secret.reveal() not in str(run.errors[0])


def test_execute_stops_a_hanging_cell(tmp_path):
    import os

    nb = _nb(
        _params_cell("x = 1"),
        new_code_cell("import os\nprint(os.getpid())"),
        new_code_cell("import time\ntime.sleep(60)"),
    )
    run = execute_notebook(nb, cell_timeout=3, cwd=tmp_path)
    assert run.aborted and "3 s" in run.aborted
    assert not run.ok
    pid = run.notebook.cells[-2].outputs[0]["text"].strip()
    assert not os.path.exists(f"/proc/{pid}"), "the kernel still runs the hanging cell"


def test_the_kernel_stops_with_its_exit_handlers_run(tmp_path):
    """A kernel left running holds the password and a lab's ports; killed later, its lab's folder stays."""
    import os
    import time

    nb = _nb(
        _params_cell("x = 1"),
        new_code_cell(
            "import os\nfrom smtpkit.lab import Lab\nlab = Lab(dns=False)\nlab.start()\n"
            "print(os.getpid(), lab._workdir)"
        ),
    )
    run = execute_notebook(nb, cell_timeout=60, cwd=tmp_path)
    assert run.ok, run.errors
    pid, workdir = run.notebook.cells[-1].outputs[0]["text"].split()
    deadline = time.monotonic() + 5  # the shutdown has ended when execute_notebook returns; a margin for the reaper
    while time.monotonic() < deadline and os.path.exists(f"/proc/{pid}"):
        time.sleep(0.1)
    assert not os.path.exists(f"/proc/{pid}"), "the kernel is still running"
    assert not os.path.exists(workdir), "the lab in the kernel was not stopped: its folder (CA key included) stays"


def test_interactive_cells_are_left_out_of_the_export():
    form_cell = new_code_cell("form", outputs=[new_output("stream", text="INTERACTIVE-ONLY")])
    form_cell.metadata["tags"] = ["interactive"]
    nb = _nb(
        new_markdown_cell("# Report"), new_code_cell("1", outputs=[new_output("stream", text="KEPT-OUTPUT")]), form_cell
    )
    html = notebook_to_html(nb)
    assert "KEPT-OUTPUT" in html and "INTERACTIVE-ONLY" not in html
