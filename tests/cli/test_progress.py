"""Per-step progress lines on stderr while a command checks (issue 9: a silent server showed nothing for 16 s)."""

from __future__ import annotations

import io
import json
import threading
import time

from smtpkit.cli import main
from smtpkit.cli.progress import ProgressLines
from smtpkit.progress import EventRelay, Progress, StepEvent, follow_events


def test_check_of_a_silent_server_says_which_step_waits_and_for_how_long(lab, capsys):
    code = main(["check", "--lab", "silent", "--timeout", "1.5"])
    out = capsys.readouterr()
    assert code == 1
    assert "smtpkit check:" in out.err and "at most 9 s" in out.err
    assert "✓ connect: connected to" in out.err
    assert "… banner: waiting for the greeting (at most 1.5 s)" in out.err
    assert "✘ banner:" in out.err
    assert "waiting for the greeting" not in out.out and "banner.timeout" in out.out


def test_json_output_has_no_progress_at_all(lab, capsys):
    code = main(["check", "--lab", "expired_cert", "--timeout", "3", "--json"])
    out = capsys.readouterr()
    assert code == 1
    json.loads(out.out)  # exactly one document
    assert "✓" not in out.err and "at most" not in out.err


def test_domain_check_lines(lab, capsys):
    main(["domain", "spf-plus-all.test", "--lab"])
    err = capsys.readouterr().err
    assert "smtpkit domain: spf-plus-all.test" in err and "✘ spf:" in err and "✓ mx:" in err


def test_server_text_in_a_summary_reaches_the_terminal_escaped():
    stream = io.StringIO()
    lines = ProgressLines(stream, live=False)
    lines.event(StepEvent("banner", "fail", summary="greeting: 220 \x1b[2Jowned\r"))
    assert "\x1b" not in stream.getvalue() and "owned" in stream.getvalue()


def test_a_terminal_sees_the_running_step_count_up_in_place():
    stream = io.StringIO()
    lines = ProgressLines(stream, live=True)
    lines.event(StepEvent("banner", "running", doing="waiting for the greeting", wait=5, at=time.monotonic() - 3))
    lines.tick()
    lines.event(StepEvent("banner", "fail", summary="no greeting within 5 s"))
    text = stream.getvalue()
    assert "banner: waiting for the greeting 3/5 s" in text
    assert "\r\x1b[2K" in text and text.endswith("✘ banner: no greeting within 5 s\n")


def test_events_travel_from_a_kernel_to_the_command_through_a_file(tmp_path):
    path = tmp_path / "events.jsonl"
    kernel = Progress(EventRelay(path))
    command = Progress()
    seen: list[StepEvent] = []
    command.listen(seen.append)
    stop = threading.Event()
    follower = threading.Thread(target=follow_events, args=(path, command, stop))
    follower.start()
    kernel.started("banner", "waiting for the greeting", 10)
    kernel.finished("banner", "fail", "no greeting within 10 s", 10_000)
    with path.open("a") as f:
        f.write('not json\n{"no": "step"}\n')  # a broken line is skipped, not fatal
    time.sleep(0.5)
    stop.set()
    follower.join(2)
    assert [(e.step, e.state) for e in seen] == [("banner", "running"), ("banner", "fail")]
    assert seen[0].wait == 10 and seen[1].summary == "no greeting within 10 s"
