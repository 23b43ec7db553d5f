"""DKIM key generation with hostile names and paths (issue 14, "Also"): no file outside its folder, ever.

The domain and selector become the TXT name, a zone-file line and two file
names. Before: ``--domain $'a\\nb.test'`` wrote a file name with a newline and a
zone line split in two, ``--domain 'x/../../trav.test'`` could put the private
key outside ``--out``, and a missing ``--out`` was silently created.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from smtpkit.dkim.keygen import generate, write_private_key, write_public_record
from smtpkit.errors import InvalidSettings

BAD_DOMAINS = [
    "a\nb.test",
    "a\rb.test",
    "a\x00b.test",
    "x/../../trav.test",
    "../../trav.test",
    "x\\..\\trav.test",
    "a b.test",
    "a..b.test",
    ".",
    "localhost",
    "trav.test/",
    "-a.test",
    "a" * 64 + ".test",
    "1.2.3.4",
    "mailto:a@b.test",
]
BAD_SELECTORS = ["../etc", "s/1", "s\n1", "s\x001", "s 1", "..", ".", "-s", "s" * 64, "s\\1", ""]


@pytest.mark.parametrize("domain", BAD_DOMAINS)
def test_a_domain_that_is_not_a_dns_name_is_refused_with_the_field(domain: str) -> None:
    with pytest.raises(InvalidSettings) as info:
        generate(domain, "s1", algorithm="ed25519")
    assert info.value.field == "domain" and isinstance(info.value, ValueError)


@pytest.mark.parametrize("selector", BAD_SELECTORS)
def test_a_selector_that_is_not_a_dns_name_is_refused_with_the_field(selector: str) -> None:
    with pytest.raises(InvalidSettings) as info:
        generate("example.test", selector, algorithm="ed25519")
    assert info.value.field == "selector"


def test_an_international_domain_is_written_in_its_ascii_form() -> None:
    key = generate("bücher.test", "s1", algorithm="ed25519")
    assert key.domain == "xn--bcher-kva.test" and key.zone_line().isascii() and "\n" not in key.zone_line()


def test_a_missing_folder_is_an_error_unless_asked_to_create(tmp_path: Path) -> None:
    key = generate("example.test", "s1", algorithm="ed25519")
    missing = tmp_path / "missing" / "dir"
    with pytest.raises(FileNotFoundError):
        write_private_key(key, missing)
    assert not (tmp_path / "missing").exists()
    path = write_private_key(key, missing, create=True)
    assert path.parent == missing and oct(missing.stat().st_mode & 0o777) == "0o700"


def test_key_files_never_follow_a_symbolic_link(tmp_path: Path) -> None:
    key = generate("example.test", "s1", algorithm="ed25519")
    target = tmp_path / "victim"
    target.write_text("keep me\n")
    (tmp_path / f"{key.private_key_filename}").symlink_to(target)
    (tmp_path / "s1._domainkey.example.test.txt").symlink_to(target)
    with pytest.raises(FileExistsError):
        write_private_key(key, tmp_path)
    with pytest.raises(OSError):
        write_public_record(key, tmp_path)
    assert target.read_text() == "keep me\n"


def test_the_files_land_inside_the_folder(tmp_path: Path) -> None:
    key = generate("Example.TEST.", "S1", algorithm="ed25519")
    private, public = write_private_key(key, tmp_path), write_public_record(key, tmp_path)
    assert sorted(os.listdir(tmp_path)) == ["s1._domainkey.example.test.private", "s1._domainkey.example.test.txt"]
    assert private.parent == public.parent == tmp_path
    assert public.read_text().count("\n") == 1
