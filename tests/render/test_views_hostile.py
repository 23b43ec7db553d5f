"""Hostile text and secrets against every view of a report (HTML, text, markdown, JSON, DataFrame).

The attacks here are what a server or a DNS zone can put into our results
(markup, terminal escape sequences, CR, bidi overrides, in any field including
table names and column keys), and every way a password can reach a view
without passing the creation-time redaction: a check that assigns
`step.summary` or edits `step.details` afterwards, bytes or exception objects
whose `str()` carries what we sent, a transcript line cut through the password,
and the escaped forms Python prints (`repr`, `ascii`, JSON, hex).
"""

from __future__ import annotations

import base64
import io
import json
import secrets as pysecrets

from hypothesis import given, settings
from hypothesis import strategies as st

from smtpkit.cli.common import emit_json
from smtpkit.model import Finding, Report, Status, Step, Transcript
from smtpkit.render.text import terminal_safe
from smtpkit.secrets import REDACTED, Redactor, Secret, escaped_forms, py_escaped, py_escaped_bytes

SCRIPT = "<script>alert(1)</script>"
# ESC-based sequences (clear screen, OSC 52 clipboard write, window title), CR overwrite, C1 CSI, a bidi override
TERMINAL_ATTACKS = [
    "\x1b[2J",
    "\x1b]52;c;cHduZWQ=\x07",
    "\x1b]0;owned\x07",
    "ok\rFAKE",
    "\x9b31m",
    "abc\u202edcba",
    "\x00",
]
HOSTILE = SCRIPT + "".join(TERMINAL_ATTACKS)


def _views(report: Report) -> dict[str, str]:
    return {
        "html": report.to_html(),
        "repr_html": report._repr_html_(),
        "text": report.to_text(transcript=True),
        "markdown": report.to_markdown(),
        "json": report.to_json(),
        "frame": report.to_frame().to_string(),
        "findings_frame": report.findings_frame().to_string(),
    }


def _hostile_report() -> Report:
    t = Transcript()
    t.server("220 " + HOSTILE)
    f = Finding("spf.syntax_error", "fail", HOSTILE, HOSTILE, HOSTILE, HOSTILE, HOSTILE, "https://x.test/" + SCRIPT)
    step = Step(
        HOSTILE,
        Status.FAIL,
        HOSTILE,
        details={HOSTILE: HOSTILE, "nested": [HOSTILE, {HOSTILE: HOSTILE}]},
        tables={HOSTILE: [{HOSTILE: HOSTILE, "status": HOSTILE}, {"other" + HOSTILE: 1}]},
    )
    step.add(f)
    return Report(target={HOSTILE: HOSTILE}, steps=[step], transcript=t, title=HOSTILE)


def test_html_views_escape_every_field_including_keys_and_table_names() -> None:
    r = _hostile_report()
    for name in ("html", "repr_html"):
        out = _views(r)[name]
        assert "<script" not in out, name
        assert "&lt;script&gt;" in out


def test_text_and_markdown_views_neutralise_terminal_control_characters() -> None:
    r = _hostile_report()
    for name in ("text", "markdown"):
        out = _views(r)[name]
        bad = sorted(
            {hex(ord(c)) for c in out if (ord(c) < 0x20 and c not in "\n\t") or 0x7F <= ord(c) < 0xA0 or c == "\u202e"}
        )
        assert not bad, f"{name} view lets control characters through: {bad}"
        assert "x1b" in out  # shown, not executed: the reader still sees what the server sent


def test_markdown_rows_stay_one_line_whatever_the_line_breaks() -> None:
    step = Step("s", "pass", "a\rb\x0bc\x0cd\x1ce\x85f\u2028g\u2029h\ni")
    md = Report(target={}, steps=[step]).to_markdown()
    table_rows = [line for line in md.splitlines() if line.startswith("| s |")]
    assert len(table_rows) == 1
    assert "\r" not in md and "\u2028" not in md


def test_terminal_safe_keeps_ordinary_text_and_layout() -> None:
    text = "Fix: publish v=spf1 ip4:192.0.2.1 -all\n\tthen wait — ünïcode stays ✔"
    assert terminal_safe(text) == text
    assert terminal_safe("a\x1bb\rc") == "a\\x1bb\\rc"


