"""The lab's receiving side: the HTTPS host for MTA-STS policies, and the settings that point a check at it.

`InboundServers` is started by `Lab` next to the SMTP servers (it needs the
lab CA) and stopped with them. `domain_options(info)` is what lab mode means
for `check_domain`: every lookup through the lab's DNS server, the lab CA
trusted, loopback addresses allowed (the lab lives on 127.0.0.1), the lab's
HTTPS port standing in for 443, and the practice blocklists instead of the
real ones.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from smtpkit.lab.ca import LabCA

if TYPE_CHECKING:
    from smtpkit.lab.lab import LabInfo

__all__ = ["InboundServers", "domain_options"]

log = logging.getLogger("smtpkit.lab.inbound")


class InboundServers:
    """What the receiving-side lessons need besides SMTP and DNS; each part that cannot start is skipped, saying why."""

    def __init__(self, host: str, ca: LabCA, *, ports: Mapping[str, int] | None = None) -> None:
        self.host = host
        self.ca = ca
        self._ports = dict(ports or {})
        self._https: Any = None

    def start(self, skipped: dict[str, str]) -> dict[str, int]:
        """Start every server; returns name -> port ("mta_sts": the HTTPS host)."""
        from smtpkit.lab.https_server import HttpsServer

        out: dict[str, int] = {}
        try:
            self._https = HttpsServer(self.ca, self.host, int(self._ports.get("mta_sts", 0)))
            out["mta_sts"] = self._https.start()
        except OSError as exc:
            skipped["mta_sts"] = f"the MTA-STS HTTPS host could not listen: {exc}"
            log.warning("practice lab: no MTA-STS HTTPS host: %s", exc)
            self._https = None
        return out

    def stop(self) -> None:
        if self._https is not None:
            try:
                self._https.stop()
            finally:
                self._https = None


def domain_options(info: LabInfo) -> dict[str, Any]:
    """`check_domain(domain, **domain_options(info))` checks a lab domain the way the lessons expect."""
    from smtpkit.lab.zones.dnsbl import LAB_LISTS

    out: dict[str, Any] = {
        "nameservers": (info.nameserver,),
        "cafile": info.ca_file,
        "allow_private": True,
        "dnsbl_lists": LAB_LISTS,
        "only_lists": True,
    }
    if info.mta_sts_port:
        out["mta_sts_port"] = info.mta_sts_port
    return out
