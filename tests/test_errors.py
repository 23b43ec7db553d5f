"""What a notebook cell shows for the kit's own errors: the message alone, not a traceback through the kit."""

from __future__ import annotations

import pytest

from smtpkit.errors import Interrupted, InvalidSettings


@pytest.mark.parametrize(
    ("raised", "shown"),
    [
        ("InvalidSettings('port: 99999 is not a port', field='port')", "InvalidSettings: port: 99999 is not a port"),
        ("Interrupted('3 chunk(s) are saved in r.parquet')", "Stopped: 3 chunk(s) are saved in r.parquet"),
    ],
)
def test_a_cell_that_raises_one_shows_its_message_alone(raised: str, shown: str) -> None:
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    shell = InteractiveShell.instance()
    shell.user_ns.update(InvalidSettings=InvalidSettings, Interrupted=Interrupted)
    with capture_output() as captured:
        result = shell.run_cell(f"def run():\n    raise {raised}\nrun()")
    assert result.error_in_exec is not None
    text = captured.stdout + captured.stderr
    assert shown in text and "Traceback" not in text and "run()" not in text, text


def test_an_interrupted_run_is_still_a_keyboard_interrupt() -> None:
    """Code that stops on Ctrl-C (a script's `except KeyboardInterrupt`, the CLI's exit 130) is unchanged."""
    assert issubclass(Interrupted, KeyboardInterrupt) and not issubclass(Interrupted, Exception)
