"""The notebook's views of an audit: hostile names escaped, a sorting table, charts with words, findings by code."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from smtpkit.audit import views
from smtpkit.audit.row import empty_row, invalid_row
from smtpkit.audit.table import frame
from smtpkit.lab.dns_server import DnsServer

EVIL = '<script>alert("x")</script>.example'


def _frame() -> pd.DataFrame:
    good = empty_row(0, "a.example", "a.example")
    good.update(
        status="checked", grade="A", worst="pass", n_fail=0, n_warn=0, dmarc_policy="reject", dmarc_enforced=True
    )
    good.update(dkim_selectors=["s1"], dkim_keys=["s1: rsa 2048"], dkim_min_bits=2048, spf_lint="pass")
    bad = empty_row(1, EVIL, "b.example")
    bad.update(status="checked", grade="D", worst="fail", n_fail=2, n_warn=0, codes=["spf.plus_all", "dmarc.missing"])
    bad.update(
        spf_lint="fail", dkim_min_bits=1024, dkim_selectors=["k1"], dkim_keys=["k1: rsa 1024"], mta_sts="testing"
    )
    dead = empty_row(2, "dead.example", "dead.example")
    dead.update(status="could not check", status_reason="MX: timeout; TXT (SPF): timeout", codes=["mx.lookup_failed"])
    dead.update(n_fail=0, n_warn=1)
    return frame([good, bad, dead, invalid_row(3, EVIL, f"{EVIL!r} is not a domain")])


def test_the_table_escapes_and_sorts() -> None:
    table = views.sortable(_frame())
    page = table.to_html()
    # why a domain could not be checked is in its status cell, where one looks, not in a column off-screen
    assert "could not check: <small>MX: timeout; TXT (SPF): timeout</small>" in page
    assert "could not check: MX: timeout" in table.to_text()
    # the rows start worst first: the grade heading says so, so that a first click on it visibly reverses
    assert re.search(r'<th [^>]*data-s="a" aria-sort="ascending"[^>]*>grade ▲</th>', page)
    assert page.count('tabindex="0"') == len(table.columns)  # the headings sort from the keyboard too
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page
    assert "<script" not in page and page.count("onclick=") == len(table.columns)  # only our own sorter
    assert [r["domain"] for r in table.rows][:2] == ["b.example", "a.example"]  # worst first
    assert "b.example" in table.to_text()


def test_charts_say_it_in_words() -> None:
    charts = views.charts(_frame())
    titles = [c.title for c in charts]
    assert titles == [
        "DMARC at enforcement",
        "SPF errors and warnings",
        "Weak DKIM keys",
        "MTA-STS adoption",
        "Worst problems first",
    ]
    assert charts[0].sentence.startswith("1 of 2 checked domains (50%) have DMARC at enforcement")
    assert "1 of 2 checked domains sign with a weak DKIM key" in charts[2].sentence
    assert "<svg" in charts[0].to_html()


def test_findings_by_code_count_only_checked_domains() -> None:
    table = views.findings_table(_frame())
    assert list(table["code"]) == ["dmarc.missing", "spf.plus_all"]
    assert "mx.lookup_failed" not in set(table["code"])  # a domain that could not be checked has no problems
    shown = views.findings_by_code(_frame())
    assert "The domain publishes no DMARC policy" in shown.to_text()  # the title, not a {domain} template
    assert "{domain}" not in shown.to_html() and "..." not in shown.to_text()
    # a template's other fields are named, not dropped: an ellipsis there said nothing
    assert views.generic_title("spf.multiple_records") == "The domain publishes ‹count› SPF records"
    assert (
        views.generic_title("mta_sts.policy_cert_invalid") == "The certificate of mta-sts.‹domain› fails verification"
    )


def test_findings_are_grouped_by_the_severity_each_domain_got_not_the_catalogue_default() -> None:
    """spf.void_lookups warns at two voids and fails at three; mx.missing depends on the A records. The grouped
    findings showed the catalogue's default beside rows that counted the finding as failing."""
    rows = []
    for i, severity in enumerate(["fail", "fail", "warn"]):
        row = empty_row(i, f"d{i}.example", f"d{i}.example")
        row.update(status="checked", grade="C", n_fail=int(severity == "fail"), n_warn=int(severity == "warn"))
        row.update(codes=["spf.void_lookups", "dmarc.invalid_tag_value", "dmarc.invalid_tag_value"])
        row.update(severities=[severity, "fail", "fail"])
        rows.append(row)
    df = frame(rows)
    table = views.findings_table(df)
    assert [(r["code"], r["severity"], r["domains"]) for r in table.to_dict("records")] == [
        ("dmarc.invalid_tag_value", "fail", 3),  # twice in a domain: one domain
        ("spf.void_lookups", "fail", 2),
        ("spf.void_lookups", "warn", 1),
    ]
    worst = views.charts(df)[-1]
    assert [r["severity"] for r in worst.rows] == ["fail", "fail", "warn"]
    spf = views.charts(df)[1]
    assert spf.rows == [{"finding": "spf.void_lookups", "worst": "fail", "domains": 3}]
    page = views.sortable(df).to_html()
    assert "fail:</b> spf.void_lookups, dmarc.invalid_tag_value ×2</td>" in page
    assert "fail:</b> dmarc.invalid_tag_value ×2; <b" in page and "warn:</b> spf.void_lookups</td>" in page
    older = df.drop(columns=["severities"])  # results of an earlier smtpkit: the catalogue's severities
    older["severities"] = [[] for _ in range(len(older))]
    assert set(views.findings_table(older)["severity"]) == {"warn", "fail"}


