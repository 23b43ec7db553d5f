"""Every result type is a `Viewable`, and both its views hold against hostile text.

Three guarantees, each able to fail:
* every `Viewable` subclass in smtpkit has a hostile instance below (a new view
  type fails the coverage test until it is added here);
* for each one, the HTML view escapes what a server, DNS or a file sent and the
  text view shows control characters as escapes, and all display hooks
  (`_repr_html_`, `_repr_mimebundle_`, `_repr_pretty_`, `str()`) agree with them;
* no module writes its own display hook: they are derived, in `render/__init__`.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import smtpkit
from smtpkit.model import Finding, Report, Status, Step, Transcript
from smtpkit.render import Viewable

SCRIPT = "<script>alert(1)</script>"
HOSTILE = SCRIPT + "\x1b[2J\x1b]0;owned\x07ok\rFAKE\x9b31mabc\u202edcba"
PACKAGE = Path(smtpkit.__file__).parent


def _report() -> Report:
    t = Transcript()
    t.server("220 " + HOSTILE)
    step = Step(HOSTILE, Status.FAIL, HOSTILE, details={HOSTILE: HOSTILE}, tables={HOSTILE: [{HOSTILE: HOSTILE}]})
    step.add(Finding("spf.syntax_error", "fail", HOSTILE, HOSTILE, HOSTILE, HOSTILE, HOSTILE, HOSTILE))
    return Report(target={HOSTILE: HOSTILE}, steps=[step], transcript=t, title=HOSTILE)


def _panel() -> Any:
    from smtpkit.render.panel import Panel, Table

    frame = pd.DataFrame([{HOSTILE: HOSTILE, "status": "fail"}])
    return Panel(
        HOSTILE,
        [
            (HOSTILE, HOSTILE),
            ("rows", [{HOSTILE: HOSTILE}, {"later": HOSTILE}]),
            ("map", {HOSTILE: HOSTILE}),
            ("frame", frame),
            ("table", Table([{"status": HOSTILE}])),
            ("report", _report()),
        ],
        status="warn",
        note=HOSTILE,
    )


def _table() -> Any:
    from smtpkit.render.panel import Table

    return Table([{HOSTILE: HOSTILE, "status": HOSTILE}, {"other": HOSTILE}])


def _html() -> Any:
    from smtpkit.render.panel import Html

    # The markup is ours by contract (raw in HTML); the text view is what may carry a peer's words.
    return Html("<p>ours</p>", HOSTILE)


def _report_view() -> Any:
    from smtpkit.render.report_view import ReportView

    return ReportView(_report(), focus=(HOSTILE,), title=HOSTILE)


def _result_view() -> Any:
    from smtpkit.ui.display import ResultView

    return ResultView(_panel())


def _chart() -> Any:
    from smtpkit.render.charts import Chart, new_figure

    fig, ax = new_figure(3, 2)
    ax.set_title(SCRIPT)  # matplotlib escapes it in the SVG; control characters only make font warnings
    return Chart(fig, HOSTILE, rows=[{HOSTILE: HOSTILE}], title=HOSTILE)


def _scorecard() -> Any:
    from smtpkit.reporting.scorecard import Practice, Scorecard

    return Scorecard([Practice(HOSTILE, "fail", HOSTILE, HOSTILE), Practice("x", HOSTILE, HOSTILE, HOSTILE)])


def _summary() -> Any:
    from smtpkit.reporting.summary import summarize

    return summarize(_report(), _report(), server_target=HOSTILE, domain_target=HOSTILE)


def _port_matrix() -> Any:
    from smtpkit.checks.ports import ModeProbe, PortMatrix, PortResult

    probe = ModeProbe(587, "starttls", reached="ok", greeting="220 " + HOSTILE, problem=HOSTILE, tls_error=HOSTILE)
    result = PortResult(587, probe, ModeProbe(587, "tls", reached="refused", problem=HOSTILE))
    rec = {"port": 587, "security": "starttls", "summary": HOSTILE, "reason": HOSTILE}
    return PortMatrix(HOSTILE, [HOSTILE], [result], rec, 1.0, 5.0, resolution_error=HOSTILE)


def _port_matrix_view() -> Any:
    from smtpkit.ui.views import PortMatrixView

    return PortMatrixView(_port_matrix(), {587: HOSTILE})


def _lab_info() -> Any:
    from smtpkit.lab.lab import DnsEndpoint, LabInfo, SmtpEndpoint
    from smtpkit.secrets import Secret

    ep = SmtpEndpoint(HOSTILE, "127.0.0.1", 25, HOSTILE, HOSTILE, HOSTILE, expect=HOSTILE)
    return LabInfo(
        smtp=[ep],
        dns=DnsEndpoint("127.0.0.1", 53, (HOSTILE,)),
        ca_file=HOSTILE,
        user=HOSTILE,
        password=Secret("lab-password-for-views"),
        domain=HOSTILE,
        origin=HOSTILE,
        skipped={HOSTILE: HOSTILE},
    )


def _spf_result() -> Any:
    from smtpkit.spf.evaluator import Result, SpfResult
    from smtpkit.spf.trace import TraceNode

    trace = TraceNode(HOSTILE, record=HOSTILE, result="fail", reason=HOSTILE)
    return SpfResult(Result.FAIL, HOSTILE, 1, 0, trace, HOSTILE, HOSTILE, HOSTILE, HOSTILE, record=HOSTILE)


def _spf_reading() -> Any:
    from smtpkit.spf.explain import Reading, TermReading

    return Reading(
        HOSTILE, HOSTILE, [TermReading(HOSTILE, "mechanism", "+", HOSTILE, 1, HOSTILE, HOSTILE)], HOSTILE, [HOSTILE]
    )


def _report_set() -> Any:
    import atexit
    import shutil
    import tempfile

    from smtpkit.reports import load

    folder = Path(tempfile.mkdtemp(prefix="smtpkit-hostile-reports-"))
    atexit.register(shutil.rmtree, folder, True)
    (folder / "aggregate.xml").write_text(
        '<?xml version="1.0"?><feedback><report_metadata><org_name>&lt;script&gt;alert(1)&lt;/script&gt;'
        "\u202e</org_name><email>x@example.com</email><report_id>&lt;script&gt;</report_id><date_range>"
        "<begin>1700000000</begin><end>1700086400</end></date_range></report_metadata><policy_published>"
        "<domain>example.com</domain><p>none</p></policy_published><record><row><source_ip>192.0.2.1</source_ip>"
        "<count>5</count><policy_evaluated><disposition>none</disposition><dkim>fail</dkim><spf>fail</spf>"
        "</policy_evaluated></row><identifiers><header_from>example.com</header_from></identifiers><auth_results>"
        "<spf><domain>evil.example</domain><result>fail</result></spf></auth_results></record></feedback>",
        encoding="utf-8",
    )
    (folder / (SCRIPT.replace("/", "") + "\x1b[2J.xml")).write_text("not a report <script>", encoding="utf-8")
    return load(folder, offline=True)


def _pictures() -> Any:
    # the strip of a report whose step name, summary and status came from a hostile peer
    return _report().pictures()


def _banner() -> Any:
    from smtpkit.ui.modes import Banner

    return Banner(HOSTILE, HOSTILE, ((HOSTILE, HOSTILE),), note=HOSTILE)


def _with_banner() -> Any:
    from smtpkit.ui.modes import WithBanner

    return WithBanner(_banner(), _panel())


def _live_mailbox() -> Any:
    from smtpkit.ui.views import LiveMailbox

    class Lab:
        names = [HOSTILE]

        def messages(self, name: str) -> list[Any]:
            return []

    class Form:
        def after_run(self, hook: Any) -> None:
            pass

    return LiveMailbox(Lab(), Form(), HOSTILE)


def _following_view() -> Any:
    """A picture of a hostile result, and the message that says a picture failed, both escaped."""
    from smtpkit.ui.views import FollowingView

    class Form:
        title = HOSTILE
        last_result = HOSTILE

        def after_run(self, hook: Any) -> None:
            pass

    def draw(result: Any) -> Any:
        raise ValueError(result)  # "No picture of this run: <the hostile text>"

    return FollowingView(Form(), draw, HOSTILE)


def _report_header() -> Any:
    from smtpkit.reporting.header import report_header

    class Hostile:
        host = domain = username = ip = HOSTILE
        port = 25
        nameservers = (HOSTILE,)
        cafile = HOSTILE

    return report_header(_report(), _report(), Hostile(), Hostile())


def _glossary() -> Any:
    from smtpkit.reporting.glossary import Entry, Glossary, glossary

    return Glossary([*glossary([_report()]).entries, Entry(HOSTILE, "fail", HOSTILE, HOSTILE, HOSTILE)])


CASES: dict[str, Callable[[], Any]] = {
    "smtpkit.model.Report": _report,
    "smtpkit.render.panel.Panel": _panel,
    "smtpkit.render.panel.Table": _table,
    "smtpkit.render.panel.Html": _html,
    "smtpkit.render.report_view.ReportView": _report_view,
    "smtpkit.render.charts.Chart": _chart,
    "smtpkit.render.pictures.Pictures": _pictures,
    "smtpkit.ui.display.ResultView": _result_view,
    "smtpkit.reporting.scorecard.Scorecard": _scorecard,
    "smtpkit.reporting.summary.Summary": _summary,
    "smtpkit.reporting.header.ReportHeader": _report_header,
    "smtpkit.reporting.glossary.Glossary": _glossary,
    "smtpkit.checks.ports.PortMatrix": _port_matrix,
    "smtpkit.ui.views.PortMatrixView": _port_matrix_view,
    "smtpkit.lab.lab.LabInfo": _lab_info,
    "smtpkit.spf.evaluator.SpfResult": _spf_result,
    "smtpkit.spf.explain.Reading": _spf_reading,
    "smtpkit.reports.reportset.ReportSet": _report_set,
    "smtpkit.ui.modes.Banner": _banner,
    "smtpkit.ui.modes.WithBanner": _with_banner,
    "smtpkit.ui.views.LiveMailbox": _live_mailbox,
    "smtpkit.ui.views.FollowingView": _following_view,
    "smtpkit.audit.views.SortableTable": lambda: _audit_table(),
    "smtpkit.audit.views.Runner": lambda: _audit_runner(),
    "smtpkit.audit.views.PastedAudit": lambda: _pasted_audit(),
}


def _pasted_audit() -> Any:
    from smtpkit.audit.views import PastedAudit

    df = _audit_table_frame()
    df.attrs["audit"] = {"seconds": 1.0, "duplicates": 1, "resumed_chunks": 1, "resumed_domains": 1}
    return PastedAudit(df)


def _audit_runner() -> Any:
    from smtpkit.audit.views import Runner

    return Runner({"workers": 2}, HOSTILE, dashboard="http://127.0.0.1:8787/status" + HOSTILE)


def _audit_table() -> Any:
    from smtpkit.audit.views import SortableTable

    return SortableTable(_audit_table_frame())


def _audit_table_frame() -> Any:
    from smtpkit.audit.row import empty_row
    from smtpkit.audit.table import frame

    row = empty_row(0, HOSTILE, "hostile.example")
    row.update(status="checked", grade="F", worst="fail", n_fail=3, n_warn=0, codes=[HOSTILE], spf_all=HOSTILE)
    return frame([row])


RAW_MARKUP = {"smtpkit.render.panel.Html"}  # its markup is ours by contract; only its text is checked
# Text views that show only counts and validated names, never a peer's text (nothing there to escape).
TEXT_WITHOUT_PEER_TEXT = {"smtpkit.reports.reportset.ReportSet"}


def _all_viewables() -> set[str]:
    for info in pkgutil.walk_packages(smtpkit.__path__, "smtpkit."):
        if not info.name.endswith("__main__"):
            importlib.import_module(info.name)
    found: set[str] = set()
    todo = list(Viewable.__subclasses__())
    while todo:
        cls = todo.pop()
        found.add(f"{cls.__module__}.{cls.__qualname__}")
        todo.extend(cls.__subclasses__())
    return found


def test_every_viewable_has_a_hostile_case() -> None:
    missing = _all_viewables() - set(CASES)
    assert not missing, f"add a hostile instance of {sorted(missing)} to CASES"


def _control_characters(text: str) -> list[str]:
    return sorted(
        {hex(ord(c)) for c in text if (ord(c) < 0x20 and c not in "\n\t") or 0x7F <= ord(c) < 0xA0 or c == "\u202e"}
    )


@pytest.mark.parametrize("name", sorted(CASES))
def test_both_views_neutralise_hostile_text(name: str) -> None:
    obj = CASES[name]()
    html, text = obj.to_html(), obj.to_text()
    if name not in RAW_MARKUP:
        assert "<script" not in html, name
        assert "&lt;script&gt;" in html, f"{name}: the hostile text should be shown, escaped"
    assert not _control_characters(text), f"{name}: the text view lets control characters through"
    if name not in TEXT_WITHOUT_PEER_TEXT:
        assert "x1b" in text, f"{name}: the text view should show the escape sequence, not drop it"
    # every hook derives from the two views
    assert obj._repr_html_() == html and str(obj) == text
    assert obj._repr_mimebundle_() == {"text/html": html, "text/plain": text}
    printed: list[str] = []

    class Printer:
        def text(self, value: str) -> None:
            printed.append(value)

    obj._repr_pretty_(Printer(), False)
    assert printed == [text]


def test_text_and_html_tables_take_every_key_as_a_column() -> None:
    from smtpkit.render.panel import html_of, text_of

    rows = [{"a": 1}, {"a": 2, "b": "only later"}]
    assert "only later" in text_of(rows) and "only later" in html_of(rows)
    assert "B" in text_of(rows).splitlines()[0]


# -- no hand-written display hooks ------------------------------------------------------------

HOOKS = {"_repr_html_", "_repr_mimebundle_", "_repr_pretty_"}
# Value types whose str() is their value's own spelling (used in f-strings and messages), not a view.
VALUE_STR = {
    "model.py": {"Status", "Severity"},  # the enum's value, "pass"
    "spf/evaluator.py": {"Result"},  # the RFC 7208 result, "softfail"
    "secrets.py": {"Secret"},  # the redaction guarantee: str() never reveals the secret
    "net/smtp.py": {"Reply"},  # "250 ok", as the server sent it
    "net/dns.py": {"Nameserver"},  # "host:port"
    "knowledge/presets.py": {"PortMode"},  # "587 (STARTTLS)"
    "lab/zoneset.py": {"Record"},  # a zone line, in ZoneError messages
    "reporting/execute.py": {"CellError"},  # the error message of a failed cell
    "dane/__init__.py": {"Tlsa"},  # the record in presentation format, "3 1 1 <hex>"
}


def test_no_module_writes_its_own_display_hooks() -> None:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel == "render/__init__.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ClassDef):
                continue
            for item in node.body:
                if not isinstance(item, ast.FunctionDef):
                    continue
                if item.name in HOOKS:
                    found.append(f"{rel}: {node.name}.{item.name}")
                if item.name == "__str__" and node.name not in VALUE_STR.get(rel, set()):
                    found.append(f"{rel}: {node.name}.__str__ (a view: define to_text() and use Viewable)")
    assert not found, found


def test_a_checks_settings_read_in_words_not_field_names() -> None:
    """The settings table on top of a domain check's result read 'only lists yes', 'allow private yes'."""
    from smtpkit.model import Report, Status, Step
    from smtpkit.render.report_view import ReportView
    from smtpkit.settings.domain import DomainQuery

    query = DomainQuery(
        "example.com", ip="192.0.2.1", dnsbl_lists=("bl.test",), only_lists=True, allow_private=True, mx_port=2525
    )
    shown = ReportView(Report(target=query.to_dict(), steps=[Step("mx", Status.PASS, "1 MX")])).to_html()
    for words in ("sending IP", "only the blocklists given", "check private addresses too", "MX port"):
        assert f"<th>{words}</th>" in shown, words
    assert "only lists" not in shown and "allow private" not in shown and "mx port" not in shown


