"""The exceptions smtpkit raises, all under one root so a caller can catch the kit's own errors.

Most of what goes wrong in mail is *not* an exception here: a refused login, an
expired certificate or a missing DNS record is a diagnosis, returned as a
`Finding` in a `Report`. Exceptions are kept for what a check cannot turn into
a finding: settings that cannot be checked as given (a host with a space in it,
a port of 99999), and misuse of the API. Bad settings raise `InvalidSettings`
from every entry point alike (`diagnose`, `check_domain`, `check_ports`, the
notebook forms and the CLI, which prints the message and exits 2), and its
message always names the field and what to type instead.

The tree::

    Exception
     └── SmtpkitError                  every error the kit raises on purpose
          ├── InvalidSettings          (also a ValueError) a setting that cannot be checked as given;
          │                            .field names it ("host", "port", "timeout", ...)
          ├── UnreadableInput          (also a ValueError) a file or text that is not what the
          │                            command reads (not an e-mail message, not a report)
          └── Cancelled                the person who started a check stopped it
                                       (`smtpkit.progress.Progress.cancel`); nothing was concluded
    KeyboardInterrupt
     └── Interrupted                   a long run (`smtpkit.audit` with `out`) stopped by Ctrl-C or the
                                       notebook's stop button; its message says what was saved and how to
                                       continue. Still a KeyboardInterrupt: a script stops as it always did

`InvalidSettings` subclasses `ValueError` so that code written against the
standard library's conventions (``except ValueError``) keeps working.
"""

from __future__ import annotations

__all__ = ["Cancelled", "Interrupted", "InvalidSettings", "SmtpkitError", "UnreadableInput"]


class SmtpkitError(Exception):
    """The root of every exception smtpkit raises on purpose."""

    def _render_traceback_(self) -> list[str]:
        """What a notebook cell (IPython) shows for it: the message alone, which names the field and the fix.

        Raised on purpose, its traceback runs through the kit's own code and tells a person whose mail does not
        send nothing they can act on; IPython shows these lines instead of it. (Outside IPython, nothing
        changes: the CLI prints the message, and Python shows the usual traceback.)
        """
        return [f"{type(self).__name__}: {self}"]


class InvalidSettings(SmtpkitError, ValueError):
    """A setting that cannot be checked as given; the message names the field and the fix.

    `field` is the setting's name as the user sees it in the forms and the
    Python API ("host", "port", "timeout", "mail_from", ...), or "" when the
    problem is the combination of several settings.
    """

    def __init__(self, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.field = field
        #: The other settings refused at the same time (`smtpkit.settings.Refusals`): the message is the first
        #: refusal's, as before, and a form marks these fields too, so one Run shows all that is wrong.
        self.also: tuple[InvalidSettings, ...] = ()


class UnreadableInput(SmtpkitError, ValueError):
    """Input that is not what the command reads: not an e-mail message, not a DMARC report, not a reply."""


class Cancelled(SmtpkitError):
    """A check stopped by the person who started it (a Cancel button, `Progress.cancel`); nothing was concluded."""


class Interrupted(KeyboardInterrupt):
    """A long run stopped part-way by its person, whose message says what was kept and how to continue.

    A KeyboardInterrupt still (so nothing that stops on Ctrl-C changes), but a notebook shows the message alone:
    the traceback of an interrupted event loop above it said nothing a person could use and hid the one line
    that did.
    """

    def _render_traceback_(self) -> list[str]:
        return [f"Stopped: {self}"]
