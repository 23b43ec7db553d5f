"""The redactor: no registered secret survives, in clear or in any AUTH encoding."""

from __future__ import annotations

import base64
import logging
import pickle
import subprocess
import sys

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from smtpkit.secrets import REDACTED, Redactor, Secret, b64_cores, redact_value
from tests.support.leaks import leaks

# printable-ish text without NUL, as passwords and user names are typed
_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40)
_secret = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=5, max_size=40
)


def _b64(s: str) -> str:
    return base64.b64encode(s.encode()).decode()


def _leaks(out: str, secret: str) -> bool:
    """Does `out` still carry `secret` raw or as recoverable base64 at any alignment?"""
    if secret in out:
        return True
    return any(core in out for core in b64_cores(secret.encode()))


@given(prefix=_text, suffix=_text, secret=_secret)
@settings(max_examples=300, deadline=None)
def test_raw_secret_never_survives(prefix: str, suffix: str, secret: str) -> None:
    r = Redactor()
    r.register(secret)
    assert secret not in r.redact(prefix + secret + suffix)


@given(user=_text, secret=_secret, framing=st.sampled_from(["plain", "plain2", "xoauth2", "login", "any"]), junk=_text)
@settings(max_examples=300, deadline=None)
@example(user="", secret="PLAIN", framing="plain", junk="")  # the secret is a word of the line itself
def test_auth_encodings_never_survive(user: str, secret: str, framing: str, junk: str) -> None:
    r = Redactor()
    r.register(secret)  # only the secret: user-name-independent protection
    blob = {
        "plain": f"\0{user}\0{secret}",
        "plain2": f"{user}\0{user}\0{secret}",
        "xoauth2": f"user={user}\x01auth=Bearer {secret}\x01\x01",
        "login": secret,
        "any": f"{junk}{secret}{user}",
    }[framing]
    line = f"AUTH PLAIN {_b64(blob)}"
    out = r.redact(line)
    assert not _leaks(out, secret), out
    if not leaks("AUTH PLAIN ", secret):  # a secret such as 'PLAIN' is rightly taken out of the verb too
        assert out.startswith("AUTH PLAIN ")


@given(secret=_secret, text=_text)
@settings(max_examples=200, deadline=None)
def test_text_without_secret_is_untouched_modulo_base64(secret: str, text: str) -> None:
    """Text that shows no 5-character run of the secret (any case, any encoding, any base64) is left as is."""
    r = Redactor()
    r.register(secret)
    if not leaks(text, secret) and not any(c in text for c in b64_cores(secret.encode())):
        assert r.redact(text) == text


def test_short_secret_matched_as_word_and_exact_auth_forms() -> None:
    r = Redactor()
    r.register_auth("bob", "pw1")
    assert r.redact("password pw1 here") == f"password {REDACTED} here"
    assert r.redact("upw1x") == "upw1x"  # not a word of its own: left alone
    assert REDACTED in r.redact("AUTH PLAIN " + _b64("\0bob\0pw1"))
    assert REDACTED in r.redact("AUTH PLAIN " + _b64("bob\0bob\0pw1"))
    assert REDACTED in r.redact(_b64("user=bob\x01auth=Bearer pw1\x01\x01"))


def test_percent_encoded_secret_is_removed() -> None:
    r = Redactor()
    r.register("p@ss word/with&stuff")
    assert "p%40ss" not in r.redact("GET /?pw=p%40ss%20word%2Fwith%26stuff")


def test_secret_repr_str_format_are_redacted() -> None:
    s = Secret("hunter2-but-longer")
    assert "hunter2" not in repr(s) and "hunter2" not in str(s) and "hunter2" not in f"{s}"
    assert s.reveal() == "hunter2-but-longer"
    with pytest.raises(TypeError):
        pickle.dumps(s)
    assert Secret("a", register=False) == Secret("a", register=False)
    assert Secret("a", register=False) != Secret("b", register=False)
    assert not Secret("", register=False)


def test_global_registration_redacts_values_and_logs(caplog: pytest.LogCaptureFixture) -> None:
    import smtpkit  # installs the log filter

    s = Secret("global-secret-value-xyz")
    assert redact_value({"a": ["x global-secret-value-xyz"], "b": s}) == {"a": [f"x {REDACTED}"], "b": REDACTED}
    logger = logging.getLogger("smtpkit.test")
    with caplog.at_level(logging.INFO, logger="smtpkit"):
        logging.getLogger("smtpkit").info("login with %s and %s", s.reveal(), _b64("\0u\0" + s.reveal()))
        try:
            raise RuntimeError("boom " + s.reveal())
        except RuntimeError:
            logging.getLogger("smtpkit").exception("failed")
    text = caplog.text
    assert "global-secret-value-xyz" not in text and _b64("\0u\0" + s.reveal()) not in text
    assert smtpkit.Secret is Secret and logger


def test_a_secret_registered_before_logging_is_imported_is_redacted_from_its_records() -> None:
    """`smtpkit check` registers its password without importing `logging` (start-up, issue 8 §5): whoever
    imports it later, in any thread, gets records of the kit's loggers redacted all the same."""
    code = """
import sys, threading
from smtpkit.secrets import Secret
Secret("Wq8-late-logging-pw")
assert "logging" not in sys.modules, "registering a secret imported logging"
def log():
    import io, logging
    stream = io.StringIO()
    logging.getLogger().addHandler(logging.StreamHandler(stream))
    logging.getLogger("smtpkit.x").warning("login with %s", "Wq8-late-logging-pw")
    print(stream.getvalue(), end="")
thread = threading.Thread(target=log)
thread.start()
thread.join()
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout == f"login with {REDACTED}\n", out.stdout


def test_secret_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMTPKIT_TEST_PW", "from-the-environment")
    s = Secret.from_env("SMTPKIT_TEST_PW")
    assert s is not None and s.reveal() == "from-the-environment"
    monkeypatch.setenv("SMTPKIT_TEST_PW", "")
    assert Secret.from_env("SMTPKIT_TEST_PW") is None


def test_every_smtpkit_logger_is_redacted_not_only_the_parent() -> None:
    """A filter on "smtpkit" never sees what smtpkit.evidence or smtpkit.lab.x log: redaction is where records
    are made, so a handler anywhere (here on the root logger, as an application configures it) gets it redacted."""
    import io
    import logging

    from smtpkit.secrets import REDACTOR

    secret = "Qz7xKv9Wm3pJ"
    REDACTOR.register(secret)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        for name in ("smtpkit", "smtpkit.evidence", "smtpkit.lab.dns_server", "smtpkit.audit.engine"):
            logger = logging.getLogger(name)
            logger.warning("login with %s failed", secret)
            try:
                raise ValueError(f"server said {secret}")
            except ValueError:
                logger.exception("while checking")
        logging.getLogger("someone.else").warning("not ours: %s", "kept")
    finally:
        root.removeHandler(handler)
    out = stream.getvalue()
    assert out.count("login with") == 4 and out.count("ValueError: server said") == 4, out
    assert secret not in out and secret[:5] not in out, out
    assert "not ours: kept" in out
