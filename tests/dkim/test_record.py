"""DKIM key records and key generation: pure functions, plain strings and temporary files."""

from __future__ import annotations

import base64
import os
import stat

import dkim
import pytest

from smtpkit.dkim.keygen import generate, split_txt, write_private_key, write_public_record
from smtpkit.dkim.record import key_size, parse_key_record, parse_tag_list, record_text, without_flag
from smtpkit.dkim.selectors import COMMON_SELECTORS, key_name, looks_like_dkim
from smtpkit.lab.zones.dkim import RSA_512, RSA_1024, RSA_2048

ED_PUB = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="  # RFC 8032 §7.1 test 1


def kinds(text: str) -> list[str]:
    return [p.kind for p in parse_key_record(text).problems]


def test_healthy_rsa_and_ed25519_records() -> None:
    rec = parse_key_record(f"v=DKIM1; k=rsa; p={RSA_2048}")
    assert rec.key_type == "rsa" and rec.key_bits == 2048 and rec.key_encoding == "SubjectPublicKeyInfo"
    assert rec.problems == [] and rec.usable and not rec.revoked and not rec.testing
    ed = parse_key_record(f"v=DKIM1; k=ed25519; p={ED_PUB}")
    assert ed.key_type == "ed25519" and ed.key_bits == 256 and ed.problems == []


def test_defaults_when_tags_are_absent() -> None:
    # v= is optional and k= defaults to rsa (RFC 6376 §3.6.1)
    rec = parse_key_record(f"p={RSA_2048}")
    assert rec.version is None and rec.key_type == "rsa" and rec.service_types == ("*",) and rec.usable


def test_key_sizes_give_fail_warn_pass() -> None:
    assert kinds(f"v=DKIM1; p={RSA_512}") == ["too_short"]
    assert parse_key_record(f"v=DKIM1; p={RSA_512}").key_bits == 512
    assert kinds(f"v=DKIM1; p={RSA_1024}") == ["short"]
    assert kinds(f"v=DKIM1; p={RSA_2048}") == []


def test_revoked_key_is_empty_p() -> None:
    rec = parse_key_record("v=DKIM1; k=rsa; p=")
    assert rec.revoked and kinds("v=DKIM1; k=rsa; p=") == ["revoked"] and not rec.usable


def test_truncated_and_garbled_keys_are_invalid() -> None:
    cut = parse_key_record(f"v=DKIM1; k=rsa; p={RSA_2048[:180]}")  # valid base64, not a DER key
    assert cut.problem("invalid") and "not a public key" in cut.problem("invalid").message  # type: ignore[union-attr]
    odd = parse_key_record(f"v=DKIM1; k=rsa; p={RSA_2048[:181]}")  # base64 padding broken
    assert "not valid base64" in odd.problem("invalid").message  # type: ignore[union-attr]
    quoted = parse_key_record(f'v=DKIM1; k=rsa; p="{RSA_2048}"')  # quotes pasted into the value
    assert "contains" in quoted.problem("invalid").message  # type: ignore[union-attr]
    ed_rsa = parse_key_record(f"v=DKIM1; k=ed25519; p={RSA_1024}")
    assert "32 bytes" in ed_rsa.problem("invalid").message  # type: ignore[union-attr]


def test_tag_errors_are_invalid() -> None:
    assert "invalid" in kinds(f"v=DKIM2; p={RSA_2048}")
    assert "invalid" in kinds(f"k=rsa; v=DKIM1; p={RSA_2048}")  # v= must come first
    assert "invalid" in kinds(f"v=DKIM1; k=dsa; p={RSA_2048}")
    assert "invalid" in kinds(f"v=DKIM1; h=sha1; p={RSA_2048}")
    assert "invalid" in kinds(f"v=DKIM1; s=tlsrpt; p={RSA_2048}")
    assert "invalid" in kinds("v=DKIM1; k=rsa")  # no p= at all
    assert "invalid" in kinds(f"v=DKIM1; p={RSA_2048}; p={RSA_1024}")  # duplicate tag
    tags, errors = parse_tag_list("v=DKIM1; garbage; p=abc;")
    assert tags == {"v": "DKIM1", "p": "abc"} and errors and "garbage" in errors[0]


