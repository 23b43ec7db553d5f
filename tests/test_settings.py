"""The one settings model (`smtpkit.settings`): Target, DomainQuery, PortsQuery and the validators.

Every front end builds these objects, so a bad value gets one answer: an
`InvalidSettings` naming the field and the fix, from `diagnose`, `check_domain`,
`check_ports` and the constructors alike, and exit 2 with the same message from
the CLI (one JSON document under --json). No password typed into a value ever
comes back in a message.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from smtpkit import record
from smtpkit.checks.domain import check_domain
from smtpkit.checks.ports import check_ports
from smtpkit.checks.session import diagnose
from smtpkit.cli import main
from smtpkit.errors import InvalidSettings, SmtpkitError
from smtpkit.secrets import REDACTED, redact
from smtpkit.settings import (
    Target,
    TargetError,
    normalize_host,
    parse_host,
    validate_address,
    validate_cafile,
    validate_domain,
    validate_helo,
    validate_ip,
    validate_nameserver,
    validate_ports,
    validate_seconds,
    validate_selector,
    without_password,
)
from smtpkit.settings.domain import DomainQuery
from smtpkit.settings.ports import PortsQuery

# -- Target ------------------------------------------------------------------------------


def test_target_defaults_and_normalisation() -> None:
    t = Target("  SMTP.Example.COM. ")
    assert (t.host, t.port, t.security) == ("smtp.example.com", 587, "auto")
    assert Target("smtp.example.com", security="ssl").port == 465  # tls mode defaults to 465
    assert Target("smtp.example.com:2525").port == 2525
    assert Target("smtp.example.com", port="2525", timeout="2.5").port == 2525  # what a CLI flag gives
    assert Target("smtps://smtp.example.com").security == "tls"
    assert Target("[2001:db8::1]:25").host == "2001:db8::1"
    assert Target("bücher.example").host == "xn--bcher-kva.example"
    assert Target("10.0.0.1", helo="10.0.0.2").helo == "[10.0.0.2]"
    assert Target("h.example", nameservers="127.0.0.1:5353, 192.0.2.53").nameservers == (
        "127.0.0.1:5353",
        "192.0.2.53",
    )


def test_target_fields_have_concrete_types_and_replace_validates_again() -> None:
    t = Target("smtp.example.com", port="25", timeout="3", deadline="30", auth_mechanism="plain")
    assert (type(t.port), type(t.timeout), type(t.deadline), t.auth_mechanism) == (int, float, float, "PLAIN")
    sent = record.replace(t, mail_from="a@b.example", rcpt_to="c@d.example", send=True)
    assert sent.send and sent.rcpt_to == ("c@d.example",) and sent.port == 25
    with pytest.raises(InvalidSettings, match="line feed"):
        record.replace(t, helo="x\nMAIL FROM:<a@b>")


@pytest.mark.parametrize(
    "kwargs, field, words",
    [
        ({"host": "smtp.example.com\r\nRCPT TO:<x@y>"}, "host", "carriage return"),
        ({"host": "smtp.exa mple.com"}, "host", "space"),
        ({"host": "me@example.com"}, "host", "email address"),
        ({"host": "smtp.example.com", "port": 70000}, "port", "out of range"),
        ({"host": "smtp.example.com", "port": "abc"}, "port", "not a number"),
        ({"host": "smtp.example.com", "port": "٥٨٧"}, "port", "digits 0-9"),
        ({"host": "smtp.example.com", "port": 587.5}, "port", "whole number"),
        ({"host": "smtp.example.com:25", "port": 587}, "port", "pick one"),
        ({"host": "smtp.example.com", "security": "maybe"}, "security", "not one of"),
        ({"host": "smtp.example.com", "helo": "evil\nMAIL FROM:<x@y>"}, "helo", "line feed"),
        ({"host": "smtp.example.com", "helo": "a" * 300 + ".example"}, "helo", "characters"),
        (
            {"host": "smtp.example.com", "mail_from": "a@b.example\r\nRCPT TO:<c@d>", "rcpt_to": "x@y.example"},
            "mail_from",
            "carriage",
        ),
        (
            {"host": "smtp.example.com", "mail_from": "You <a@b.example>", "rcpt_to": "x@y.example"},
            "mail_from",
            "display name",
        ),
        (
            {"host": "smtp.example.com", "mail_from": "a@b.example", "rcpt_to": "not-an-address"},
            "rcpt_to",
            "name@domain",
        ),
        ({"host": "smtp.example.com", "rcpt_to": "x@y.example"}, "mail_from", "without a sender"),
        ({"host": "smtp.example.com", "send": True}, "send", "needs mail_from"),
        ({"host": "smtp.example.com", "username": "me\x00"}, "username", "NUL"),
        ({"host": "smtp.example.com", "timeout": 0}, "timeout", "out of range"),
        ({"host": "smtp.example.com", "timeout": "1e308"}, "timeout", "out of range"),
        ({"host": "smtp.example.com", "timeout": float("nan")}, "timeout", "out of range"),
        ({"host": "smtp.example.com", "deadline": float("inf")}, "deadline", "out of range"),
        ({"host": "smtp.example.com", "cafile": "/nonexistent/ca.pem"}, "cafile", "does not exist"),
        ({"host": "smtp.example.com", "auth_mechanism": "GSSAPI"}, "auth_mechanism", "not one of"),
        ({"host": "smtp.example.com", "nameservers": "127.0.0.1:99999"}, "nameservers", "out of range"),
        ({"host": "ftp://example.com"}, "host", "ftp://"),
        ({"host": "fe80::1%lo"}, "host", "scope id"),
        ({"host": "１２７.0.0.1"}, "host", "0-9"),
    ],
)
def test_target_rejects_bad_input_with_a_clear_message(kwargs: dict[str, Any], field: str, words: str) -> None:
    with pytest.raises(InvalidSettings) as info:
        Target(**kwargs)
    assert info.value.field == field
    assert words in str(info.value)
    assert len(str(info.value)) < 600  # a huge value is quoted, not repeated whole


def test_every_refused_field_is_reported_at_once_the_first_as_the_message() -> None:
    """A form marks every field one Run refuses, and the command line prints each: `also` holds the others."""
    with pytest.raises(InvalidSettings) as info:
        Target(host="", port="x", helo="a b", timeout="abc", mail_from="me@example.com", rcpt_to="friend@")
    exc = info.value
    assert exc.field == "host" and "host" in str(exc).lower()  # the first, as a stop at the first gave
    assert [o.field for o in exc.also] == ["port", "helo", "rcpt_to", "timeout"]
    assert "without a recipient" not in " ".join(map(str, exc.also))  # a refused recipient is not also "missing"
    with pytest.raises(InvalidSettings) as info:
        Target(host="smtp.example.com:70000", timeout="abc")
    assert [info.value.field, *(o.field for o in info.value.also)] == ["port", "timeout"]  # not also "host empty"
    with pytest.raises(InvalidSettings) as info:
        DomainQuery("bad domain", ip="1.2.3", selectors="bad selector!", timeout="0", nameservers="127.0.0.1:x")
    assert [info.value.field, *(o.field for o in info.value.also)] == [
        "domain",
        "selectors",
        "ip",
        "timeout",
        "nameservers",
    ]
    with pytest.raises(InvalidSettings) as info:
        Target(host="smtp.example.com", port="x")
    assert info.value.also == ()  # one refusal: nothing else to say


def test_the_command_line_prints_every_refused_option(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["domain", "bad domain", "--ip", "1.2.3", "--timeout", "0"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 3 and all(line.startswith("smtpkit domain: error: ") for line in err)
    assert "holds spaces" in err[0] and "not an IP address" in err[1] and "out of range" in err[2]
    assert main(["domain", "bad domain", "--ip", "1.2.3", "--json"]) == 2
    doc = json.loads(capsys.readouterr().out)
    assert doc["field"] == "domain" and [a["field"] for a in doc["also"]] == ["ip"]


def test_target_error_is_the_one_contract() -> None:
    assert TargetError is InvalidSettings
    assert issubclass(InvalidSettings, SmtpkitError) and issubclass(InvalidSettings, ValueError)


def test_addresses_and_helo_names() -> None:
    assert validate_address("rcpt_to", "<bob@Example.COM>", "r") == "bob@Example.COM"
    assert validate_address("rcpt_to", "jörg@bücher.example", "r") == "jörg@xn--bcher-kva.example"
    assert validate_helo("[192.0.2.1]") == "[192.0.2.1]"
    assert validate_helo("2001:db8::1") == "[IPv6:2001:db8::1]"
    with pytest.raises(InvalidSettings):
        validate_helo("[not-an-ip]")
    assert Target("h.example", mail_from="a@b.example", rcpt_to="x@y.example, z@w.example").rcpt_to == (
        "x@y.example",
        "z@w.example",
    )
    assert parse_host("submission://mail.example.com:587") == ("mail.example.com", 587, None)
    long_local = "a" * 64 + "@" + "b" * 60 + "." + "c" * 60 + "." + "d" * 60 + ".example"
    with pytest.raises(InvalidSettings, match="254"):
        validate_address("sender", long_local, "--sender")
    with pytest.raises(InvalidSettings, match="64 octets"):
        validate_address("sender", "x" * 65 + "@example.com", "--sender")


def test_target_dict_never_holds_a_secret() -> None:
    t = Target("smtp.example.com", username="me@example.com", credential="password")
    d = t.to_dict()
    assert d["credential"] == "password" and "password" not in {k for k in d if k != "credential"}


# -- the validators, one each ---------------------------------------------------------------


@pytest.mark.parametrize("value", ["1e308", "inf", "-inf", "nan", "0", "-1", "1e400", 10**400, True, "١٠", "１０", "x"])
def test_seconds_refuses_what_passes_a_naive_range_check(value: object) -> None:
    with pytest.raises(InvalidSettings) as info:
        validate_seconds(value, field="dns_timeout", label="--dns-timeout", maximum=60)
    assert info.value.field == "dns_timeout" and "--dns-timeout" in str(info.value)


def test_seconds_accepts_numbers_and_their_text() -> None:
    assert validate_seconds("2.5") == 2.5 and validate_seconds(3) == 3.0 and validate_seconds(" 600 ") == 600.0


@pytest.mark.parametrize(
    "value, words",
    [
        ("fe80::1%lo", "scope id"),
        ("fe80::1%25eth0", "scope id"),
        ("[fe80::1%lo]", "scope id"),
        ("1.2.3.٤", "0-9"),  # an Arabic-Indic digit
        ("１.2.3.4", "0-9"),  # a fullwidth digit
        ("::ffff:1.2.3.٤", "0-9"),
        ("mail.example.com", "not an IP address"),
        ("1.2.3.4\r\n", "carriage return"),
        ("", "empty"),
    ],
)
def test_ip_refuses_scope_ids_and_foreign_digits(value: str, words: str) -> None:
    with pytest.raises(InvalidSettings, match=words) as info:
        validate_ip(value)
    assert info.value.field == "ip"


def test_ip_is_canonical() -> None:
    assert validate_ip(" [2001:DB8::0:1] ") == "2001:db8::1"
    assert validate_ip("::ffff:127.0.0.1") == "::ffff:127.0.0.1"
    assert normalize_host("[::1]") == "::1"


@pytest.mark.parametrize(
    "value, words",
    [
        ("1.2.3.4", "is an IP address, not a domain"),
        ("2001:db8::1", "is an IP address, not a domain"),
        ("[192.0.2.1]", "is an IP address, not a domain"),
        ("1.2.3.٤", "is an IP address, not a domain"),
        ("example.123", "all digits"),
        ("user@example.com", "e-mail address"),
        ("https://example.com/page", "URL"),
        ("localhost", "needs a dot"),
        ("exa mple.com", "holds spaces"),
        ("not a domain", "holds spaces"),
        ("example.com\nevil", "line feed"),
        ("", "empty"),
    ],
)
def test_domain_refusals_say_what_to_give_instead(value: str, words: str) -> None:
    with pytest.raises(InvalidSettings, match=words):
        validate_domain(value)


def test_domain_idn_and_case() -> None:
    assert validate_domain(" Bücher.Example. ") == "xn--bcher-kva.example"
    assert validate_domain("_spf.Example.com") == "_spf.example.com"


def test_nameservers_selectors_ports_cafile(tmp_path: Path) -> None:
    assert validate_nameserver("127.0.0.1:5353") == "127.0.0.1:5353"
    assert validate_nameserver("[::1]:5353") == "[::1]:5353"
    assert validate_nameserver("2001:db8::53") == "2001:db8::53"
    assert validate_nameserver("NS1.Example.com") == "ns1.example.com"
    for bad in ("127.0.0.1:0", "[::1", "fe80::1%lo", "127.0.0.1:٥٣", "ns 1.example"):
        with pytest.raises(InvalidSettings):
            validate_nameserver(bad)
    for bad in ("127.0.0.1:70000", "[::1]:0", "127.0.0.1:dns"):  # a DNS server's port: not the mail ports
        with pytest.raises(InvalidSettings, match="DNS servers listen on 53") as info:
            validate_nameserver(bad)
        assert "2525" not in str(info.value) and info.value.field == "nameservers"
    assert validate_selector("S1._domainkey.example.com") == "s1"
    assert validate_selector("s=google") == "google"
    with pytest.raises(InvalidSettings, match="selector"):
        validate_selector("bad selector")
    assert validate_ports("25, 465,587,587") == [25, 465, 587]
    for bad in ("", "abc", "0", "70000", ",".join(str(p) for p in range(1000, 1040))):
        with pytest.raises(InvalidSettings) as info:
            validate_ports(bad)
        assert info.value.field == "ports"
    bogus = tmp_path / "ca.pem"
    bogus.write_text("this is not a certificate\n")
    with pytest.raises(InvalidSettings, match="no usable PEM certificate"):
        validate_cafile(str(bogus))
    with pytest.raises(InvalidSettings, match="not a file"):
        validate_cafile(str(tmp_path))


# -- DomainQuery and PortsQuery ----------------------------------------------------------------


def test_domain_query_validates_and_normalises() -> None:
    q = DomainQuery(
        " Example.COM. ", ("S1._domainkey.example.com", "google", "google"), " 192.0.2.1 ", "<Bounce@Mail.Example.com>"
    )
    assert (q.domain, q.selectors, q.ip, q.mail_from) == (
        "example.com",
        ("s1", "google"),
        "192.0.2.1",
        "Bounce@mail.example.com",
    )
    assert q.spf_domain == "mail.example.com"
    assert DomainQuery("bücher.example").domain == "xn--bcher-kva.example"
    assert DomainQuery("example.com", selectors="s1; s2 ,").selectors == ("s1", "s2")  # as a form has them
    assert DomainQuery("example.com", mail_from="mail.example.com").mail_from == "postmaster@mail.example.com"
    assert DomainQuery("example.com", timeout=8).query_timeout == 2.0
    assert DomainQuery("example.com", timeout=3, dns_timeout=5).query_timeout == 3.0
    for bad, msg in [
        ("user@example.com", "e-mail address"),
        ("https://example.com/page", "URL"),
        ("localhost", "needs a dot"),
        ("exa mple.com", "holds spaces"),
        ("not a domain", "holds spaces"),
        ("1.2.3.4", "IP address"),
        ("", "empty"),
    ]:
        with pytest.raises(InvalidSettings, match=msg):
            DomainQuery(bad)
    with pytest.raises(InvalidSettings, match="not an IP address"):
        DomainQuery("example.com", ip="mail.example.com")
    with pytest.raises(InvalidSettings, match="scope id"):
        DomainQuery("example.com", ip="fe80::1%lo")
    with pytest.raises(InvalidSettings, match="selector"):
        DomainQuery("example.com", selectors=("bad selector",))
    with pytest.raises(InvalidSettings, match="no domain"):
        DomainQuery("example.com", mail_from="bounces@")
    with pytest.raises(InvalidSettings, match="out of range"):
        DomainQuery("example.com", timeout=0)
    with pytest.raises(InvalidSettings, match="out of range"):
        DomainQuery("example.com", dns_timeout="1e308")


def test_ports_query() -> None:
    q = PortsQuery("smtp://Mail.Example.com:587", "465, 587", timeout="2")
    assert (q.host, q.ports, q.timeout) == ("mail.example.com", (465, 587), 2.0)


# -- passwords typed where they do not belong ----------------------------------------------------

# no word of the kit's own text in it: the redactor removes any 5 characters of a secret (issue 14)
PASSWORD = "Zq8-Hunter2-Wv3x"


@pytest.mark.parametrize(
    "typed",
    [
        f"smtp://me:{PASSWORD}@smtp.example.com",
        f"me:{PASSWORD}@smtp.example.com",
        f"me@example.com:{PASSWORD}@smtp.example.com",  # an address as the user name
        f"smtps://me@example.com:{PASSWORD}@smtp.example.com:465",
        f"me:{PASSWORD}@with:colon@smtp.example.com",
    ],
)
def test_a_password_in_a_host_is_redacted_and_registered(typed: str) -> None:
    shown = without_password(typed)
    assert PASSWORD not in shown and REDACTED in shown
    assert PASSWORD not in redact(f"a log line that repeats {typed}")  # the redactor knows it now
    for build in (lambda: Target(typed), lambda: PortsQuery(typed), lambda: DomainQuery(typed)):
        with pytest.raises(InvalidSettings) as info:
            build()
        assert PASSWORD not in str(info.value)


def test_without_password_keeps_everything_else() -> None:
    assert without_password("smtp://u:p@h:25") == "smtp://u:<redacted>@h:25"
    assert without_password("me@example.com") == "me@example.com"  # an address, not credentials
    assert without_password("me@example.com:587") == "me@example.com:587"
    assert without_password("[::1]:25") == "[::1]:25"


# -- one contract: the same bad value, the same answer from every entry point ------------------


def _api_calls(**settings: Any) -> list[Callable[[], Any]]:
    host = settings.pop("host", "127.0.0.1")
    calls: list[Callable[[], Any]] = [
        lambda: diagnose(host, **settings),
        lambda: check_ports(host, [25], **{k: v for k, v in settings.items() if k in ("timeout", "cafile", "helo")}),
    ]
    return calls


@pytest.mark.parametrize(
    "settings, argv_tail, field",
    [
        ({"timeout": "1e308"}, ["--timeout", "1e308"], "timeout"),
        ({"timeout": "nan"}, ["--timeout", "nan"], "timeout"),
        ({"helo": "a\r\nQUIT"}, ["--helo", "a\r\nQUIT"], "helo"),
        ({"cafile": "/nonexistent/ca.pem"}, ["--cafile", "/nonexistent/ca.pem"], "cafile"),
        ({"host": "fe80::1%lo"}, [], "host"),
        ({"host": f"me@example.com:{PASSWORD}@smtp.example.com"}, [], "host"),
    ],
)
def test_session_and_ports_refuse_alike(
    capsys: pytest.CaptureFixture[str], settings: dict[str, Any], argv_tail: list[str], field: str
) -> None:
    host = settings.get("host", "127.0.0.1")
    messages = set()
    for call in _api_calls(**dict(settings)):
        with pytest.raises(InvalidSettings) as info:
            call()
        assert info.value.field == field
        messages.add(str(info.value))
    assert len(messages) == 1, messages
    message = messages.pop()
    assert PASSWORD not in message
    for command in ("check", "ports"):
        assert main([command, host, *argv_tail]) == 2
        captured = capsys.readouterr()
        assert captured.out == "" and message in captured.err
        assert main([command, host, *argv_tail, "--json"]) == 2
        captured = capsys.readouterr()
        doc = json.loads(captured.out)  # exactly one document
        assert doc["error"] == message and doc["exit_code"] == 2 and doc["field"] == field
        assert PASSWORD not in captured.out + captured.err


@pytest.mark.parametrize(
    "kwargs, argv",
    [
        ({"domain": "1.2.3.4"}, ["1.2.3.4"]),
        ({"domain": "example.com", "ip": "fe80::1%lo"}, ["example.com", "--ip", "fe80::1%lo"]),
        ({"domain": "example.com", "timeout": "1e308"}, ["example.com", "--timeout", "1e308"]),
        ({"domain": "example.com", "dns_timeout": "inf"}, ["example.com", "--dns-timeout", "inf"]),
        ({"domain": f"smtp://me:{PASSWORD}@example.com"}, [f"smtp://me:{PASSWORD}@example.com"]),
    ],
)
def test_domain_refuses_alike(capsys: pytest.CaptureFixture[str], kwargs: dict[str, Any], argv: list[str]) -> None:
    with pytest.raises(InvalidSettings) as info:
        check_domain(**kwargs)
    message = str(info.value)
    assert PASSWORD not in message
    assert main(["domain", *argv, "--json"]) == 2
    captured = capsys.readouterr()
    assert json.loads(captured.out)["error"] == message
    assert PASSWORD not in captured.out + captured.err


def test_a_settings_object_and_loose_settings_are_not_mixed() -> None:
    with pytest.raises(InvalidSettings, match="put every setting in the Target"):
        diagnose(Target("127.0.0.1"), port=25)
    with pytest.raises(InvalidSettings, match="DomainQuery"):
        check_domain(DomainQuery("example.com"), ip="192.0.2.1")
    with pytest.raises(InvalidSettings, match="PortsQuery"):
        check_ports(PortsQuery("127.0.0.1"), timeout=1)


def test_recipients_follow_one_rule_from_every_front_end() -> None:
    """A form's field, a notebook parameter and --rcpt-to (repeated or with commas) give the same recipients."""
    from smtpkit.settings import Target

    def rcpt(value: object) -> tuple[str, ...]:
        return Target(host="mail.example.com", mail_from="me@example.com", rcpt_to=value).rcpt_to  # type: ignore[arg-type]

    both = ("a@example.org", "b@example.org")
    assert rcpt("a@example.org, b@example.org") == both
    assert rcpt("a@example.org; b@example.org") == both
    assert rcpt(["a@example.org", "b@example.org"]) == both
    assert rcpt(["a@example.org, b@example.org"]) == both  # --rcpt-to "a, b" is what the form takes too
    assert rcpt(["a@example.org", " "]) == ("a@example.org",)


