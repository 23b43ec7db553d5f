"""The lab's receiving side: extra MX servers, the MTA-STS HTTPS host, and the settings that point a check at them.

`InboundServers` is started by `Lab` next to the SMTP servers (it needs the
lab CA and the MX's port) and stopped with them. It adds:

* the HTTPS host for MTA-STS policies (`smtpkit.lab.https_server`);
* the lab MX on ``[::1]`` too, on the same port, because ``mail.smtpkit.test``
  has an AAAA record and a sender tries every address of an MX;
* on other loopback addresses (127.0.0.0/8 is all loopback on Linux) but the
  *same* port, MX servers that differ from the healthy one in one way (no
  STARTTLS), so lab domains can point their MX at them and a probe on the
  lab's "port 25" finds them.

`domain_options(info)` is what lab mode means `domain_options(info)` is what lab mode means
for `check_domain`: every lookup through the lab's DNS server, the lab CA
trusted, loopback addresses allowed (the lab lives on 127.0.0.1), the lab's
HTTPS port standing in for 443, and the practice blocklist instead of the
real ones.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from smtpkit.lab.ca import LabCA
from smtpkit.lab.dane import DANE_TA_ADDRESS, dane_lab
from smtpkit.lab.scenarios import Scenario
from smtpkit.lab.smtp_servers import SmtpServers

if TYPE_CHECKING:
    from smtpkit.lab.lab import LabInfo

__all__ = ["InboundServers", "domain_options"]

log = logging.getLogger("smtpkit.lab.inbound")


#: The lab MX without STARTTLS, on another loopback address (lab domain mxtls-nostarttls.test).
NO_STARTTLS_ADDRESS = "127.0.0.3"
_NO_STARTTLS = Scenario(
    "mx_no_starttls",
    "An inbound MX that offers no STARTTLS: mail to it crosses the network in plain text.",
    category="tls",
    expect="mx.tls.no_starttls",
    security="plain",
    offer_starttls=False,
    auth="none",
    require_auth=False,
    local_domains=("mxtls-nostarttls.test",),
)


_DANE_TA = Scenario(
    "mx_dane_ta",
    "An inbound MX whose certificate is issued by the lab CA and sent with it, for a DANE-TA (usage 2) record.",
    category="tls",
    cert="dane_ta",
    auth="none",
    require_auth=False,
    local_domains=("dane-ta.test",),
)


class InboundServers:
    """What the receiving-side lessons need besides SMTP and DNS; each part that cannot start is skipped, saying why."""

    def __init__(
        self,
        host: str,
        ca: LabCA,
        *,
        scenarios: Sequence[Scenario] = (),
        smtp_options: Mapping[str, Any] | None = None,
        ports: Mapping[str, int] | None = None,
    ) -> None:
        self.host = host
        self.ca = ca
        self._mx = next((sc for sc in scenarios if sc.name == "mx"), None)
        self._smtp_options = dict(smtp_options or {})
        self._ports = dict(ports or {})
        self._https: Any = None
        self._extra: list[SmtpServers] = []
        self.zone_records: list[Any] = []
        self.zone_descriptions: dict[str, str] = {}
        self.signer: Any = None
        self.trust_anchor_file: str | None = None

    def start(self, skipped: dict[str, str], mx_port: int | None = None) -> dict[str, int]:
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
        if mx_port and self._mx is not None and self.host == "127.0.0.1":
            self._extra_mx("mx_ipv6", self._mx, "::1", mx_port, skipped)
            self._extra_mx("mx_no_starttls", _NO_STARTTLS, NO_STARTTLS_ADDRESS, mx_port, skipped)
            self._extra_mx("mx_dane_ta", _DANE_TA, DANE_TA_ADDRESS, mx_port, skipped)
        self._dnssec(skipped)
        return out

    def _dnssec(self, skipped: dict[str, str]) -> None:
        """The signed DANE zones, their signer, and the trust anchor file a validator starts from."""
        dane = dane_lab(self.ca, self.host)
        self.zone_records, self.zone_descriptions, self.signer = dane.records, dane.zones, dane.signer
        anchor = Path(self.ca.ca_file).with_name("trust-anchor.txt")
        anchor.write_text(dane.signer.trust_anchor(), encoding="ascii")
        self.trust_anchor_file = str(anchor)

    def _extra_mx(self, label: str, scenario: Scenario, address: str, port: int, skipped: dict[str, str]) -> None:
        servers = SmtpServers([scenario], host=address, ca=self.ca, ports={scenario.name: port}, **self._smtp_options)
        try:
            servers.start()
        except (OSError, RuntimeError, TimeoutError) as exc:
            skipped[label] = f"no MX on [{address}]:{port}: {exc}"
            return
        self._extra.append(servers)

    def stop(self) -> None:
        for servers in self._extra:
            servers.stop()
        self._extra.clear()
        if self._https is not None:
            try:
                self._https.stop()
            finally:
                self._https = None


def domain_options(info: LabInfo) -> dict[str, Any]:
    """`check_domain(domain, **domain_options(info))` checks a lab domain the way the lessons expect."""
    from smtpkit.lab.zones.dnsbl import LIST_ZONE

    out: dict[str, Any] = {
        "nameservers": (info.nameserver,),
        "cafile": info.ca_file,
        "allow_private": True,
        # the lab's healthy practice list; the broken ones (smtpkit.lab.zones.dnsbl.LAB_LISTS) are asked by name
        "dnsbl_lists": (LIST_ZONE,),
        "only_lists": True,
    }
    if info.mta_sts_port:
        out["mta_sts_port"] = info.mta_sts_port
    if "mx" in info.names:
        out["mx_port"] = info.mx_port
    if info.trust_anchor:
        out["trust_anchor"] = info.trust_anchor
    return out
