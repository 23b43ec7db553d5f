"""DNSSEC validation by the kit, against a signed loopback DNS server: every link named, every break found."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import dns.dnssec
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.NSEC
import dns.rdtypes.ANY.NSEC3
import pytest

from smtpkit.dnssec import (
    BOGUS,
    INDETERMINATE,
    INSECURE,
    SECURE,
    Validator,
    load_anchors,
    parse_anchors,
    root_anchors,
)
from smtpkit.errors import InvalidSettings
from smtpkit.lab.dns_server import DnsServer
from smtpkit.lab.dnssec import LabSigner
from smtpkit.lab.zoneset import LookupResult, Record, ZoneSet
from smtpkit.net.dns import Resolver
from smtpkit.net.dnssec import SignedLookup

# IANA's root KSK-2017, as published in the root zone (DNSKEY 257 3 8)
KSK_2017 = (
    "AwEAAaz/tAm8yTn4Mfeh5eyI96WSVexTBAvkMgJzkKTOiW1vkIbzxeF3+/4RgWOq7HrxRixHlFlExOLAJr5emLvN7SWXgnLh4+B5xQlNVz8Og8k"
    "vArMtNROxVQuCaSnIDdD5LKyWbRd2n9WGe2R8PzgCmr3EgVLrjyBxWezF0jLHwVN8efS3rCj/EWgvIWgb9tarpVUDK/b58Da+sqqls3eNbuv7pr"
    "+eoZG+SrDK6nWeL3c6H5Apxz7LjVc1uTIdsIXxuOLYA4/ilBmSVIzuDWfdRUfhHdY6+cn8HFRm+2hM8AnXGXws9555KrUB5qihylGa8subX2Nn"
    "6UwNR1AkUTV74bU="
)

ZONES = ["good.test", "plain.test", "bad.test"]
RECORDS = [
    Record("good.test", "A", "127.0.0.1"),
    Record("_25._tcp.mx.good.test", "TLSA", "3 1 1 " + "ab" * 32),
    Record("plain.test", "A", "127.0.0.1"),
    Record("bad.test", "A", "127.0.0.1"),
]


def _serve(signer: LabSigner) -> DnsServer:
    return DnsServer(ZoneSet(RECORDS, zones=ZONES), signer=signer)


def _validator(server: DnsServer, anchors_text: str) -> Validator:
    return Validator(SignedLookup(Resolver([server.nameserver], timeout=1, retries=0)), parse_anchors(anchors_text))


@pytest.fixture(scope="module")
def signed() -> Iterator[tuple[DnsServer, LabSigner]]:
    signer = LabSigner(["good.test", "bad.test"], bogus=[("bad.test", "A")])
    with _serve(signer) as server:
        yield server, signer


def test_a_secure_answer_names_every_link(signed: tuple[DnsServer, LabSigner]) -> None:
    server, signer = signed
    v = _validator(server, signer.trust_anchor()).validate("_25._tcp.mx.good.test", "TLSA")
    assert (v.state, v.found, v.signer) == (SECURE, True, "good.test")
    assert [(link.kind, link.zone) for link in v.links] == [
        ("trust anchor", "test"),
        ("DNSKEY", "test"),
        ("DS", "good.test"),
        ("DNSKEY", "good.test"),
        ("RRSIG", "good.test"),
    ]
    assert all(link.ok for link in v.links) and v.failed is None


def test_an_unsigned_zone_is_insecure_because_its_parent_proves_it(signed: tuple[DnsServer, LabSigner]) -> None:
    server, signer = signed
    v = _validator(server, signer.trust_anchor()).validate("plain.test", "A")
    assert v.state == INSECURE and v.failed is None
    assert v.links[-1].kind == "no DS" and "NSEC" in v.links[-1].detail


def test_a_broken_signature_is_bogus_at_the_rrsig_link(signed: tuple[DnsServer, LabSigner]) -> None:
    server, signer = signed
    v = _validator(server, signer.trust_anchor()).validate("bad.test", "A")
    assert v.state == BOGUS and v.failed is not None
    assert (v.failed.kind, v.failed.zone) == ("RRSIG", "bad.test")
    assert "does not match the data" in v.reason


def test_an_absent_record_is_reported_absent_not_judged(signed: tuple[DnsServer, LabSigner]) -> None:
    server, signer = signed
    v = _validator(server, signer.trust_anchor()).validate("_25._tcp.nothing.good.test", "TLSA")
    assert not v.found and v.state == "" and v.status == "nxdomain"


def test_a_wrong_anchor_breaks_at_the_anchor(signed: tuple[DnsServer, LabSigner]) -> None:
    server, _signer = signed
    other = LabSigner([]).trust_anchor()
    v = _validator(server, other).validate("good.test", "A")
    assert v.state == BOGUS and v.failed is not None and v.failed.kind == "trust anchor"
    assert "anchor is out of date" in v.reason


def test_a_dnskey_anchor_works_like_a_ds_anchor(signed: tuple[DnsServer, LabSigner]) -> None:
    server, signer = signed
    key = Resolver([server.nameserver]).resolve("test", "DNSKEY").texts[0]
    v = _validator(server, f"test. IN DNSKEY {key}").validate("good.test", "A")
    assert v.state == SECURE and "DNSKEY" in v.links[0].detail


def test_no_anchor_above_the_name_is_indeterminate(signed: tuple[DnsServer, LabSigner]) -> None:
    server, signer = signed
    v = _validator(server, signer.trust_anchor().replace("test.", "example.")).validate("good.test", "A")
    assert v.state == INDETERMINATE and "no trust anchor covers" in v.reason


def test_expired_signatures_say_when() -> None:
    import datetime as dt

    signer = LabSigner(["good.test"])
    signer._inception = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    signer._expiration = dt.datetime(2020, 2, 1, tzinfo=dt.UTC)
    with _serve(signer) as server:
        v = _validator(server, signer.trust_anchor()).validate("good.test", "A")
    assert v.state == BOGUS and "expired on 2020-02-01" in v.reason
    assert v.failed is not None and v.failed.kind == "DNSKEY" and v.failed.zone == "test"


class _NoProof(LabSigner):
    """A signed parent that says 'no DS' without the NSEC proof."""

    def answer(self, zoneset, qname, qtype):  # type: ignore[no-untyped-def]
        out = super().answer(zoneset, qname, qtype)
        if out is not None and qtype == dns.rdatatype.DS:
            out.authority = [r for r in out.authority if r.rdtype != dns.rdatatype.NSEC]
        return out


class _Nsec3Proof(LabSigner):
    """A parent proving 'no DS' with an NSEC3 record at the hashed delegation name (RFC 5155)."""

    def answer(self, zoneset, qname, qtype):  # type: ignore[no-untyped-def]
        out = super().answer(zoneset, qname, qtype)
        if out is None or qtype != dns.rdatatype.DS or out.answer:
            return out
        digest = dns.dnssec.nsec3_hash(qname, None, 0, 1)
        owner = dns.name.from_text(f"{digest}.test.")
        bitmap = dns.rdtypes.ANY.NSEC.Bitmap.from_rdtypes([dns.rdatatype.NS]).windows
        rd = dns.rdtypes.ANY.NSEC3.NSEC3(dns.rdataclass.IN, dns.rdatatype.NSEC3, 1, 0, 0, b"", b"\x01" * 20, bitmap)
        from smtpkit.lab.dnssec import _rrset

        return LookupResult(authority=[self._soa(), _rrset(owner, dns.rdatatype.NSEC3, [rd])])

    def _zone_for(self, zoneset, rrset):  # type: ignore[no-untyped-def]
        if rrset.rdtype == dns.rdatatype.NSEC3:
            return self.parent
        return super()._zone_for(zoneset, rrset)


def test_a_signed_parent_must_prove_no_ds() -> None:
    signer = _NoProof(["good.test"])
    with _serve(signer) as server:
        v = _validator(server, signer.trust_anchor()).validate("plain.test", "A")
    assert v.state == BOGUS and "no valid NSEC/NSEC3 proof" in v.reason


def test_an_nsec3_proof_makes_it_insecure() -> None:
    signer = _Nsec3Proof(["good.test"])
    with _serve(signer) as server:
        v = _validator(server, signer.trust_anchor()).validate("plain.test", "A")
    assert v.state == INSECURE and "NSEC3" in v.reason


def test_a_server_that_refuses_the_parent_is_indeterminate(signed: tuple[DnsServer, LabSigner]) -> None:
    _server, signer = signed
    with DnsServer(ZoneSet(RECORDS, zones=ZONES)) as plain:  # no signer: test. is not served at all
        v = _validator(plain, signer.trust_anchor()).validate("_25._tcp.mx.good.test", "TLSA")
    # the TLSA answer is unsigned, and the zone's own "no DS" answer cannot vouch for it: no parent spoke
    assert v.state == INDETERMINATE and v.failed is not None and "parent zone" in v.reason


def test_the_shipped_root_anchors_match_iana_ksk_2017() -> None:
    anchors = root_anchors()
    ds, keys = anchors.get(dns.name.root) or ((), ())
    assert sorted(d.key_tag for d in ds) == [20326, 38696] and keys == ()
    ksk = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.DNSKEY, f"257 3 8 {KSK_2017}")
    made = dns.dnssec.make_ds(dns.name.root, ksk, "SHA256")
    assert any(made == d for d in ds)  # the shipped DS is the digest of the real root key
    assert anchors.covering(dns.name.from_text("example.com.")) == dns.name.root


def test_anchor_files(tmp_path: Path) -> None:
    good = tmp_path / "anchor.txt"
    good.write_text(
        "; comment\ntest. 3600 IN DS 12345 13 2 " + "AB" * 32 + "\nexample. IN DS 1 13 2 " + "CD" * 32 + "\n"
    )
    anchors = load_anchors(good)
    assert {z.to_text() for z in anchors.zones} == {"test.", "example."}
    assert anchors.covering(dns.name.from_text("a.b.test.")) == dns.name.from_text("test.")
    for text, message in [
        ("test. IN A 127.0.0.1\n", "no DS or DNSKEY"),
        ("this is not a zone file\n", "not zone-file text"),
        ("test. IN DS 1 2\n", "not zone-file text"),
    ]:
        bad = tmp_path / "bad.txt"
        bad.write_text(text)
        with pytest.raises(InvalidSettings, match=message) as info:
            load_anchors(bad)
        assert info.value.field == "trust_anchor"
    with pytest.raises(InvalidSettings, match="does not exist"):
        load_anchors(tmp_path / "missing.txt")
    huge = tmp_path / "huge.txt"
    huge.write_bytes(b";" * (2 * 1024 * 1024))
    with pytest.raises(InvalidSettings, match="over 1 MiB"):
        load_anchors(huge)
