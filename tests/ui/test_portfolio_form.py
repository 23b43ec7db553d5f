"""Notebook 10's paste form: the practice lab's domains through the lab's DNS, your own through the DNS server you
type (a DNS server of the test's own here), bad values marked on their field and nothing run."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

from smtpkit.ui import PortfolioForm
from smtpkit.ui.portfolio import MAX_PASTED


@pytest.fixture(scope="module")
def shell() -> InteractiveShell:
    return InteractiveShell.instance()


@pytest.fixture(scope="module")
def own_dns() -> Iterator[Any]:
    """'Your' domain on a DNS server of the test's own (the lab knows nothing about it)."""
    from smtpkit.lab.dns_server import DnsServer
    from smtpkit.lab.zoneset import Record, ZoneSet

    zones = ZoneSet.from_records(
        [
            Record("mydomain.example", "SOA", "ns.mydomain.example. hostmaster.mydomain.example. 1 3600 600 86400 60"),
            Record("mydomain.example", "NS", "ns.mydomain.example."),
            Record("mydomain.example", "MX", (10, "mx.mydomain.example")),
            Record("mx.mydomain.example", "A", "127.0.0.1"),
            Record("mydomain.example", "TXT", "v=spf1 mx +all"),
        ]
    )
    with DnsServer(zones, "127.0.0.1") as server:
        yield server


def test_the_lab_s_domains_are_audited_through_the_lab(lab: Any, shell: InteractiveShell) -> None:
    form = PortfolioForm(lab=lab, domains="spf-plus-all.test\ndmarc-none--p000042.test\n")
    with capture_output() as cap:
        form.run()
    html, text = cap.outputs[0].data["text/html"], cap.outputs[0].data["text/plain"]
    assert "smtpkit-mode-lab" in html and f"the practice lab's DNS server ({lab.nameserver})" in text
    assert "Portfolio audit" in html and "2 domains" in text and "spf.plus_all" in html
    df = form.last_result.df
    assert list(df["status"]) == ["checked", "checked"] and set(df["resolver"]) == {lab.nameserver}
    lab_selectors = ", ".join(df.attrs["audit"]["settings"]["selectors"])
    assert f"DKIM selectors: {lab_selectors}" in text  # the banner says which selectors were looked under
    # the lab's DNS server typed by hand is the lab's too: the same selectors and grades as the empty field
    form.nameservers.value = lab.nameserver
    with capture_output() as cap:
        form.run()
    assert "smtpkit-mode-lab" in cap.outputs[0].data["text/html"]
    typed = form.last_result.df
    assert list(typed["grade"]) == list(df["grade"]) and list(typed["codes"]) == list(df["codes"])


def test_your_own_domains_go_to_the_dns_server_you_type(lab: Any, own_dns: Any, shell: InteractiveShell) -> None:
    form = PortfolioForm(lab=lab, domains="mydomain.example\n", selectors=["mail"], query_limit=3)
    assert form.selectors.value == "mail" and form.nameservers.value == ""
    form.nameservers.value = own_dns.nameserver
    with capture_output() as cap:
        form.run()
    html = cap.outputs[0].data["text/html"]
    assert "smtpkit-mode-own" in html and f"the DNS server you gave ({own_dns.nameserver})" in html
    assert lab.nameserver not in html and "DKIM selectors:</b> mail" in html
    df = form.last_result.df
    assert df.loc[0, "status"] == "checked" and df.loc[0, "resolver"] == own_dns.nameserver
    assert "spf.plus_all" in list(df.loc[0, "codes"])
    assert df.attrs["audit"]["settings"]["query_limit"] == 3 and df.attrs["audit"]["settings"]["selectors"] == ["mail"]


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("domains", "  \n ", "Nothing pasted"),
        ("domains", "spf-plus-all.test\nmydomain.example", "practice-lab domains (spf-plus-all.test) and others"),
        ("domains", "\n".join(f"d{i}.example" for i in range(MAX_PASTED + 1)), "at most 10,000 here"),
        ("nameservers", "127.0.0.1:99999", "DNS servers listen on 53"),
    ],
)
def test_bad_values_are_marked_and_nothing_runs(lab: Any, field: str, value: str, words: str) -> None:
    form = PortfolioForm(lab=lab, domains="mydomain.example")
    getattr(form, field).value = value
    calls: list[Any] = []
    form.action = calls.append
    form.click()
    assert calls == [] and words in form.fields.marked[field], form.fields.marked


def test_cancel_stops_the_audit_itself_not_only_its_display(shell: InteractiveShell) -> None:
    """Cancel ended the form's display at once but left the audit asking a DNS server that never answers until
    every domain's deadline had passed, in a thread no one could stop. Now the audit itself stops."""
    import socket
    import threading
    import time

    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # a DNS server that never answers
    silent.bind(("127.0.0.1", 0))
    try:
        domains = "\n".join(f"d{i}.example" for i in range(40))
        form = PortfolioForm(domains=domains, nameservers=f"127.0.0.1:{silent.getsockname()[1]}")
        with capture_output():
            form.results()
            form.run_button.click()
            time.sleep(1.0)
            assert form.running
            pressed = time.monotonic()
            form.cancel()
            assert form.wait(1.5), "Cancel must stop the audit"
        workers = [t for t in threading.enumerate() if t.name == "smtpkit-form" and t.is_alive()]
        assert workers == [] and time.monotonic() - pressed < 1.5
        assert "background" not in form.last_shown.to_text()  # stopped, not given up on while it went on
    finally:
        silent.close()
