"""Reading real-world report files: kinds by content, every container, and the lenient parsing real reports need."""

from __future__ import annotations

import gzip
import io
import mailbox
import zipfile
from email.message import EmailMessage
from pathlib import Path

import pytest

import smtpkit.reports as reports
from smtpkit.errors import InvalidSettings
from smtpkit.lab.reports import synthetic_report
from smtpkit.reports.ingest import sniff

REPORT = synthetic_report(3, seed=2, report_id="r-1")
COUNT = sum(int(x) for x in __import__("re").findall(rb"<count>(\d+)</count>", REPORT))


def one_record_report(body: str, *, root: str = "feedback", head: str = "", rid: str = "x1") -> bytes:
    return (
        f"{head}<{root}><report_metadata><org_name>Org</org_name><report_id>{rid}</report_id>"
        "<date_range><begin>1700000000</begin><end>1700086399</end></date_range></report_metadata>"
        "<policy_published><domain>example.com</domain><p>none</p></policy_published>"
        f"<record>{body}</record></{root}>"
    ).encode()


ROW = (
    "<row><source_ip>192.0.2.1</source_ip><count>7</count><policy_evaluated><disposition>none</disposition>"
    "<dkim>PASS</dkim><spf>Fail</spf></policy_evaluated></row>"
    "<identifiers><header_from>Example.COM</header_from></identifiers>"
    "<auth_results><dkim><domain>EXAMPLE.com.</domain><result>Pass</result></dkim>"
    "<spf><domain>bounce.other.test</domain><result>PASS</result></spf></auth_results>"
)


def test_kinds_are_read_from_content() -> None:
    assert sniff(b"\x1f\x8b\x08") == "gzip" and sniff(b"PK\x03\x04rest") == "zip"
    assert sniff(b"\xef\xbb\xbf  <?xml") == "xml" and sniff("<feedback/>".encode("utf-16")) == "xml"
    assert sniff(b'\n {"policies": []}') == "json" and sniff(b"From abc@x Mon Jan 1") == "mbox"
    assert sniff(b"Return-Path: <a@b>\r\n") == "email" and sniff(b"\x00\x01junk") == "unknown"


def test_misleading_names_do_not_matter(tmp_path: Path) -> None:
    (tmp_path / "report.zip").write_bytes(gzip.compress(REPORT))  # a gzip named .zip
    (tmp_path / "report.xml.gz").write_bytes(REPORT)  # plain XML named .gz
    rs = reports.load(tmp_path, offline=True)
    assert int(rs.records["count"].sum()) == COUNT  # the same report twice: counted once
    assert rs.problems["kind"].tolist() == ["duplicate"]


def test_values_are_normalised_and_alignment_recomputed(tmp_path: Path) -> None:
    (tmp_path / "r.xml").write_bytes(one_record_report(ROW))
    r = reports.load(tmp_path, offline=True).records.iloc[0]
    assert (r["dkim_evaluated"], r["spf_evaluated"], r["header_from"]) == ("pass", "fail", "example.com")
    assert (r["dkim_domain"], r["dkim_result"], r["spf_result"]) == ("example.com", "pass", "pass")
    assert r["dkim_aligned"] and not r["spf_aligned"] and r["dmarc_pass"] and r["dmarc_pass_reported"]


def test_namespace_prefix_utf16_and_broken_encoding(tmp_path: Path) -> None:
    ns = 'xmlns:d="urn:ietf:params:xml:ns:dmarc-2.0"'
    prefixed = one_record_report(ROW, rid="p1").decode()
    prefixed = prefixed.replace("</", "</d:").replace("<", "<d:").replace("<d:/d:", "</d:")
    prefixed = prefixed.replace("<d:feedback>", f"<d:feedback {ns}>", 1)
    (tmp_path / "prefixed.xml").write_bytes(prefixed.encode())
    utf16 = '<?xml version="1.0" encoding="UTF-16"?>' + one_record_report(ROW, rid="u1").decode()
    (tmp_path / "utf16.xml").write_bytes(utf16.encode("utf-16"))
    bad = one_record_report(ROW.replace("192.0.2.1", "192.0.2.2"), rid="b1").replace(
        b"<org_name>Org", b"<org_name>Org \xff\xfe"
    )
    (tmp_path / "bad-utf8.xml").write_bytes(bad)
    rs = reports.load(tmp_path, offline=True)
    assert sorted(rs.records["report_id"].astype(str)) == ["b1", "p1", "u1"]
    assert set(rs.records.loc[rs.records["report_id"] == "p1", "schema"]) == {"dmarcbis"}
    assert int(rs.records["count"].sum()) == 21
    (note,) = rs.problems.to_dict("records")
    assert note["kind"] == "partial" and "invalid characters replaced" in note["reason"]


