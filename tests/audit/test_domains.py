"""Reading a portfolio: lists, text files, CSV columns, duplicates and junk, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from smtpkit.audit.domains import from_names, read_domains


def test_text_file_with_comments_blank_lines_and_duplicates(tmp_path: Path) -> None:
    f = tmp_path / "d.txt"
    f.write_text("# clients\nexample.com\n\nEXAMPLE.com.\nbücher.example\nxn--bcher-kva.example\nnot a domain\n")
    listed = read_domains(f)
    assert listed.names == ["example.com", "bücher.example", "not a domain"]
    assert [(d.name, d.line, d.first) for d in listed.duplicates] == [
        ("EXAMPLE.com.", 4, 2),
        ("xn--bcher-kva.example", 6, 5),
    ]
    assert listed.summary()["duplicates"] == 2


def test_csv_column_by_name_number_or_guess(tmp_path: Path) -> None:
    f = tmp_path / "clients.csv"
    f.write_text("client,Domain,owner\nAcme,acme.example,ann\nBeta,beta.example,bob\n")
    assert read_domains(f).names == ["acme.example", "beta.example"]  # the 'domain' header is found
    assert read_domains(f, column="domain").names == ["acme.example", "beta.example"]
    assert read_domains(f, column="1").names == ["client", "Acme", "Beta"]  # a number: no header assumed
    with pytest.raises(ValueError, match="no column 'site'; its columns are: client, Domain, owner"):
        read_domains(f, column="site")


def test_unreadable_inputs_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot read"):
        read_domains(tmp_path / "missing.txt")
    with pytest.raises(ValueError, match="is a directory"):
        read_domains(tmp_path)
    binary = tmp_path / "x.txt"
    binary.write_bytes(b"example.com\x00\x01")
    with pytest.raises(ValueError, match="not a text file"):
        read_domains(binary)


@pytest.mark.parametrize(
    ("name", "content", "column", "said"),
    [
        ("empty.txt", "", None, "it is empty, blank or only comments"),
        ("blank.txt", "\n  \n# clients, to come\n", None, "it is empty, blank or only comments"),
        ("header.csv", "domain,owner\n", None, "its domain column is empty"),
        ("gaps.csv", "domain,owner\n,ann\n ,bob\n", "domain", "its column 'domain' is empty"),
    ],
)
def test_an_input_without_a_domain_says_so(tmp_path: Path, name: str, content: str, column: str, said: str) -> None:
    """Not a run of nothing that only says '0 domains audited'; a list given in Python may be empty."""
    f = tmp_path / name
    f.write_text(content)
    with pytest.raises(ValueError, match=f"{name} holds no domain to audit \\({said}\\): give one domain a line"):
        read_domains(f, column=column)
    assert read_domains([]).names == []


def test_a_list_and_its_fingerprint() -> None:
    a, b = from_names(["a.example", "b.example"]), from_names(["a.example", "c.example"])
    assert (
        a.fingerprint() != b.fingerprint() and a.fingerprint() == from_names(["a.example", "b.example"]).fingerprint()
    )
    long = from_names(["x" * 5000])
    assert len(long.names[0]) == 1000
