"""Make a notebook safe and tidy to share or commit.

Three jobs, each a pure function on an `nbformat` notebook:

* `strip_widget_state`: remove saved ipywidgets state (``metadata.widgets``) and
  replace widget views in outputs by a short note. Widget state is the one
  place a value typed into a form could survive a save, and a widget view
  without its state only renders as an error for whoever opens the file.
* `redact_notebook`: pass every output and metadata string through the secret
  redactor, as a last line of defence before anything is written to disk.
* `clear_notebook`: what the repository keeps: no outputs, no execution counts,
  no run timings, no widget state (`tools/clean_notebooks.py` applies it).
"""

from __future__ import annotations

from typing import Any

import nbformat

from smtpkit.secrets import redact_value

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"

FORM_NOTE_TEXT = "[interactive settings form: open this notebook in JupyterLab and run it to use the form]"
FORM_NOTE_HTML = (
    '<p style="color:#57606a;font-style:italic">Interactive settings form: open this notebook in '
    "JupyterLab and run it to use the form.</p>"
)

# Cell metadata that only records one run on one machine.
_RUN_METADATA = ("execution", "collapsed", "scrolled")
# Of a cell's "jupyter" metadata, what is authored rather than run state: code hidden on purpose (the start
# page shows forms, not Python). Everything else there (outputs_hidden, ...) records one session.
_AUTHORED_JUPYTER = frozenset({"source_hidden"})


def _keep_authored_jupyter(metadata: Any) -> None:
    shown = metadata.get("jupyter")
    if shown is None:
        return
    kept = {k: v for k, v in dict(shown).items() if k in _AUTHORED_JUPYTER and v}
    if kept:
        metadata["jupyter"] = kept
    else:
        metadata.pop("jupyter", None)


def strip_widget_state(nb: nbformat.NotebookNode, *, replace_views: bool = True) -> nbformat.NotebookNode:
    """Drop saved widget state; optionally turn widget views into a plain note."""
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            data = out.get("data")
            if not data or WIDGET_VIEW not in data:
                continue
            if replace_views:
                out["data"] = {"text/plain": FORM_NOTE_TEXT, "text/html": FORM_NOTE_HTML}
            else:
                # keep the view reference, but not a text form that could show widget values
                data["text/plain"] = FORM_NOTE_TEXT
    return nb


def _redact_outputs(outputs: list[Any]) -> None:
    for out in outputs:
        if "data" in out:
            for mime, value in list(out["data"].items()):
                # images are opaque base64 data: redacting them could only corrupt them
                if not mime.startswith("image/"):
                    out["data"][mime] = redact_value(value)
        if "text" in out:
            out["text"] = redact_value(out["text"])
        if "traceback" in out:
            out["traceback"] = redact_value(list(out["traceback"]))
        if "evalue" in out:
            out["evalue"] = redact_value(out["evalue"])


def redact_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Remove every registered secret (all encodings) from outputs, sources and metadata."""
    for cell in nb.cells:
        cell["source"] = redact_value(cell.get("source", ""))
        cell["metadata"] = nbformat.from_dict(redact_value(dict(cell.get("metadata", {}))))
        if cell.cell_type == "code":
            _redact_outputs(cell.get("outputs", []))
    nb["metadata"] = nbformat.from_dict(redact_value(dict(nb.metadata)))
    return nb


def clear_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The committed form of a notebook: sources and tags only."""
    strip_widget_state(nb)
    for cell in nb.cells:
        for key in _RUN_METADATA:
            cell.metadata.pop(key, None)
        _keep_authored_jupyter(cell.metadata)
        if cell.cell_type == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
    nb.metadata.pop("papermill", None)
    return nb


def is_clean(nb: nbformat.NotebookNode) -> list[str]:
    """Why a notebook is not in its committed form (empty list: it is clean)."""
    problems: list[str] = []
    if "widgets" in nb.metadata:
        problems.append("notebook metadata holds saved widget state (metadata.widgets)")
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        if cell.get("outputs"):
            problems.append(f"cell {i} has saved outputs")
        if cell.get("execution_count") is not None:
            problems.append(f"cell {i} has an execution count")
        for key in _RUN_METADATA:
            if key in cell.metadata:
                problems.append(f"cell {i} has run metadata {key!r}")
        extra = set(dict(cell.metadata.get("jupyter") or {})) - _AUTHORED_JUPYTER
        if extra:
            problems.append(f"cell {i} has run metadata 'jupyter' ({', '.join(sorted(extra))})")
    return problems
