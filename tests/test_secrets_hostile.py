"""The redactor against partial, split and case-changed echoes of a secret (issue 14, item 11).

A server that echoes the AUTH PLAIN blob minus its last 6 characters shows
base64 that decodes to ``\\0user\\0p@ss wor``; re-sent in 4-character groups, or
the decoded credentials upper-cased, it passed the redactor, which knew only
whole-secret forms, case-sensitively. The promise now: no run of 5 characters
of a registered secret (5 or more characters long) survives, in any case, in
any per-character encoding, nor 5 bytes of it in any base64, whitespace-split
or not, at any alignment. `tests.support.leaks` judges that independently.

And ordinary text is not destroyed wholesale: the share of a normal transcript
a random password takes with it is measured here (and printed by
benchmarks/redact.py).
"""

from __future__ import annotations

import base64
import json
import secrets as pysecrets
import string
import urllib.parse

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from smtpkit.knowledge.catalogue import catalogue
from smtpkit.secrets import REDACTED, RUN, Redactor
from tests.support.leaks import leaks

_PASSWORD_CHARS = string.ascii_letters + string.digits + "!#$%&()*+,-./:;<=>?@[]^_{|}~ äöüßé€"
_secret = st.text(alphabet=_PASSWORD_CHARS, min_size=RUN, max_size=40).filter(lambda s: "redac" not in s.lower())
_user = st.sampled_from(["alice@example.test", "lab@smtpkit.test", "", "ü@x.test", "bob"])
_filler = st.text(alphabet=string.ascii_letters + string.digits + " .:-<>[]()=\r\n\t", max_size=60)


def _b64(data: bytes, urlsafe: bool = False) -> str:
    return (base64.urlsafe_b64encode if urlsafe else base64.b64encode)(data).decode()


def _case(text: str, how: str) -> str:
    return {"as is": text, "upper": text.upper(), "lower": text.lower(), "swap": text.swapcase()}[how]


def _blob(kind: str, user: str, secret: str) -> bytes:
    return {
        "plain": f"\0{user}\0{secret}",
        "plain-authzid": f"{user}\0{user}\0{secret}",
        "login": secret,
        "xoauth2": f"user={user}\x01auth=Bearer {secret}\x01\x01",
    }[kind].encode("utf-8")


def _grouped(text: str, size: int, sep: str) -> str:
    return sep.join(text[i : i + size] for i in range(0, len(text), size))


@settings(max_examples=500, deadline=None)
@given(
    secret=_secret,
    user=_user,
    kind=st.sampled_from(["plain", "plain-authzid", "login", "xoauth2"]),
    cut_end=st.integers(0, 12),
    cut_start=st.integers(0, 3),
    group=st.sampled_from([0, 1, 2, 3, 4, 5, 8, 76]),
    sep=st.sampled_from([" ", "\n", "\r\n", "\t", "  "]),
    urlsafe=st.booleans(),
    case=st.sampled_from(["as is", "upper", "lower"]),
    before=_filler,
    after=_filler,
)
def test_base64_echoes_cut_and_split_never_carry_five_bytes(  # type: ignore[no-untyped-def]
    secret, user, kind, cut_end, cut_start, group, sep, urlsafe, case, before, after
) -> None:
    r = Redactor()
    r.register(secret)  # only the secret: the protection must not depend on knowing the user name
    blob = _b64(_blob(kind, user, _case(secret, case)), urlsafe)
    blob = blob[cut_start : len(blob) - cut_end]
    if group:
        blob = _grouped(blob, group, sep)
    text = f"{before}S: 535 5.7.8 {blob} not accepted{after}"
    out = r.redact(text)
    assert not leaks(out, secret), (text, out)


@settings(max_examples=500, deadline=None)
@given(
    secret=_secret,
    data=st.data(),
    case=st.sampled_from(["as is", "upper", "lower", "swap"]),
    encoding=st.sampled_from(["raw", "percent", "percent-plus", "json", "json-ascii", "repr", "hex", "HEX", "base64"]),
    before=_filler,
    after=_filler,
)
def test_partial_echoes_in_any_case_and_encoding_never_survive(  # type: ignore[no-untyped-def]
    secret, data, case, encoding, before, after
) -> None:
    start = data.draw(st.integers(0, len(secret) - RUN))
    end = data.draw(st.integers(start + RUN, len(secret)))
    part = _case(secret[start:end], case)
    shown = {
        "raw": part,
        "percent": urllib.parse.quote(part, safe=""),
        "percent-plus": urllib.parse.quote_plus(part),
        "json": json.dumps(part, ensure_ascii=False)[1:-1],
        "json-ascii": json.dumps(part)[1:-1],
        "repr": repr(part)[1:-1],
        "hex": part.encode().hex(),
        "HEX": part.encode().hex().upper(),
        "base64": _b64(part.encode()),
    }[encoding]
    assume(encoding != "base64" or case in ("as is", "upper", "lower"))  # base64 of a mixed-case copy is not it
    r = Redactor()
    r.register(secret)
    out = r.redact(f"{before}{shown}{after}")
    assert not leaks(out, secret), (shown, out)


@settings(max_examples=300, deadline=None)
@given(secret=_secret, text=_filler)
def test_redaction_is_stable_and_only_touches_what_it_must(secret: str, text: str) -> None:
    r = Redactor()
    r.register(secret)
    out = r.redact(text)
    assert r.redact(out) == out
    if not leaks(text, secret):
        assert out == text or REDACTED in out  # a base64 signature across words is the only other trigger