def test_transcript_cut_never_leaves_the_start_of_a_password() -> None:
    pw = Secret("Trunc-" + pysecrets.token_hex(8))
    t = Transcript(max_line_chars=20)
    t.client("x" * 15 + pw.reveal())  # the cut at 20 characters falls inside the password
    line = t.lines[0].text
    assert pw.reveal()[:5] not in line
    assert REDACTED in line


def test_step_edited_after_creation_is_redacted_in_every_view() -> None:
    pw = Secret("Late-" + pysecrets.token_hex(8))
    step = Step("send", "pass", "ok", details={"a": 1}, tables={"t": [{"x": 1}]})
    step.summary = f"sender refused: 535 {pw.reveal()}"
    step.details["server reply"] = f"535 {pw.reveal()}"
    step.details[f"key {pw.reveal()}"] = "x"
    step.tables["recipients"] = [{"reply": pw.reveal(), pw.reveal(): "column key"}]
    step.tables[f"table {pw.reveal()}"] = [{"x": 1}]
    step.details["raw bytes"] = b"\x00lab@smtpkit.test\x00" + pw.reveal().encode()
    step.details["exception"] = ConnectionError(
        "sent", b"AUTH PLAIN " + base64.b64encode(b"\0u\0" + pw.reveal().encode())
    )
    r = Report(target={"host": "h"}, steps=[step])
    for name, out in _views(r).items():
        assert pw.reveal() not in out, name
        assert base64.b64encode(pw.reveal().encode()).decode()[:12] not in out, name


def test_secret_registered_after_the_step_was_made_is_still_redacted() -> None:
    value = "Later-" + pysecrets.token_hex(8)
    step = Step("auth", "fail", f"server echoed {value}", details={"reply": value})
    Secret(value)  # registered only now (e.g. the password was asked for after a first run)
    for name, out in _views(Report(target={}, steps=[step])).items():
        assert value not in out, name


# -- escaped forms of secrets -----------------------------------------------------------

_password = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=5, max_size=24
).filter(lambda s: any(c in s for c in "'\"\\") or not s.isascii() or not s.isprintable())


def test_py_escaped_matches_what_python_prints() -> None:
    for value in ["pä\"ss\\wörd'x", "tab\there", "\x7f\x01", "emoji 😀", "\u200b"]:
        r = repr(value)
        assert py_escaped(value, r[0]) == r[1:-1]
        a = ascii(value)
        assert py_escaped(value, a[0], ascii_only=True) == a[1:-1]
        b = repr(value.encode())
        assert py_escaped_bytes(value.encode(), b[1]) == b[2:-1]


@given(password=_password, user=st.sampled_from(["lab@smtpkit.test", "", "ü@x.test"]))
@settings(max_examples=200, deadline=None)
def test_escaped_forms_of_passwords_are_redacted(password: str, user: str) -> None:
    r = Redactor()
    r.register_auth(user, password)
    sent = f"\0{user}\0{password}".encode()
    printed = {
        "exception with the bytes we sent": str(ValueError("send failed", sent)),
        "repr of the str": repr(f"pw={password}"),
        "ascii of the str": ascii(password),
        "json": json.dumps({"password": password}),
        "json without ascii escapes": json.dumps({"password": password}, ensure_ascii=False),
        "hex dump": sent.hex(),
    }
    for what, text in printed.items():
        out = r.redact(text)
        assert password not in out, what
        for form in escaped_forms(password):
            if len(form) >= 4:
                assert form not in out, (what, form)


def test_short_password_in_repr_of_auth_plain_bytes_is_redacted() -> None:
    r = Redactor()
    r.register_auth("lab@smtpkit.test", "a'c")  # 3 characters: only whole-word and exact AUTH forms protect it
    text = str(OSError("send failed", b"\x00lab@smtpkit.test\x00a'c"))
    assert "a'c" not in r.redact(text) and "a\\'c" not in r.redact(text)


def test_json_escapes_c1_controls_and_bidi_overrides_but_keeps_the_data() -> None:
    r = _hostile_report()
    printed = io.StringIO()
    emit_json(r.to_dict(), printed)
    for out in (r.to_json(), printed.getvalue()):
        assert not any(0x7F <= ord(c) < 0xA0 or c == "\u202e" or (ord(c) < 0x20 and c != "\n") for c in out)
        assert json.loads(out)["steps"][0]["summary"] == HOSTILE  # the same data once parsed
