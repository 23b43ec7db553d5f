"""Reply rules for the servers people run (Exim, OpenSMTPD, Sendmail, qmail, Exchange, Courier, Domino,
Zimbra, MDaemon, hMailServer): each rule's real text gives its finding, and context decides relay vs unknown."""

from __future__ import annotations

import importlib

import pytest

from smtpkit.knowledge.rules import ReplyRule, classify_reply, classify_wire, match_rule

SERVERS = (
    "exim",
    "opensmtpd",
    "sendmail",
    "qmail",
    "exchange",
    "courier",
    "domino",
    "zimbra",
    "mdaemon",
    "hmailserver",
)
RULES: list[ReplyRule] = [r for m in SERVERS for r in importlib.import_module(f"smtpkit.knowledge.rules.{m}").RULES]


def _stage(r: ReplyRule) -> str:
    return "rcpt" if not r.stages or "rcpt" in r.stages else r.stages[0]


@pytest.mark.parametrize("r", RULES, ids=[r.name for r in RULES])
def test_each_rule_explains_its_own_real_text(r: ReplyRule) -> None:
    assert r.example and r.reference
    found = classify_wire(_stage(r), r.example)
    assert found is not None and found.code == r.finding
    rule, _ = match_rule(_stage(r), int(r.example[:3]), r.example[4:])
    assert rule.name == r.name, "a more general rule took this text first"


def test_a_bounce_and_a_session_name_the_same_cause() -> None:
    # the qmail reply as a live session meets it and as a bounce quotes it
    live = classify_reply("rcpt", 550, "sorry, no mailbox here by that name. (#5.1.1)")
    pasted = classify_wire("rcpt", "550 sorry, no mailbox here by that name. (#5.1.1)")
    assert live is not None and pasted is not None and live.code == pasted.code == "send.recipient_unknown"


CONTEXT = {"host": "mail.example.com", "rcpt_to": "bob@elsewhere.example"}


def test_ambiguous_refusal_without_login_for_an_outside_domain_is_relay_denied() -> None:
    f = classify_reply("rcpt", 550, "Invalid recipient: <bob@elsewhere.example>", authenticated=False, **CONTEXT)
    assert f is not None and f.code == "send.relay_denied"
    assert "log in first" in f.explanation and f.fix.startswith("Log in first")


@pytest.mark.parametrize(
    ("context", "code"),
    [
        ({**CONTEXT, "authenticated": True}, "send.recipient_unknown"),  # logged in: the address is the problem
        ({"host": "mail.example.com", "rcpt_to": "bob@example.com", "authenticated": False}, "send.recipient_unknown"),
        ({**CONTEXT}, "send.recipient_unknown"),  # no session facts (a pasted reply): the words decide
        ({**CONTEXT, "authenticated": False, "local_domains": ["elsewhere.example"]}, "send.recipient_unknown"),
    ],
)
def test_context_keeps_unknown_recipient_where_it_is_one(context: dict[str, object], code: str) -> None:
    f = classify_reply("rcpt", 550, "Invalid recipient: <bob@elsewhere.example>", **context)  # type: ignore[arg-type]
    assert f is not None and f.code == code


def test_context_does_not_touch_clear_replies() -> None:
    f = classify_reply("rcpt", 552, "5.2.2 Over quota", authenticated=False, **CONTEXT)
    assert f is not None and f.code == "send.mailbox_full"