def test_with_credential_is_replace_without_validating_again() -> None:
    """What diagnose() does with a ready Target once it knows which secret came (start-up, issue 8 §5)."""
    t = Target("smtp.example.com:465", username="me@example.com", rcpt_to="a@example.org", mail_from="b@example.org")
    for credential in ("password", "oauth", "none"):
        assert t.with_credential(credential) == record.replace(t, credential=credential)
    assert t.credential == "none"  # the original is untouched (frozen)
    with pytest.raises(InvalidSettings) as err:
        t.with_credential("hunter2")
    assert err.value.field == "credential"


def test_a_dns_server_refusal_gives_a_dns_server_as_its_example() -> None:
    """It gave the sending IP's example (192.0.2.10), and no port, for a field that takes host[:port]."""
    with pytest.raises(InvalidSettings) as info:
        DomainQuery("example.com", nameservers="1.2.3")
    assert "give one like 192.0.2.53, [2001:db8::53] or 127.0.0.1:5353" in str(info.value)


def test_a_refusal_keeps_its_field_and_the_other_refusals_across_processes() -> None:
    """A pool process or a Dask worker sends an exception back pickled: the form marks fields from `field` and
    `also`, so both must survive the trip."""
    import pickle

    from smtpkit.errors import InvalidSettings

    refused = InvalidSettings("port 0 is out of range", field="port")
    refused.also = (InvalidSettings("host is empty", field="host"),)
    back = pickle.loads(pickle.dumps(refused))
    assert (str(back), back.field) == ("port 0 is out of range", "port")
    assert [(str(e), e.field) for e in back.also] == [("host is empty", "host")]