def test_a_check_that_talked_to_no_server_has_no_transcript_heading() -> None:
    from smtpkit.model import Report, Status, Step
    from smtpkit.render.text import report_text

    report = Report(target={"domain": "example.com"}, steps=[Step("mx", Status.PASS, "1 MX")])
    text = report_text(report, transcript=True)
    assert "Transcript" not in text


def test_a_one_step_result_draws_no_strip_of_steps() -> None:
    """An explained error is one step: its strip said 'The explain step failed' over a time axis of 0.0010 ms."""
    from smtpkit.checks.explain import explain_pasted
    from smtpkit.render.report_view import ReportView

    shown = ReportView(explain_pasted("Error: connect ETIMEDOUT 198.51.100.7:587")).to_html()
    assert "steps at a glance" not in shown and "step failed" not in shown
    assert "client.timeout" in shown


def test_an_empty_table_is_left_out_of_every_view() -> None:
    """A record of ip4: terms has no 'lookups per include': the report showed the title over '(no rows)'."""
    from smtpkit.render.html import report_html
    from smtpkit.render.report_view import ReportView
    from smtpkit.render.text import report_text

    step = Step("spf", Status.PASS, "found", tables={"lookups per include": [], "trace": [{"term": "ip4:192.0.2.1"}]})
    report = Report(target={"domain": "example.com"}, steps=[step])
    for shown in (report_html(report), ReportView(report).to_html(), report_text(report, tables=True)):
        assert "trace" in shown and "ip4:192.0.2.1" in shown
        assert "lookups per include" not in shown and "no rows" not in shown


def test_no_problem_names_the_notes_under_it() -> None:
    """mxtls-badname.test read 'No problem found' above a folded 'certificate fails' row: the note is named."""
    from smtpkit.knowledge import finding
    from smtpkit.model import Report, Status, Step
    from smtpkit.render.report_view import ReportView

    note = finding("mx.tls.cert_invalid", "x", mx="mx.example.com", domain="example.com", details="hostname mismatch")
    step = Step("mx_tls", Status.PASS, "1 MX over TLS")
    step.add(note)
    shown = ReportView(Report(target={"domain": "example.com"}, steps=[step])).to_html()
    assert "No problem found.</strong> Also noted: “MX mx.example.com of example.com presents a certificate" in shown
    assert "(step mx_tls); its step below says more." in shown
    plain = ReportView(Report(target={"domain": "example.com"}, steps=[Step("mx", Status.PASS, "1 MX")])).to_html()
    assert "No problem found.</strong> Open a step below" in plain