def test_testing_flag_and_its_corrected_record() -> None:
    rec = parse_key_record(f"v=DKIM1; k=rsa; t=y; p={RSA_2048}")
    assert rec.testing and kinds(rec.raw) == ["testing"]
    fixed = record_text(without_flag(rec.tags, "y"))
    assert fixed == f"v=DKIM1; k=rsa; p={RSA_2048}"
    both = parse_key_record(f"v=DKIM1; t=y:s; p={RSA_2048}")
    assert record_text(without_flag(both.tags, "y")) == f"v=DKIM1; t=s; p={RSA_2048}"


def test_key_size_reads_pkcs1_too() -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    pub = rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key()
    pkcs1 = base64.b64encode(pub.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)).decode()
    assert key_size("rsa", pkcs1) == (1024, "PKCS#1")


def test_selector_helpers() -> None:
    assert {"google", "selector1", "selector2", "default", "k1", "s1", "mxvault", "everlytickey1"} <= set(
        COMMON_SELECTORS
    )
    assert key_name("s1", "example.com.") == "s1._domainkey.example.com"
    assert looks_like_dkim(f"v=DKIM1; p={RSA_2048}") and looks_like_dkim(f"k=rsa; p={RSA_2048}")
    assert not looks_like_dkim("v=spf1 include:_spf.google.com ~all")
    assert not looks_like_dkim("google-site-verification=abc")


def test_split_txt_in_255_byte_strings() -> None:
    assert split_txt("a" * 600) == ["a" * 255, "a" * 255, "a" * 90]
    assert split_txt("") == [""]
    with pytest.raises(ValueError):
        split_txt("abc", 0)


def test_keygen_rsa_2048_default(tmp_path) -> None:  # type: ignore[no-untyped-def]
    key = generate("Example.COM.", "Mail2026")
    assert (key.domain, key.selector, key.algorithm, key.bits) == ("example.com", "mail2026", "rsa", 2048)
    assert key.txt_name == "mail2026._domainkey.example.com"
    assert all(len(s) <= 255 for s in key.txt_strings) and len(key.txt_strings) == 2
    assert "".join(key.txt_strings) == key.txt_value
    rec = parse_key_record(key.txt_value)
    assert rec.key_bits == 2048 and rec.problems == []
    line = key.zone_line()
    assert line.startswith("mail2026._domainkey.example.com. 3600 IN TXT (") and line.count('"') == 4
    assert b"PRIVATE KEY" not in repr(key).encode() and "not shown" in repr(key)

    path = write_private_key(key, tmp_path / "keys", create=True)  # a missing folder is made only when asked
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert path.read_bytes() == key.private_key and b"BEGIN RSA PRIVATE KEY" in key.private_key
    with pytest.raises(FileExistsError):
        write_private_key(key, tmp_path / "keys")  # never overwrite a key
    assert write_public_record(key, tmp_path / "keys").read_text().strip() == line

    # the pair works: dkimpy signs with the private key and verifies with the published record
    msg = b"From: a@example.com\r\nTo: b@example.org\r\nSubject: hi\r\n\r\nbody\r\n"
    sig = dkim.sign(msg, b"mail2026", b"example.com", key.private_key)
    assert dkim.verify(sig + msg, dnsfunc=lambda name, timeout=5: key.txt_value.encode())


def test_keygen_ed25519_and_rejections() -> None:
    key = generate("example.com", "ed2026", algorithm="ed25519")
    assert key.bits == 256 and "k=ed25519" in key.txt_value and parse_key_record(key.txt_value).key_bits == 256
    msg = b"From: a@example.com\r\nTo: b@example.org\r\nSubject: hi\r\n\r\nbody\r\n"
    sig = dkim.sign(msg, b"ed2026", b"example.com", key.private_key.strip(), signature_algorithm=b"ed25519-sha256")
    assert dkim.verify(sig + msg, dnsfunc=lambda name, timeout=5: key.txt_value.encode())
    with pytest.raises(ValueError, match="not offered"):
        generate("example.com", "s", bits=512)
    with pytest.raises(ValueError, match="selector"):
        generate("example.com", "bad selector")
    with pytest.raises(ValueError, match="domain"):
        generate("localhost", "s1")
    with pytest.raises(ValueError, match="rsa or ed25519"):
        generate("example.com", "s1", algorithm="dsa")


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=300, deadline=None)
@given(
    st.text(max_size=80) | st.builds(lambda a, b: f"v=DKIM1; k={a}; p={b}", st.text(max_size=8), st.text(max_size=60))
)
def test_any_key_record_parses_without_raising(text: str) -> None:
    rec = parse_key_record(text)
    assert isinstance(rec.problems, list)
    assert rec.usable == (not any(p.kind in ("invalid", "revoked", "too_short") for p in rec.problems))