def test_the_issue_reproducers() -> None:
    r = Redactor()
    r.register_auth("user", "p@ss word")
    blob = _b64(b"\0user\0p@ss word")
    for echo in [
        blob[:-6],  # decodes to \0user\0p@ss wor
        _grouped(blob, 4, " "),  # the blob re-sent in 4-character groups
        "\\0USER\\0P@SS WORD",  # the decoded credentials upper-cased
        "p@ss wor",
        "P@SS WO",
        _grouped(blob[2:-3], 4, "\r\n"),
    ]:
        out = r.redact(f"535 5.7.8 {echo} rejected")
        assert not leaks(out, "p@ss word"), (echo, out)
        assert out.startswith("535 5.7.8 ") and out.endswith(" rejected")


def test_a_secret_sharing_letters_with_the_marker_does_not_grow_it() -> None:
    r = Redactor()
    r.register("xx-redacted-yy")
    once = r.redact("the password xx-redacted-yy was refused")
    assert r.redact(once) == once and once.count(REDACTED) == 1


# -- ordinary text is not destroyed wholesale ----------------------------------------------------------------

TRANSCRIPT = """\
S: 220 mail.example.com ESMTP Postfix (Debian/GNU)
C: EHLO client.example.org
S: 250-mail.example.com
S: 250-PIPELINING
S: 250-SIZE 10240000
S: 250-VRFY
S: 250-ETRN
S: 250-STARTTLS
S: 250-AUTH PLAIN LOGIN XOAUTH2
S: 250-ENHANCEDSTATUSCODES
S: 250-8BITMIME
S: 250-DSN
S: 250 SMTPUTF8
C: STARTTLS
S: 220 2.0.0 Ready to start TLS
(TLS 1.3, TLS_AES_256_GCM_SHA384, certificate CN=mail.example.com, issuer R3, valid until 2026-03-01)
C: AUTH PLAIN <redacted>
S: 535 5.7.8 Username and Password not accepted. For more information, go to
S: 535 5.7.8  https://support.google.com/mail/?p=BadCredentials d75a77b69052e-4a6b3f1c2e5si123456qtb.12 - gsmtp
C: MAIL FROM:<alice@example.org> SIZE=2048
S: 250 2.1.0 Ok
C: RCPT TO:<bob@example.net>
S: 550 5.7.1 <bob@example.net>: Relay access denied
DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.org; s=selector1;
 h=from:to:subject:date:message-id; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=;
 b=dzdVyOfAKCdLXdJOc9G2q8LoXSlEniSbav+yuU4zGeeruD00lszZVoG4ZHRNiYzR
Received: from mail-sor-f41.google.com (mail-sor-f41.google.com [209.85.220.41])
        by mx.example.net (Postfix) with ESMTPS id 4Xyz7Q0Lm2z9sWk
        for <bob@example.net>; Tue, 02 Dec 2025 09:27:41 +0000 (UTC)
v=spf1 include:_spf.google.com ip4:192.0.2.0/24 ~all
v=DMARC1; p=reject; rua=mailto:dmarc@example.org; adkim=s; aspf=r; pct=100
"""


def _corpus() -> list[str]:
    texts = [TRANSCRIPT]
    for spec in catalogue().values():
        texts += [spec.title, spec.explanation, spec.fix]
    return texts


def sample_passwords(n: int) -> list[str]:
    rng = pysecrets.SystemRandom()
    words = ["Summer", "Winter", "Password", "Welcome", "Dragon", "Monkey", "Letmein", "Football", "Mail", "Server"]
    out = []
    for i in range(n):
        if i % 3 == 0:  # what people type: a word, a year, a sign
            out.append(rng.choice(words) + str(rng.randint(1990, 2030)) + rng.choice("!?#$."))
        elif i % 3 == 1:  # a generated password
            out.append("".join(rng.choice(_PASSWORD_CHARS.strip()) for _ in range(rng.randint(10, 20))))
        else:  # an OAuth access token
            out.append("ya29." + pysecrets.token_urlsafe(rng.randint(40, 120)))
    return out


def redacted_share(secret: str, texts: list[str]) -> float:
    """The share of the characters of `texts` that redacting `secret` removes."""
    r = Redactor()
    r.register(secret)
    total = sum(len(t.replace(REDACTED, "")) for t in texts)  # markers already there are not ours
    kept = sum(len(r.redact(t).replace(REDACTED, "")) for t in texts)
    return 1 - kept / total


@pytest.mark.parametrize("kind", ["typed", "generated", "token"])
def test_false_positive_redaction_on_normal_text_is_small(kind: str) -> None:
    """Measured over the catalogue's texts and a transcript: a generated password or a token takes nothing;
    a typed one (a dictionary word and a year) takes the words it shares, a fraction of a percent."""
    corpus = _corpus()
    offset = {"typed": 0, "generated": 1, "token": 2}[kind]
    shares = [redacted_share(pw, corpus) for pw in sample_passwords(30)[offset::3]]
    assert max(shares) < 0.02, shares  # never more than 2 % of the text, even for "Password2024!"
    if kind != "typed":
        assert sum(shares) / len(shares) < 0.001, shares


def test_a_suite_can_forget_the_secrets_of_one_test_but_keep_pinned_ones() -> None:
    r = Redactor()
    r.register("Session-Lab-Pw-7781")
    mark = r.snapshot()
    r.register_auth("bob", "limit-test-pw")
    r.register("Shared-Lab-Pw-9934")
    r.pin("Shared-Lab-Pw-9934")
    assert r.redact("over limit") == f"over {REDACTED}"
    r.rollback(mark)
    assert r.redact("over limit") == "over limit"
    assert REDACTED in r.redact("pw Session-Lab-Pw-7781") and REDACTED in r.redact("pw Shared-Lab-Pw-9934")