def test_every_spf_finding_and_every_dkim_key_is_counted_in_the_charts() -> None:
    """The SPF chart showed the ten commonest codes (an eleventh, spf.void_lookups, was missing from it) and the
    DKIM chart left out domains whose only key is revoked ("rsa ?")."""
    rows = []
    for i in range(12):
        row = empty_row(i, f"d{i}.example", f"d{i}.example")
        row.update(status="checked", grade="C", n_fail=1, n_warn=0, codes=[f"spf.code{i:02}"], severities=["fail"])
        rows.append(row)
    rows[0].update(dkim_selectors=["default"], dkim_keys=["default: revoked (empty p=)"])
    rows[1].update(dkim_selectors=["ed"], dkim_keys=["ed: ed25519 256"])
    rows[2].update(dkim_selectors=["old"], dkim_keys=["old: rsa ?"])  # written before the words: still unusable
    rows[3].update(dkim_selectors=["bad"], dkim_keys=["bad: rsa unreadable"])
    charts = views.charts(frame(rows))
    assert len(charts[1].rows) == 12
    dkim = {r["smallest RSA key"]: r["domains"] for r in charts[2].rows}
    assert dkim["no usable key (revoked, invalid)"] == 3 and dkim["no key found"] == 8, dkim
    assert sum(dkim.values()) == 12


def test_the_summary_puts_a_slow_run_down_to_the_resolver_limit_only_when_it_held_queries_back() -> None:
    df = _frame()
    held = {"queries": 1000, "query_waits": 400, "query_wait_seconds": 20.0, "settings": {"query_limit": 100}}
    held |= {"query_held_seconds": 40.0, "domains_asked": 80}  # resumed rows and invalid names asked nothing
    df.attrs["audit"] = {"seconds": 2.0, "runner": "local", **held}
    text = views.summary(df).to_text()
    assert "400 of 1000 DNS queries (40%) waited for one of the query_limit 100 places, 50 ms on average" in text
    assert "a place for 0.50 s in all (timeouts included), so 100 places let through at most 200 domains" in text
    one = held | {"settings": {"query_limit": 1}, "query_held_seconds": 8.0}  # a single place: said so
    df.attrs["audit"] = {"seconds": 2.0, "runner": "local", **one}
    text = views.summary(df).to_text()
    assert "(40%) waited for the single place of query_limit 1, 50 ms" in text, text
    assert "so 1 place let through at most 10 domains" in text, text
    df.attrs["audit"] = {"seconds": 2.0, "runner": "local", **held, "query_waits": 199}  # under a fifth
    assert "resolver limit" not in views.summary(df).to_text()
    df.attrs["audit"] = {"seconds": 2.0, "runner": "dask"}  # not counted on Dask: nothing said
    assert "resolver limit" not in views.summary(df).to_text()


def test_the_summary_of_a_resumed_run_says_what_was_kept_and_what_was_asked_now() -> None:
    df = _frame()
    df.attrs["audit"] = {"seconds": 0.1, "runner": "local", "resumed_chunks": 1, "resumed_domains": 4}
    text = views.summary(df).to_text()
    assert "All 4 were kept from the earlier run" in text and "nothing was asked now" in text
    assert "the others audited now" not in text  # there were no others
    df.attrs["audit"] |= {"resumed_domains": 3}
    assert "3 of them were kept from the stopped run in the same out (resume), the other 1 audited now" in (
        views.summary(df).to_text()
    )


