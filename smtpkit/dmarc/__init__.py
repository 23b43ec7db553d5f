"""DMARC (RFC 7489, RFC 9989): policy discovery, parsing, plain-language reading, alignment.

`record` and `alignment` are pure; `discovery` talks to DNS only through a
`smtpkit.net.dns.Resolver`.
"""

from smtpkit.dmarc.alignment import AlignmentRow, aligned, check_alignment, dmarc_passes, mail_from_domain, org_domain
from smtpkit.dmarc.discovery import DmarcDiscovery, DmarcLookup, discover, is_external, rua_authorization
from smtpkit.dmarc.record import DmarcProblem, DmarcRecord, ReportUri, TagReading, parse_record, read_tags, reading

__all__ = [
    "AlignmentRow",
    "DmarcDiscovery",
    "DmarcLookup",
    "DmarcProblem",
    "DmarcRecord",
    "ReportUri",
    "TagReading",
    "aligned",
    "check_alignment",
    "discover",
    "dmarc_passes",
    "is_external",
    "mail_from_domain",
    "org_domain",
    "parse_record",
    "read_tags",
    "reading",
    "rua_authorization",
]