def test_odd_gzip_framing(tmp_path: Path) -> None:
    two_members = gzip.compress(REPORT[:100]) + gzip.compress(REPORT[100:]) + b"\0\0junk"
    (tmp_path / "members.gz").write_bytes(two_members)
    rs = reports.load(tmp_path, offline=True)
    assert int(rs.records["count"].sum()) == COUNT and rs.problems.empty
    cut = gzip.compress(synthetic_report(200, seed=4, report_id="cut"))
    (tmp_path / "members.gz").unlink()
    (tmp_path / "cut.gz").write_bytes(cut[: len(cut) * 2 // 3])
    rs = reports.load(tmp_path, offline=True)
    (problem,) = rs.problems.to_dict("records")
    assert problem["kind"] == "partial" and "records before it were kept" in problem["reason"]
    assert 0 < len(rs.records) < 200


def test_reports_in_mail_mbox_and_maildir(tmp_path: Path) -> None:
    def mail(attachment: bytes, name: str) -> EmailMessage:
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = "r@receiver.test", "d@example.com", "Report Domain: example.com"
        msg.set_content("report attached")
        msg.add_attachment(attachment, maintype="application", subtype="gzip", filename=name)
        return msg

    box = mailbox.mbox(tmp_path / "reports.mbox")
    box.add(mail(gzip.compress(one_record_report(ROW, rid="m1")), "a.xml.gz"))
    box.add(mail(gzip.compress(one_record_report(ROW, rid="m2")), "b.xml.gz"))
    box.close()
    maildir = mailbox.Maildir(tmp_path / "Maildir", create=True)
    outer = mail(b"", "x")
    outer.set_payload(None)
    inner = mail(gzip.compress(one_record_report(ROW, rid="md1")), "c.xml.gz")
    forwarded = EmailMessage()
    forwarded["From"], forwarded["Subject"] = "me@example.com", "Fwd: report"
    forwarded.set_content("see attached")
    forwarded.add_attachment(inner)  # a report inside a forwarded message
    maildir.add(forwarded)
    (tmp_path / "Maildir" / "tmp" / "half-delivered").write_bytes(b"not yet")
    rs = reports.load(tmp_path, offline=True)
    assert sorted(rs.records["report_id"].astype(str)) == ["m1", "m2", "md1"]
    assert any(" › message 2 › b.xml.gz" in s for s in rs.records["source"].astype(str))
    assert rs.problems.empty


def test_zip_with_several_reports_and_a_directory(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("dir/", b"")
        z.writestr("dir/a.xml", one_record_report(ROW, rid="z1"))
        z.writestr("b.xml.gz", gzip.compress(one_record_report(ROW, rid="z2")))
        z.writestr("readme.txt", b"hello")
    (tmp_path / "bundle.zip").write_bytes(buf.getvalue())
    rs = reports.load(tmp_path, offline=True)
    assert sorted(rs.records["report_id"].astype(str)) == ["z1", "z2"]
    assert rs.problems[["kind"]].to_dict("records") == [{"kind": "skipped"}]


def test_not_a_report(tmp_path: Path) -> None:
    (tmp_path / "other.xml").write_bytes(b"<html><body>hi</body></html>")
    (tmp_path / "other.json").write_bytes(b'{"hello": 1}')
    (tmp_path / "empty.xml").write_bytes(b"")
    rs = reports.load(tmp_path, offline=True)
    assert sorted(rs.problems["kind"]) == ["empty", "skipped", "skipped"]
    assert any("<html>" in r for r in rs.problems["reason"])


def test_limits_are_validated_and_honoured(tmp_path: Path) -> None:
    with pytest.raises(InvalidSettings, match="max_members"):
        reports.Limits(max_members=0)
    (tmp_path / "r.xml").write_bytes(REPORT)
    rs = reports.load(tmp_path, offline=True, limits=reports.Limits(max_file_bytes=100))
    assert rs.records.empty and rs.problems["kind"].tolist() == ["refused"]
