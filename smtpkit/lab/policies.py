"""The MTA-STS lab domains and what the lab's HTTPS host serves for each (RFC 8461).

Pure data, shared by the three places that must agree: the DNS records
(`smtpkit.lab.zones.mta_sts`), the HTTPS host (`smtpkit.lab.https_server`)
and the certificate it presents (`smtpkit.lab.ca`, kind ``mta_sts``, valid for
every `POLICY_HOSTS` name). Each domain is right or wrong in one way, and
`Served.expect` names the finding a correct check reports.

The good domains send mail to ``mail.smtpkit.test``, the lab MX, whose
certificate is valid for that name; ``sts-mxcert.test`` sends it to
``mx.sts-mxcert.test``, a name the MX's certificate does not carry.
"""

from __future__ import annotations

from dataclasses import dataclass

#: The lab MX every MTA-STS domain points at (its certificate names it).
LAB_MX = "mail.smtpkit.test"
STS_ID = "20240131T120000"


def policy(mode: str = "enforce", mx: tuple[str, ...] = (LAB_MX,), max_age: int = 1209600) -> str:
    """A well-formed policy body (CRLF line ends, as RFC 8461 §3.2's examples)."""
    lines = ["version: STSv1", f"mode: {mode}", *(f"mx: {m}" for m in mx), f"max_age: {max_age}"]
    return "\r\n".join(lines) + "\r\n"


@dataclass(frozen=True)
class Served:
    """One lab domain: its policy file as served, and how its DNS and certificate differ from a good one.

    `status`/`content_type`/`body`/`location` are the HTTP answer; `record`
    the ``_mta-sts`` TXT (None: no record); `mx` the domain's MX target;
    `host_address` False when ``mta-sts.<domain>`` has no address;
    `wrong_cert` True when the HTTPS host presents a certificate for another
    name; `tlsrpt` whether the domain has a TLS-RPT record.
    """

    domain: str
    description: str
    expect: str | None
    body: str = ""
    status: int = 200
    content_type: str = "text/plain"
    location: str = ""
    record: str | None = f"v=STSv1; id={STS_ID}"
    mx: str = LAB_MX
    host_address: bool = True
    wrong_cert: bool = False
    tlsrpt: bool = True

    @property
    def policy_host(self) -> str:
        return f"mta-sts.{self.domain}"


_OVERSIZE = "version: STSv1\nmode: enforce\nmx: " + LAB_MX + "\nmax_age: 604800\n" + "# padding\n" * 10_000

DOMAINS: tuple[Served, ...] = (
    Served("sts-enforce.test", "a correct MTA-STS policy in enforce mode, TLS-RPT published", None, policy()),
    Served(
        "sts-testing.test",
        "a policy in testing mode with a one-hour max_age: mta_sts.mode_testing, mta_sts.max_age_short",
        "mta_sts.mode_testing",
        policy("testing", max_age=3600),
    ),
    Served(
        "sts-none.test",
        "a policy in mode none (MTA-STS switched off): mta_sts.mode_none",
        "mta_sts.mode_none",
        policy("none", mx=()),
    ),
    Served(
        "sts-norecord.test",
        "a policy file on the HTTPS host but no _mta-sts TXT record: mta_sts.record_missing",
        "mta_sts.record_missing",
        policy(),
        record=None,
    ),
    Served(
        "sts-badrecord.test",
        "an _mta-sts TXT record whose id has dashes: mta_sts.record_invalid",
        "mta_sts.record_invalid",
        policy(),
        record="v=STSv1; id=2024-01-31",
    ),
    Served(
        "sts-syntax.test",
        "a policy with a misspelt mode, a line without a colon and max_age over a year: mta_sts.policy_invalid",
        "mta_sts.policy_invalid",
        "version: STSv1\nmode: enforcing\nmx " + LAB_MX + "\nmax_age: 99999999\n",
    ),
    Served(
        "sts-html.test",
        "the policy served as text/html (a CMS page): mta_sts.policy_content_type",
        "mta_sts.policy_content_type",
        policy(),
        content_type="text/html; charset=utf-8",
    ),
    Served(
        "sts-404.test",
        "no policy file at the well-known path (404): mta_sts.policy_http_error",
        "mta_sts.policy_http_error",
        "<h1>Not Found</h1>",
        status=404,
        content_type="text/html",
    ),
    Served(
        "sts-redirect.test",
        "the policy URL redirects (senders never follow redirects): mta_sts.policy_redirect",
        "mta_sts.policy_redirect",
        status=301,
        content_type="text/html",
        location="https://www.sts-redirect.test/.well-known/mta-sts.txt",
    ),
    Served(
        "sts-nocover.test",
        "an enforce policy whose mx lines do not cover the domain's MX: mta_sts.mx_not_covered",
        "mta_sts.mx_not_covered",
        policy(mx=("mx.elsewhere.test", "*.mail.sts-nocover.test")),
    ),
    Served(
        "sts-badcert.test",
        "the policy host presents a certificate for another name: mta_sts.policy_cert_invalid",
        "mta_sts.policy_cert_invalid",
        policy(),
        wrong_cert=True,
    ),
    Served(
        "sts-oversize.test",
        "a policy file of about 100 KiB, over the 64 KiB senders read: mta_sts.policy_too_large",
        "mta_sts.policy_too_large",
        _OVERSIZE,
    ),
    Served(
        "sts-nohost.test",
        "an _mta-sts record but no mta-sts host at all: mta_sts.policy_fetch_failed",
        "mta_sts.policy_fetch_failed",
        host_address=False,
    ),
    Served(
        "sts-multiple.test",
        "two _mta-sts TXT records, so senders use neither: mta_sts.multiple_records",
        "mta_sts.multiple_records",
        policy(),
    ),
    Served(
        "sts-mxcert.test",
        "an enforce policy covering an MX whose certificate is not valid for its name (with --probe-mx): "
        "mta_sts.mx_cert_invalid",
        "mta_sts.mx_cert_invalid",
        policy(mx=("mx.sts-mxcert.test",)),
        mx="mx.sts-mxcert.test",
    ),
    Served(
        "tlsrpt-missing.test",
        "a correct enforce policy but no TLS-RPT record: tlsrpt.missing",
        "tlsrpt.missing",
        policy(),
        tlsrpt=False,
    ),
)

BY_HOST: dict[str, Served] = {d.policy_host: d for d in DOMAINS if d.host_address}
#: The names the ``mta_sts`` certificate carries: every policy host except the one that must be wrong.
POLICY_HOSTS: tuple[str, ...] = tuple(h for h, d in BY_HOST.items() if not d.wrong_cert)
