"""What each bounce of the shared set states, per failed recipient: (recipient, enhanced status code).

Read by hand from each file (the Status field of a DSN, else the code in the
text); "" where the bounce states no enhanced code (Domino, old Sendmail, MMS
gateways, …): the parser must then say so (status_source "none") rather than
invent one. Cross-checked against sisimai's own test tables for the same files
(sisimai writes X.0.9NN for codes it derived); lhost-mimecast-01 states
"5.4.1" in its text where sisimai reports 5.0.0, and the file's own words win.
Kinds: dsn, text, feedback-report (ARF), auto-reply (RFC 3834).
"""

from __future__ import annotations

from tests.support.paths import CONFORMANCE

SHARED_BOUNCES = CONFORMANCE / "messages" / "bounces"

EXPECTED_KIND_ROWS: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "arf-01.eml": ("feedback-report", []),
    "lhost-activehunter-01.eml": ("text", [("kijitora@example.org", "5.1.1")]),
    "lhost-amavis-01.eml": ("dsn", [("neko@example.co.jp", "5.1.1")]),
    "lhost-amazonses-01.eml": ("dsn", [("shironeko@example.co.jp", "5.7.1")]),
    "lhost-amazonworkmail-01.eml": ("dsn", [("kijitora@example.jp", "5.1.1")]),
    "lhost-apachejames-01.eml": ("text", [("000000000000@vtext.example.com", "")]),
    "lhost-barracuda-01.eml": ("dsn", [("kijitora@example.org", "5.7.1")]),
    "lhost-biglobe-01.eml": ("text", [("postmaster@mxr.biglobe.ne.jp", "")]),
    "lhost-courier-01.eml": ("dsn", [("kijitora@example.co.jp", "5.1.1")]),
    "lhost-domino-01.eml": ("text", [("kijitora@example.jp", "")]),
    "lhost-dragonfly-01.eml": ("text", [("pseudo-local-part@google.example.com", "5.7.26")]),
    "lhost-exchange2003-01.eml": ("text", [("kijitora@example.jp", "")]),
    "lhost-exchange2007-01.eml": ("dsn", [("mikeneko@example.co.jp", "5.1.1")]),
    "lhost-exim-01.eml": ("text", [("kijitora@example.ed.jp", "5.7.0")]),
    "lhost-ezweb-01.eml": ("text", [("this-message-rejected-by-the-domain-filter@ezweb.ne.jp", "")]),
    "lhost-gmail-01.eml": ("text", [("userunknown@example.jp", "5.1.1")]),
    "lhost-gmx-01.eml": ("text", [("shironeko@example.jp", "5.2.2")]),
    "lhost-googlegroups-01.eml": ("text", [("libsisimai@googlegroups.com", "")]),
    "lhost-googleworkspace-01.eml": ("dsn", [("neko-nyaan-cat-meeting@google-groups.example.com", "")]),
    "lhost-imailserver-01.eml": ("text", [("kijitora@example.com", "")]),
    "lhost-kddi-01.eml": ("text", [("kijitora@x0000000000000.dion.ne.jp", "")]),
    "lhost-mailfoundry-01.eml": ("text", [("kijitora@example.org", "")]),
    "lhost-mailru-01.eml": ("text", [("kijitora@example.jp", "5.1.1")]),
    "lhost-mcafee-01.eml": ("dsn", [("kijitora@example.co.jp", "")]),
    "lhost-messagingserver-01.eml": ("dsn", [("kijitora@example.jp", "5.1.1")]),
    "lhost-mfilter-01.eml": ("text", [("kijitora@example.com", "")]),
    "lhost-mimecast-01.eml": ("text", [("sabineko@neko.ef.example.org", "5.4.1")]),
    "lhost-mxlogic-01.eml": ("text", [("kijitora@example.co.jp", "5.1.1")]),
    "lhost-notes-01.eml": ("text", [("kijitora@u1.example.co.jp", "")]),
    "lhost-office365-01.eml": ("text", [("kijitora@example.com", "5.1.10")]),
    "lhost-opensmtpd-01.eml": ("text", [("apdugoaidugoaidugoaeiudggadi@gmail.com", "5.1.1")]),
    "lhost-outlook-01.eml": ("dsn", [("kijitora@example.jp", "5.2.2")]),
    "lhost-postfix-01.eml": ("dsn", [("r@p351355.pool.example.ne.jp", "5.1.1")]),
    "lhost-powermta-01.eml": ("dsn", [("kijitora@example.jp", "5.2.1")]),
    "lhost-qmail-01.eml": ("text", [("kijitora@example.ne.jp", "5.5.0")]),
    "lhost-receivingses-01.eml": ("dsn", [("userunknown@neko.example.jp", "5.1.1")]),
    "lhost-sendgrid-01.eml": ("dsn", [("kijitora@example.jp", "5.1.1")]),
    "lhost-sendmail-01.eml": ("dsn", [("userunknown@bouncehammer.jp", "5.1.1")]),
    "lhost-surfcontrol-01.eml": ("dsn", [("kijitora@example.com", "5.0.0")]),
    "lhost-trendmicro-01.eml": ("text", [("kijitora@example.co.jp", "5.1.1")]),
    "lhost-v5sendmail-01.eml": ("text", [("kijitora@example.com", "")]),
    "lhost-verizon-01.eml": ("text", [("0000000000@vzwpix.com", "")]),
    "lhost-x1-01.eml": ("text", [("kijitora@example.co.jp", "")]),
    "lhost-x2-01.eml": ("text", [("kijitora@example.co.jp", "")]),
    "lhost-x3-01.eml": ("text", [("kijitora@example.com", "5.3.0")]),
    "lhost-x4-01.eml": ("text", [("kijitora@example.com", "")]),
    "lhost-x5-01.eml": ("dsn", [("kijitora@neko.example.org", "5.1.1")]),
    "lhost-x6-01.eml": ("text", [("kijitora@nyaan.example.org", "5.4.6")]),
    "lhost-yahoo-01.eml": ("text", [("kijitora@example.org", "5.1.1")]),
    "lhost-yandex-01.eml": ("dsn", [("kijitora@example.jp", "5.1.1")]),
    "lhost-zoho-01.eml": ("text", [("kijitora@example.co.jp", "5.1.1")]),
    "rfc3464-01.eml": ("dsn", [("userunknown@bouncehammer.jp", "5.1.1")]),
    "rfc3834-01.eml": ("auto-reply", []),
    "rhost-aol-01.eml": ("dsn", [("kijitora@example.jp", "5.4.4")]),
    "rhost-apple-01.eml": ("dsn", [("kijitora@example.jp", "5.1.6")]),
    "rhost-cloudflare-01.eml": ("dsn", [("kijitora-neko@example.com", "4.3.0")]),
    "rhost-cox-01.eml": ("dsn", [("recipient55@cox.net", "5.1.0")]),
    "rhost-franceptt-01.eml": ("dsn", [("pseudo-local-part-kijitora-nyaaan@orange.fr", "5.1.1")]),
    "rhost-google-01.eml": ("dsn", [("shironeko@example.ne.jp", "5.2.1")]),
    "rhost-gsuite-01.eml": ("dsn", [("kijitora@example.de", "5.1.0")]),
    "rhost-iua-01.eml": ("dsn", [("neko@email.example.ua", "5.0.0")]),
    "rhost-kddi-01.eml": ("dsn", [("otsu-sakaba-hunter-neko-nyaaaaaaan@ezweb.ne.jp", "5.2.0")]),
    "rhost-messagelabs-01.eml": ("dsn", [("kijitora@example.messagelabs.com", "5.0.0")]),
    "rhost-microsoft-01.eml": ("dsn", [("kijitora@example.com", "5.7.606")]),
    "rhost-mimecast-01.eml": ("dsn", [("sabatora@example.com", "5.0.0")]),
    "rhost-nttdocomo-01.eml": ("dsn", [("azumakuniyuki@ntt.docomo.example.ne.jp", "5.2.0")]),
    "rhost-outlook-01.eml": ("dsn", [("kijitora@example.jp", "5.2.2")]),
    "rhost-spectrum-01.eml": ("dsn", [("theusername@charter.net", "5.1.0")]),
    "rhost-tencent-01.eml": ("dsn", [("nekochan@qq.example.cn", "5.0.0")]),
    "rhost-yahooinc-01.eml": ("dsn", [("kijitora@aol.example.jp", "5.7.9")]),
    "rhost-zoho-01.eml": ("dsn", [("kijitora@zoho.example.com", "5.1.1")]),
}

EXPECTED: dict[str, list[tuple[str, str]]] = {name: rows for name, (_kind, rows) in EXPECTED_KIND_ROWS.items()}
