"""Log records of the kit, redacted where they are made: the logging half of `smtpkit.secrets`.

Kept apart from the redactor so that registering a secret does not import
`logging` (with traceback, textwrap and string: about 8 ms of a command-line
start that logs nothing); `smtpkit.secrets` installs this the moment `logging`
is loaded, or at once when it already is.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from smtpkit.secrets import redact


def _redact_record(record: logging.LogRecord) -> None:
    """Render the record's message, redacted, in place (args folded in, the traceback text too)."""
    try:
        message = record.getMessage()
    except Exception:  # a bad format string must not break logging
        message = str(record.msg)
    record.msg = redact(message)
    record.args = None
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.exc_info = None
    if record.exc_text:
        record.exc_text = redact(record.exc_text)


class RedactingFilter(logging.Filter):
    """A logging filter that redacts the rendered message before any handler sees it.

    A logger's filters see only what is logged on that very logger, not what
    its children propagate; `install_log_redaction` therefore redacts where
    records are made, and this filter stays for handlers and loggers outside
    the kit that want it.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        _redact_record(record)
        return True


_REDACTED_LOGGERS: set[str] = set()
_factory_lock = threading.Lock()


def _redacts(name: str) -> bool:
    return any(name == n or name.startswith(n + ".") for n in _REDACTED_LOGGERS)


def install_log_redaction(logger_name: str = "smtpkit") -> None:
    """Redact what `logger_name` and every logger below it log (idempotent).

    Registering a secret does it for "smtpkit" (once `logging` is loaded: see
    `smtpkit.secrets`). The redaction happens where the record is made (a
    wrapper around the logging module's record factory), so a record of
    ``smtpkit.evidence`` or ``smtpkit.lab.dns_server`` is redacted before any
    handler anywhere sees it: a filter on the "smtpkit" logger would not see
    its children's records.
    """
    with _factory_lock:
        if logger_name in _REDACTED_LOGGERS:
            return
        first = not _REDACTED_LOGGERS
        _REDACTED_LOGGERS.add(logger_name)
        if first:
            base = logging.getLogRecordFactory()

            def make(*args: Any, **kwargs: Any) -> logging.LogRecord:
                record = base(*args, **kwargs)
                if _redacts(record.name):
                    _redact_record(record)
                return record

            logging.setLogRecordFactory(make)
