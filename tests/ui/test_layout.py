"""How results are laid out in a notebook: readable tables, findings a stressed reader can scan.

These are the problems a newcomer met in the browser (tables cut off at the
right edge, a PowerShell `$false` typeset as maths, the port matrix thirteen
columns wide, a Gmail refusal with a generic fix), each pinned by a test.
"""

from __future__ import annotations

import re

from smtpkit.knowledge.catalogue import finding
from smtpkit.model import Report, Status, Step
from smtpkit.render.html import CSS, finding_html, html_table, split_explanation
from smtpkit.render.panel import Table
from smtpkit.ui import Panel, ReportView, compare_scenarios, lab_overview, port_matrix, presets_table


def _columns(html: str) -> int:
    head = re.search(r"<thead><tr>(.*?)</tr></thead>", html, re.S)
    assert head, html
    return head.group(1).count("<th>") + head.group(1).count("<th></th>") * 0


def test_a_few_rows_with_many_columns_are_turned_on_their_side():
    chain = [{"#": i, **{f"field{k}": f"v{i}{k}" for k in range(10)}} for i in range(2)]
    html = html_table(chain)
    assert _columns(html) == 3  # an empty corner, then one column per certificate
    assert "<th>field9</th>" in html and "<th># 1</th>" in html
    many = html_table(chain * 3)  # six rows stay rows
    assert _columns(many) == 11


def test_a_number_and_its_unit_stay_on_one_line():
    """Beside the timing picture the step table's time column broke "0.2 / ms" in two."""
    html = html_table([{"step": "tls", "time": "0.2 ms", "share": "83%", "summary": "TLS 1.3 with a valid chain"}])
    assert '<td class="smtpkit-short">0.2 ms</td>' in html and "td.smtpkit-short{white-space:nowrap}" in CSS
    assert "<td>83%</td>" in html and "<td>TLS 1.3 with a valid chain</td>" in html  # one word; a sentence


def test_long_tokens_wrap_and_tables_scroll_instead_of_being_cut():
    html = html_table([{"name": "k._domainkey.example.com", "value": "p=" + "A" * 300}])
    assert 'class="smtpkit-long"' in html and html.count("smtpkit-long") == 1
    assert html.startswith('<div class="smtpkit-scroll">')


def test_status_columns_are_spelled_out_badges_in_html_and_words_in_text():
    table = Table([{"scenario": "x", "status": "fail"}])
    assert "✘ FAIL" in table._repr_html_()
    assert "FAIL" in table.to_text()
    assert list(table) == [{"scenario": "x", "status": "fail"}] and table[0]["status"] == "fail"


def test_results_opt_out_of_latex_typesetting():
    # JupyterLab typesets $...$ in HTML outputs: `-Disabled $false` ... `$false` became maths
    for html in (
        Panel("t", [("", "Set-CASMailbox -SmtpClientAuthenticationDisabled $false and $false")])._repr_html_(),
        ReportView(Report(target={"host": "x"}, steps=[Step("tls", Status.PASS, "ok")]))._repr_html_(),
        Report(target={"host": "x"}, steps=[])._repr_html_(),
    ):
        assert "mathjax_ignore" in html and "tex2jax_ignore" in html


def test_a_finding_shows_the_fix_before_the_decoded_reply_codes_and_commands_as_code():
    f = finding(
        "auth.smtp_auth_disabled",
        "535 5.7.139 Authentication unsuccessful",
        provider="office365",
        reply="535 5.7.139 Authentication unsuccessful",
        username="me@contoso.example",
        extra="Reply 535 (permanent) means: The server rejected the username and password (or token).",
    )
    why, decoded = split_explanation(f.explanation)
    assert decoded.startswith("Reply 535") and "Reply 535" not in why
    html = finding_html(f)
    assert html.index("Fix:") < html.index("The reply codes, decoded:")
    assert "<code>Set-CASMailbox -Identity me@contoso.example -SmtpClientAuthenticationDisabled $false</code>" in html
    assert '<a href="https://aka.ms/smtp_auth_disabled"' in html


def test_a_reference_with_words_links_only_the_urls():
    f = finding("auth.bad_credentials", "535", reply="535", username="u")
    object.__setattr__(f, "reference", "https://example.test/a (seen in PHPMailer); javascript:alert(1)")
    html = finding_html(f)
    assert '<a href="https://example.test/a"' in html and "(seen in PHPMailer)" in html
    assert 'href="javascript' not in html


def test_report_view_lists_only_problems_in_the_step_table():
    info = finding("tls.info.version", "TLSv1.3", version="TLS 1.3", cipher="X", bits=256, verdict="current")
    step = Step("tls", Status.PASS, "TLS 1.3")
    step.add(info)
    html = ReportView(Report(target={"host": "x"}, steps=[step]))._repr_html_()
    table = html.split("</table>")[1]  # after the target's table: the step table
    assert "tls.info.version" not in table and "problems" in table
    assert "tls.info.version" in html  # still shown, with the step's details


def test_presets_fit_in_two_narrow_tables():
    panel = presets_table()
    assert [h for h, _ in panel.parts] == ["Where to connect and how to log in", "Sending limits and notes"]
    for _, table in panel.parts:
        assert len(table.rows[0]) <= 5


def test_lab_overview_has_room_for_the_lesson(lab):
    rows = lab_overview(lab).parts[1][1].rows
    assert list(rows[0]) == ["scenario", "address (security)", "expected finding", "what it demonstrates"]
    assert rows[0]["address (security)"].startswith("127.0.0.1:")


def test_port_matrix_view_is_compact_and_names_the_lab_servers(lab):
    view = port_matrix(lab, timeout=2.0)
    rows = view.compact_rows()
    by_server = {r["lab server"]: r for r in rows}
    assert by_server["implicit_tls"]["use it as"] == "implicit TLS" and by_server["implicit_tls"]["status"] == "pass"
    assert by_server["refusing"]["status"] == "fail"
    assert len(rows[0]) <= 8
    html = view._repr_html_()
    assert "Recommendation:" in html and "Every probe (both modes on every port)" in html
    assert view.recommendation["port"] is not None  # the engine's matrix is still reachable
    assert 'class="smtpkit-recommend"' in html  # a port to use: the recommendation's green
    assert "IMPLICIT TLS" not in view.to_text() and "Recommendation: Use" in view.to_text()


def test_a_matrix_with_no_port_to_use_is_not_drawn_in_the_green_of_a_recommendation():
    import socket

    with socket.socket() as s:  # a loopback port nothing listens on: refused at once
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    view = port_matrix(None, "127.0.0.1", [closed], timeout=2.0)
    assert view.recommendation["port"] is None
    assert 'class="smtpkit-recommend smtpkit-none"' in view._repr_html_()


def test_a_healthy_server_used_the_wrong_way_says_so(lab):
    row = compare_scenarios(lab, ["submission"], security="tls", timeout=2).parts[0][1][0]
    assert row["status"] == "fail"
    assert "on purpose" in row["the lab's lesson"]


def test_provider_scenarios_get_the_providers_own_fix(lab):
    # by name, the lab's own preset hid Gmail: the fix was the generic "create an app-specific password"
    panel = compare_scenarios(lab, ["gmail_bad_credentials", "o365_auth_disabled"], timeout=3)
    text = panel.to_text()
    assert "myaccount.google.com/apppasswords" in text
    assert "SmtpClientAuthenticationDisabled" in text
