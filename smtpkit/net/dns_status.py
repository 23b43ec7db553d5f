"""The outcome words of a DNS lookup (`DnsAnswer.status`), used throughout the kit.

A module of their own so that code which only compares outcomes (the session's
resolve step, `net.connect` with the system resolver) does not import
`smtpkit.net.dns` and its classes: a session check of an IP address makes no
DNS query at all (benchmarks/cli_startup.py measures its start-up).
SPF maps them to void lookups and temperror.
"""

from __future__ import annotations

OK = "ok"
NXDOMAIN = "nxdomain"
NODATA = "nodata"
TIMEOUT = "timeout"
SERVFAIL = "servfail"
REFUSED = "refused"
ERROR = "error"
