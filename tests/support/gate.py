"""The gate "every catalogue code is produced by a check": which findings count, and which codes are missing.

A code counts only when a Finding with it reaches a `Step` or a `Report` and
the code attaching it lives in the `smtpkit` package: a check, a probe, the
CLI, a lab scenario. A test that builds a finding itself (the catalogue test
makes one of every code) proves nothing about whether the kit can diagnose it,
so what test code attaches does not count. `smtpkit.model` calls the
listener (`_attach_listeners`) on every attachment; the caller is read from the
stack, skipping the model's own frames and the `__init__` every record shares (`smtpkit.record`).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import FrameType

import smtpkit
from smtpkit import model, record
from smtpkit.model import Finding

PACKAGE = Path(smtpkit.__file__).resolve().parent
_PASS_THROUGH = {str(Path(p).resolve()) for p in (model.__file__, record.__file__, __file__)}


def caller_file(frame: FrameType | None = None) -> str:
    """The file of the first frame that is not the model, this gate or a record's shared __init__."""
    f = frame or sys._getframe(1)
    while f is not None:
        name = f.f_code.co_filename
        resolved = name if name.startswith("<") else str(Path(name).resolve())
        if resolved not in _PASS_THROUGH:
            return resolved
        f = f.f_back  # type: ignore[assignment]
    return "<unknown>"


def is_product(path: str) -> bool:
    """True for a file of the smtpkit package (checks, probes, CLI, lab), False for tests and everything else."""
    if path.startswith("<"):
        return False
    return Path(path).resolve().is_relative_to(PACKAGE)


class CodeGate:
    """Collects the codes the kit itself produced; `missing()` is what the suite must still prove."""

    def __init__(self) -> None:
        self.produced: set[str] = set()
        self.only_by_tests: set[str] = set()

    def record(self, codes: Iterable[str], where: str) -> None:
        if is_product(where):
            self.produced.update(codes)
        else:
            self.only_by_tests.update(codes)

    def listener(self, findings: Sequence[Finding]) -> None:
        self.record((f.code for f in findings), caller_file())

    def missing(self, catalogue_codes: Iterable[str]) -> list[str]:
        """Catalogue codes the kit never produced in this run: the gate fails while this is not empty."""
        return sorted(set(catalogue_codes) - self.produced)

    def install(self) -> None:
        model._attach_listeners.append(self.listener)

    def uninstall(self) -> None:
        if self.listener in model._attach_listeners:
            model._attach_listeners.remove(self.listener)