def test_the_export_says_in_a_sentence_what_it_wrote_and_where(tmp_path: Path) -> None:
    """It showed a quoted Python string, 'written: /tmp/...', in the notebook and the app."""
    shown = views.export(_frame(), str(tmp_path / "run.parquet"))
    text = shown.to_text()
    assert f"4 rows written to {tmp_path / 'run.csv'}, on the computer that runs this notebook" in text
    assert (tmp_path / "run.csv").read_text().startswith("position,input,domain")
    assert "'written:" not in text


def test_the_summary_says_warn_when_the_worst_is_a_warning() -> None:
    """A paste of one domain at p=none (grade B) was summed up under a PASS badge."""
    row = empty_row(0, "a.example", "a.example")
    row.update(status="checked", grade="B", worst="warn", n_fail=0, n_warn=1, codes=["dmarc.policy_none"])
    assert views.summary(frame([row])).status == "warn"
    row.update(grade="A", worst="pass", n_warn=0, codes=[])
    assert views.summary(frame([row])).status == "pass" and "1 domain in" in views.summary(frame([row])).to_text()


def test_summary_and_changes() -> None:
    df = _frame()
    df.attrs["audit"] = {"seconds": 2.0, "runner": "dask", "dask": "http://127.0.0.1:8787/status"}
    panel = views.summary(df)
    html = panel.to_html()
    assert "1 could not be checked (never counted as failures)" in panel.to_text() and "Dask dashboard" in html
    better = df.copy()
    better.loc[1, ["grade", "n_fail", "codes"]] = pd.Series(
        ["C", 1, ["spf.plus_all"]], index=["grade", "n_fail", "codes"]
    )
    assert "1 better" in views.changes(df, better).to_text()


def test_every_view_says_there_are_no_results_when_the_audit_did_not_finish() -> None:
    """Notebook 10 sets df = None before its audit: a run stopped by a bad setting then shows this in every view
    below it, not the previous run's table and charts as if they were new."""
    shown = [
        views.summary(None),
        views.sortable(None),
        *views.charts(None),
        views.findings_by_code(None),
        views.could_not_check(None),
        views.export(None, "/nonexistent/run.parquet"),
        views.changes(_frame(), None),
    ]
    for view in shown:
        assert "No results to show" in view.to_text(), view  # type: ignore[union-attr]
    missed = views.could_not_check(_frame())
    assert "dead.example" in missed.to_text() and "MX: timeout" in missed.to_text()
    assert "1 of 4 domains could not be checked" in missed.to_text() and "a.example" not in missed.to_text()
    everyone = _frame()
    everyone = everyone[everyone["status"] != "could not check"]
    assert "Every domain could be checked" in views.could_not_check(everyone).to_text()


def test_an_empty_paste_says_what_to_do_instead_of_an_empty_table() -> None:
    shown = views.audit_pasted("  \n\n")
    assert shown.df is None and "Paste your domains" in shown.to_text() and "Paste your domains" in shown.to_html()
    assert shown.status is None  # nothing ran: the form says DONE, not a verdict


def test_a_paste_is_shown_as_the_portfolio_is_summary_and_sortable_table(portfolio_dns: DnsServer) -> None:
    """The pasted domains get the portfolio's views, not a bare DataFrame of 37 columns, through the DNS server
    the notebook names; mine.df keeps the DataFrame (an invalid line is a row of its own, not an error)."""
    pasted = "smtpkit.test\n\n  spf-plus-all.test  \nnot a domain\n"
    shown = views.audit_pasted(pasted, nameservers=[portfolio_dns.nameserver], selectors=None, query_limit=4)
    assert shown.df is not None and list(shown.df["input"]) == ["smtpkit.test", "spf-plus-all.test", "not a domain"]
    assert list(shown.df["status"]) == ["checked", "checked", "invalid"]
    assert shown.df.attrs["audit"]["settings"]["nameservers"] == [portfolio_dns.nameserver]
    assert shown.df.attrs["audit"]["settings"]["query_limit"] == 4
    page = shown.to_html()
    assert "Portfolio audit" in page and "3 domains" in page and "1 invalid name." in page
    assert page.count('onclick="') == len(views.sortable(shown.df).columns)  # the sortable table, headings clickable
    assert page.index("spf-plus-all.test") < page.index("smtpkit.test")  # worst first
    assert "3 of 3 domains, worst first" in page
    # the form's line beside Run says the panel's verdict (it said DONE above a FAIL panel)
    assert shown.status == "fail" and views.summary(shown.df).status == "fail"
    only_ok = views.audit_pasted("smtpkit.test", nameservers=[portfolio_dns.nameserver], selectors=None)
    assert only_ok.status == views.verdict_of_run(only_ok.df) != "fail"
    text = shown.to_text()
    assert "Portfolio audit" in text and "spf-plus-all.test" in text and "<table" not in text


