"""Every shared sample report parses to the numbers its own file states (../shared/conformance/dmarc-reports).

Named values are written out from each file; record counts and the sum of
``count`` of the plain XML samples are also recomputed independently with
defusedxml's ElementTree, so a parser bug cannot agree with itself.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from defusedxml import ElementTree

import smtpkit.reports as reports


@pytest.fixture(scope="module")
def samples(conformance_dir: Path) -> Path:
    path = conformance_dir / "dmarc-reports"
    if not path.is_dir():
        pytest.skip(f"no DMARC report samples at {path}")
    return path


def one(path: Path) -> reports.ReportSet:
    return reports.load(path, offline=True)


def utc(seconds: int) -> pd.Timestamp:
    return pd.Timestamp(dt.datetime.fromtimestamp(seconds, dt.UTC))


def only_record(rs: reports.ReportSet) -> dict:
    assert len(rs.records) == 1, rs.problems
    return rs.records.iloc[0].to_dict()


def test_plain_xml_counts_agree_with_an_independent_parse(samples: Path) -> None:
    for path in sorted((samples / "aggregate").glob("*.xml")):
        if path.name == "invalid_xml.xml":
            continue
        tree = ElementTree.parse(path)
        ns = "{urn:ietf:params:xml:ns:dmarc-2.0}" if tree.getroot().tag.startswith("{") else ""
        counts = [int(c.text) for c in tree.getroot().iter(f"{ns}count")]
        rs = one(path)
        assert len(rs.records) == len(counts), path.name
        assert int(rs.records["count"].sum()) == sum(counts), path.name
        assert rs.problems.empty, (path.name, rs.problems.to_dict("records"))


def test_rfc7489_report_without_org_name(samples: Path) -> None:
    r = only_record(one(samples / "aggregate" / "!example.com!1538204542!1538463818.xml"))
    assert pd.isna(r["org_name"]) and r["org_email"] == "administrator@accurateplastics.com"
    assert r["report_id"] == "example.com:1538463741"
    assert r["begin"] == utc(1538413632) and r["end"] == utc(1538413632)
    assert (r["source_ip"], r["count"], r["disposition"]) == ("12.20.127.122", 1, "none")
    assert (r["dkim_evaluated"], r["spf_evaluated"], r["spf_result"]) == ("fail", "fail", "none")
    assert (r["p"], r["sp"], r["pct"], r["schema"]) == ("none", "reject", 100, "draft")
    assert not r["dmarc_pass"] and not r["dmarc_pass_reported"]
    assert r["failure"] == "no_dkim; spf_fail"


def test_junk_text_between_elements_does_not_leak_into_values(samples: Path) -> None:
    # <sp>none</sp>11 <pct>100</pct>: the stray "11" belongs to no element
    r = only_record(one(samples / "aggregate" / "example.net!example.com!1529366400!1529452799.xml"))
    assert (r["org_name"], r["report_id"]) == ("example.net", "b043f0e264cf4ea995e93765242f6dfb")
    assert (r["sp"], r["pct"], r["fo"]) == ("none", 100, "0")
    assert (r["begin"], r["end"]) == (utc(1529366400), utc(1529452799))
    assert (r["source_ip"], r["envelope_from"], r["header_from"]) == ("199.230.200.36", "example.com", "example.com")
    assert pd.isna(r["dkim_domain"]) and not r["dmarc_pass"]


def test_empty_reason_and_full_auth_results(samples: Path) -> None:
    r = only_record(one(samples / "aggregate" / "empty_reason.xml"))
    assert (r["org_name"], r["report_id"], r["count"]) == ("example.org", "20240125141224705995", 2)
    assert (r["begin"], r["end"]) == (utc(1706159544), utc(1706185733))
    assert pd.isna(r["reason"])  # <type></type><comment></comment>
    assert (r["dkim_domain"], r["dkim_selector"], r["dkim_result"]) == ("example.com", "example", "pass")
    assert (r["spf_domain"], r["spf_scope"], r["spf_result"]) == ("example.edu", "mfrom", "pass")
    assert (r["envelope_to"], r["envelope_from"]) == ("example.net", "example.edu")
    assert r["dkim_aligned"] and not r["spf_aligned"] and r["dmarc_pass"] and r["dmarc_pass_reported"]
    assert (r["p"], r["fo"], r["schema"]) == ("quarantine", "1", "rfc7489")


def test_gzip_report(samples: Path) -> None:
    rs = one(samples / "aggregate" / "fastmail.com!example.com!1516060800!1516147199!102675056.xml.gz")
    r = only_record(rs)
    assert (r["org_name"], r["report_id"], r["policy_domain"]) == ("FastMail Pty Ltd", "102675056", "indemed.com")
    assert (r["source_ip"], r["count"], r["envelope_to"]) == ("104.195.80.20", 1, "fastmail.fm")
    assert (r["spf_domain"], r["spf_scope"], r["spf_result"]) == ("example.com", "mfrom", "softfail")
    assert (r["begin"], r["end"]) == (utc(1516060800), utc(1516147199))
    assert not r["dmarc_pass"] and r["failure"] == "no_dkim; spf_fail"


def test_zip_report(samples: Path) -> None:
    rs = one(samples / "aggregate" / "estadocuenta1.infonacot.gob.mx!example.com!1536853302!1536939702!2940.xml.zip")
    r = only_record(rs)
    assert (r["org_name"], r["report_id"], r["count"]) == ("XYZ Corporation", "2940", 1)
    assert (r["begin"], r["end"]) == (utc(1536853302), utc(1536939702))
    assert (r["source_ip"], r["envelope_to"]) == ("148.243.137.254", "estadocuenta1.infonacot.gob.mx")
    assert pd.isna(r["adkim"]) and pd.isna(r["pct"])  # only <domain> and <p> were published
    assert r["source"].endswith(
        "2940.xml.zip › estadocuenta1.infonacot.gob.mx!example.com!1536853302!1536939702!2940.xml"
    )
    assert r["failure"] == "no_dkim; no_spf"


def test_report_mailed_as_a_zip_attachment(samples: Path) -> None:
    eml = samples / "aggregate" / "Report domain- borschow.com Submitter- google.com Report-ID- 949348866075514174.eml"
    r = only_record(one(eml))
    assert (r["org_name"], r["report_id"], r["policy_domain"]) == ("google.com", "949348866075514174", "borschow.com")
    assert (r["begin"], r["end"]) == (utc(1549929600), utc(1550015999))
    assert (r["source_ip"], r["count"], r["disposition"]) == ("92.53.116.102", 1, "reject")
    assert (r["p"], r["spf_domain"], r["spf_result"]) == ("reject", "borschow.com", "fail")
    assert " › google.com!borschow.com!1549929600!1550015999.zip › " in r["source"]


def test_old_draft_schema(samples: Path) -> None:
    r = only_record(one(samples / "aggregate" / "old_draft_from_wiki.xml"))
    assert (r["org_name"], r["report_id"], r["count"]) == ("acme.com", "9391651994964116463", 2)
    assert (r["begin"], r["end"]) == (utc(1335571200), utc(1335657599))
    assert (r["dkim_domain"], r["dkim_result"], r["spf_result"]) == ("example.com", "fail", "pass")
    assert r["spf_aligned"] and not r["dkim_aligned"] and r["dmarc_pass"]
    assert r["schema"] == "draft"


def test_dmarcbis_schema(samples: Path) -> None:
    r = only_record(one(samples / "aggregate" / "rfc9990-sample.xml"))
    assert (r["org_name"], r["report_id"], r["count"]) == ("Sample Reporter", "3v98abbp8ya9n3va8yr8oa3ya", 123)
    assert (r["begin"], r["end"]) == (utc(302832000), utc(302918399))
    assert r["generator"] == "Example DMARC Aggregate Reporter v1.2"
    assert (r["p"], r["sp"], r["np"], r["testing"], r["discovery_method"]) == (
        "quarantine",
        "none",
        "none",
        "n",
        "treewalk",
    )
    assert (r["disposition"], r["dkim_selector"], r["dkim_result"], r["spf_result"]) == (
        "pass",
        "abc123",
        "pass",
        "fail",
    )
    assert r["dkim_aligned"] and r["dmarc_pass"] and r["schema"] == "dmarcbis"


def test_invalid_xml_is_a_problem_row(samples: Path) -> None:
    rs = one(samples / "aggregate" / "invalid_xml.xml")
    assert rs.records.empty
    (problem,) = rs.problems.to_dict("records")
    assert problem["kind"] == "unreadable" and "not well-formed" in problem["reason"] and "line 5" in problem["reason"]


def test_rfc8460_tls_report(samples: Path) -> None:
    rs = one(samples / "tls-rpt" / "rfc8460.json")
    (policy,) = rs.tls.to_dict("records")
    assert (policy["org_name"], policy["report_id"]) == ("Company-X", "5065427c-23d3-47ca-b6e0-946ea0e8c4be")
    assert (policy["policy_type"], policy["policy_domain"]) == ("sts", "company-y.example")
    assert (policy["successful_sessions"], policy["failed_sessions"]) == (5326, 303)
    assert policy["begin"] == pd.Timestamp("2016-04-01T00:00:00Z")
    assert policy["policy_string"].startswith("version: STSv1 | mode: testing")
    failures = rs.tls_failures.set_index("result_type")
    assert failures["failed_sessions"].to_dict() == {
        "certificate-expired": 100,
        "starttls-not-supported": 200,
        "validation-failure": 3,
    }
    assert failures.loc["validation-failure", "failure_reason_code"] == "X509_V_ERR_PROXY_PATH_LENGTH_EXCEEDED"
    assert failures.loc["starttls-not-supported", "receiving_ip"] == "203.0.113.56"
    assert "expired" in failures.loc["certificate-expired", "meaning"]


def test_tls_report_mailed_gzipped(samples: Path) -> None:
    rs = one(samples / "tls-rpt" / "google.com_smtp_tls_report.eml")
    (policy,) = rs.tls.to_dict("records")
    assert (policy["org_name"], policy["report_id"]) == ("Google Inc.", "2024-09-03T00:00:00Z_cardinalhealth.ca")
    assert (policy["policy_type"], policy["policy_domain"]) == ("no-policy-found", "cardinalhealth.ca")
    assert (policy["successful_sessions"], policy["failed_sessions"]) == (48, 0)
    assert policy["end"] == pd.Timestamp("2024-09-03T23:59:59Z")
    assert rs.tls_failures.empty and rs.problems.empty


def test_the_whole_folder_and_its_duplicates(samples: Path) -> None:
    rs = reports.load([samples, samples / "aggregate"], offline=True)  # every aggregate report twice
    s = rs.summary()
    assert (s["aggregate_reports"], s["records"], s["messages"]) == (8, 8, 132)
    assert s["tls_reports"] == 2 and s["tls_failed_sessions"] == 303
    kinds = rs.problems["kind"].value_counts().to_dict()
    assert kinds["duplicate"] == 8  # the second copy of each readable aggregate report
    assert kinds["unreadable"] == 2  # invalid_xml.xml, twice
    assert kinds["skipped"] == 1  # the LICENSE file
    dup = rs.problems[rs.problems["kind"] == "duplicate"].iloc[0]
    assert "counted once" in dup["reason"]
    assert sorted(rs.domains) == ["borschow.com", "example.com", "indemed.com"]
