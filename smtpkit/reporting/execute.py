"""Run a notebook headless, with parameters, and hand back a notebook that is safe to keep.

This is what `smtpkit report` and the test-suite use instead of papermill:
nbclient executes the cells in a fresh kernel, the parameters arrive through
an ``injected-parameters`` cell, and secrets arrive through the kernel's
environment only. Whatever happens, the notebook we return has had its widget
state removed and every registered secret redacted, so a caller cannot write a
password to disk by accident.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from smtpkit.reporting.parameters import inject_parameters
from smtpkit.reporting.scrub import redact_notebook, strip_widget_state
from smtpkit.secrets import Secret, redact


@dataclass(frozen=True)
class CellError:
    """A cell that raised: which one, and the (redacted) exception it showed."""

    index: int
    ename: str
    evalue: str
    source: str

    def __str__(self) -> str:
        first = self.source.strip().splitlines()[0] if self.source.strip() else ""
        return f"cell {self.index} ({first[:60]}): {self.ename}: {self.evalue}"


@dataclass
class NotebookRun:
    """An executed notebook and what went wrong in it, if anything."""

    notebook: nbformat.NotebookNode
    errors: list[CellError] = field(default_factory=list)
    elapsed_s: float = 0.0
    aborted: str = ""

    @property
    def ok(self) -> bool:
        return not self.errors and not self.aborted


def _load(source: str | os.PathLike[str] | nbformat.NotebookNode) -> tuple[nbformat.NotebookNode, Path | None]:
    if isinstance(source, nbformat.NotebookNode):
        return nbformat.from_dict(dict(source)), None
    path = Path(source)
    return nbformat.read(path, as_version=4), path


def kernel_environment(
    env: Mapping[str, str] | None = None, secret_env: Mapping[str, Secret | None] | None = None
) -> dict[str, str]:
    """The kernel's environment: ours, plus `env`, plus secrets revealed only here."""
    out = dict(os.environ)
    out.update({k: str(v) for k, v in (env or {}).items()})
    for name, secret in (secret_env or {}).items():
        if secret:
            out[name] = secret.reveal()
        else:
            out.pop(name, None)
    # A kernel started for a headless run must not try to reach a display or the network for plots.
    out.setdefault("MPLBACKEND", "Agg")
    out["SMTPKIT_HEADLESS"] = "1"
    return out


def _collect_errors(nb: nbformat.NotebookNode) -> list[CellError]:
    errors: list[CellError] = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                errors.append(CellError(i, out.get("ename", ""), redact(str(out.get("evalue", ""))), cell.source))
    return errors


def execute_notebook(
    source: str | os.PathLike[str] | nbformat.NotebookNode,
    parameters: Mapping[str, Any] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    secret_env: Mapping[str, Secret | None] | None = None,
    cell_timeout: float = 120.0,
    startup_timeout: float = 60.0,
    cwd: str | os.PathLike[str] | None = None,
    kernel_name: str | None = None,
    strict_parameters: bool = True,
    scrub: bool = True,
) -> NotebookRun:
    """Execute every cell; errors are recorded (not raised) so a report is still produced.

    `cell_timeout` bounds each cell: a notebook whose cell hangs is stopped and
    reported, never left running. `cwd` defaults to the notebook's folder so
    relative paths in the notebook (sample files) work as in JupyterLab.
    `scrub=False` returns exactly what the kernel produced, widget state
    included: only for tests that prove the kernel itself leaks nothing.
    """
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    nb, path = _load(source)
    if parameters:
        inject_parameters(nb, parameters, strict=strict_parameters)
    workdir = Path(cwd) if cwd is not None else (path.parent if path else Path.cwd())
    name = kernel_name or nb.metadata.get("kernelspec", {}).get("name") or "python3"
    from jupyter_client.manager import AsyncKernelManager

    # IPC (unix sockets in a private runtime folder) rather than loopback TCP:
    # other local users cannot connect to the kernel that holds the password.
    ipc_dir = tempfile.mkdtemp(prefix="smtpkit-kernel-")  # 0700: only we can reach the sockets
    km = AsyncKernelManager(kernel_name=name, transport="ipc", ip=os.path.join(ipc_dir, "kernel"))
    client = NotebookClient(
        nb,
        km=km,
        timeout=cell_timeout,
        startup_timeout=int(startup_timeout),
        kernel_name=name,
        allow_errors=True,
        record_timing=False,
        resources={"metadata": {"path": str(workdir)}},
    )
    started = time.monotonic()
    aborted = ""
    try:
        # The kernel's own log lines ("Parent appears to have exited") are noise for a report's
        # reader; what a cell says is in its outputs, and a dying kernel raises DeadKernelError.
        client.execute(
            # A NotebookClient leaves a kernel manager it was given running (it may be the caller's
            # to reuse); ours is not, so the kernel is asked to shut down at the end. Left running, it
            # held the password in its environment and a practice lab's ports until our own process
            # ended, and then died without its exit handlers: the lab's folder, CA key included,
            # stayed behind in the temp folder.
            cleanup_kc=True,
            env=kernel_environment(env, secret_env),
            cwd=str(workdir),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    except CellTimeoutError as exc:
        aborted = redact(f"a cell ran longer than {cell_timeout:g} s and was stopped: {exc}")
    except DeadKernelError as exc:
        aborted = redact(f"the kernel died while running the notebook: {exc}")
    finally:
        shutil.rmtree(ipc_dir, ignore_errors=True)
    run = NotebookRun(nb, _collect_errors(nb), time.monotonic() - started, aborted)
    if scrub:
        strip_widget_state(nb)
        redact_notebook(nb)
    return run