def test_the_notebook_writes_every_run_of_a_kernel_to_one_default_folder_so_resume_finds_it(lab) -> None:  # type: ignore[no-untyped-def]
    """Without `out`, a run and the run that resumes it write to the same temporary folder (a new folder per run
    left `resume = True` nothing to continue); `resume` reaches smtpkit.audit only when asked."""
    _domains, first = views.inputs(lab, size=3)
    _domains, again = views.inputs(lab, size=3, resume=True)
    assert first["out"] == again["out"] == views.default_out() and first["out"].endswith("portfolio-audit.parquet")
    assert "resume" not in first and again["resume"] is True
    _domains, chosen = views.inputs(lab, size=3, out="/somewhere/mine.parquet")
    assert chosen["out"] == "/somewhere/mine.parquet"


def test_a_run_where_nothing_could_be_checked_is_no_pass() -> None:
    """Every domain 'could not check' (a DNS server that never answers): the summary never says PASS."""
    dead = _frame()
    dead = dead[dead["status"] == "could not check"]
    dead.attrs["audit"] = {"seconds": 1.0}
    shown = views.summary(dead)
    assert "PASS" not in shown.to_text() and "0 checked, 1 could not be checked" in shown.to_text()
    assert "PASS" in views.summary(_frame()[_frame()["grade"] == "A"]).to_text()  # one checked and fine: a pass


def test_a_missing_spf_or_dmarc_value_says_why_instead_of_an_empty_cell() -> None:
    """dmarc_policy, spf_all and spf_lookups were empty cells where a domain has no record: read as a gap in
    the table. The DataFrame keeps them empty (null); the table says why, for checked domains only."""
    rows = []
    for i, (codes, record) in enumerate(
        [
            (["spf.missing", "dmarc.missing"], None),
            (["spf.multiple_records", "dmarc.multiple_records"], None),
            (["spf.syntax_error", "dmarc.invalid_tag_value"], None),
            (["spf.no_all"], "v=spf1 mx"),
        ]
    ):
        row = empty_row(i, f"d{i}.example", f"d{i}.example")
        row.update(status="checked", grade="D", n_fail=1, n_warn=0, codes=codes, severities=["fail"] * len(codes))
        row.update(spf_record=record, spf_lookups=1 if record else None)
        rows.append(row)
    dead = empty_row(4, "dead.example", "dead.example")
    dead.update(status="could not check", status_reason="MX: timeout")
    df = frame([*rows, dead])
    assert df["dmarc_policy"].isna().all() and df["spf_all"].isna().all()  # the data stays empty
    table = views.sortable(df, columns=["domain", "dmarc_policy", "spf_all", "spf_lookups"])
    text = {line.split()[0]: line for line in table.to_text().splitlines() if line.startswith("d")}
    assert text["d0.example"].split()[1:] == ["no", "record", "no", "record", "no", "record"], text
    assert text["d1.example"].split()[1:] == ["several", "records"] * 3, text
    assert text["d2.example"].split()[1:] == ["unusable", "record"] * 3, text
    assert text["d3.example"].split()[1:] == ["unusable", "record", "no", "all", "1"], text
    assert text["dead.example"].split()[1:] == [], text  # not checked: nothing to say about its records
    assert '<span style="color:#57606a">no record</span>' in table.to_html()


def test_sorting_groups_the_words_of_missing_values_and_puts_weak_dkim_keys_together() -> None:
    """ "no record" and "unusable record" sorted as empty cells, so they stayed mixed; dkim_keys sorted by how many
    keys a domain has, so a revoked key and a 512-bit one sat among the 2048-bit ones."""
    rows = []
    for i, (codes, keys) in enumerate(
        [
            (["dmarc.missing"], ["s: rsa 2048"]),
            (["dmarc.syntax_error"], ["s: revoked (empty p=)"]),
            (["dmarc.missing"], ["s: rsa 512"]),
            (["dmarc.syntax_error"], []),
        ]
    ):
        row = empty_row(i, f"d{i}.example", f"d{i}.example")
        row.update(status="checked", grade="C", n_fail=1, n_warn=0, codes=codes, severities=["fail"], dkim_keys=keys)
        rows.append(row)
    page = views.sortable(frame(rows), columns=["domain", "dmarc_policy", "dkim_keys"]).to_html()
    keys = re.findall(r'<td data-k="([^"]*)"[^>]*>', page)
    assert keys[1::3] == ["no record", "unusable record", "no record", "unusable record"]  # grouped by a sort
    assert keys[2::3] == ["2048", "0", "512", "-1"]  # weakest key: none found, unusable, 512, 2048
    assert "none found" in page
