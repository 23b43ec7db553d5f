"""Where a process pool's processes come from: multiprocessing's fork server, with the audit imported once.

Why not "fork": the parent may have threads and an event loop (a notebook's kernel always has), and a fork
copies their locks as they are, held ones included. Why not "spawn": each process then starts an interpreter
and imports the audit (pyarrow and pandas included), 1-1.3 s of both cores before the first row on a 20 s
run, and tears all of it down at exit (1.5 s of CPU each). The fork server is a fresh single-threaded process
that imports `POOL_PRELOAD` once and forks each pool process ready to run; those end without tearing down.
It lives as long as the process that started it, so a second audit's pool starts in milliseconds (a
notebook re-run). Where there is no fork server (Windows), the pool spawns its processes.
"""

from __future__ import annotations

import multiprocessing
from typing import Any

__all__ = ["POOL_PRELOAD", "pool_context", "start_early"]

#: What a pool process imports to audit (the engine, the domain checks, Arrow for the pieces it sends back):
#: imported once by the fork server rather than by every process as it starts.
POOL_PRELOAD = ("smtpkit.audit.runners", "smtpkit.checks.domain", "pyarrow", "pandas")


def pool_context() -> Any:
    """The multiprocessing context the pool's processes start in: "forkserver" where the system has it, else
    "spawn". The preload list is multiprocessing's, for the whole process: it is set only where nothing else
    has set one (by default it holds `__main__`, the script run, which each process would import anyway)."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    from multiprocessing import forkserver

    if getattr(forkserver._forkserver, "_preload_modules", None) == ["__main__"]:
        forkserver.set_forkserver_preload(["__main__", *POOL_PRELOAD])  # __main__ first, as by default
    return multiprocessing.get_context("forkserver")


def start_early() -> None:
    """Start the fork server now, so that it imports the audit while this process does its own start (the
    command line reading its input, starting the lab), instead of after: the pool's first row comes sooner."""
    if pool_context().get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()
