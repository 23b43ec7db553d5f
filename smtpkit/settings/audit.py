"""The settings of a portfolio audit (`AuditConfig`): what `smtpkit audit` and the audit runners take.

Its own module, like `DomainQuery` and `PortsQuery`: see the `smtpkit.settings` docstring.
"""

from __future__ import annotations

from smtpkit.errors import InvalidSettings
from smtpkit.record import record
from smtpkit.settings import (
    MAX_DNS_TIMEOUT,
    invalid,
    split_list,
    validate_cafile,
    validate_nameservers,
    validate_port,
    validate_seconds,
    validate_selector,
)

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (~4 ms of a CLI start); mypy reads it the same
if TYPE_CHECKING:
    from typing import Any

    from smtpkit.settings.domain import DomainQuery


def _audit_number(field_name: str, value: Any, low: float, high: float, unit: str, *, integer: bool = False) -> Any:
    """A number of the audit settings within [low, high]; InvalidSettings naming the field and the range."""
    try:
        number = int(value) if integer and not isinstance(value, bool) else float(value)
    except (TypeError, ValueError):
        raise InvalidSettings(
            f"AuditConfig.{field_name}: {value!r} is not a number of {unit}", field=field_name
        ) from None
    if isinstance(value, bool) or (integer and float(value) != number) or not low <= number <= high:
        kind = "a whole number" if integer else "a number"
        raise InvalidSettings(
            f"AuditConfig.{field_name}: {value!r} is out of range: give {kind} from {low:g} to {high:g} {unit}",
            field=field_name,
        )
    return number


@record(frozen=True)
class AuditConfig:
    """How a portfolio audit runs (`smtpkit.audit`, `smtpkit audit`); validated on creation, picklable.

    What changes results: `selectors` (the DKIM selectors looked under, instead of the common ones; a domain has
    DKIM when any of them holds a key), `nameservers`, `dns_timeout` and `deadline` (the hard limit per domain;
    a domain not finished by then is "could not check", never "fail") and `probe_mx` (also check the receiving
    side: MTA-STS, fetching its policy over HTTPS, TLS-RPT, and every MX address over STARTTLS on `mx_port`, one
    probe per MX host and port for the whole run; `cafile`, `mta_sts_port`, `mx_port` and `allow_private` point
    those probes at a lab; `probes_per_network` of them at most at once into one IPv4 /24 or IPv6 /48, for the
    whole run whichever the runner, and a probe that gets no turn before its domain's deadline could not check).
    What only changes speed: `concurrency` (domains in flight per process; the default
    is polite to one resolver), `query_limit` (DNS queries in flight, shared out among a pool's processes or a
    Dask cluster's workers), `chunk_size` (domains per Parquet file) and `cache_size` (answers kept). Point
    `nameservers` at your own caching resolver for large runs, never at a public one.
    """

    nameservers: tuple[str, ...] = ()
    selectors: tuple[str, ...] = ()
    dns_timeout: float = 2.0
    deadline: float = 20.0
    concurrency: int = 50
    query_limit: int = 100
    chunk_size: int = 500
    cache_size: int = 50_000
    probe_mx: bool = False
    probes_per_network: int = 4
    cafile: str | None = None
    mta_sts_port: int = 443
    mx_port: int = 25
    allow_private: bool = False
    trust_anchor: str | None = None
    trust_ad: bool = False

    def __post_init__(self) -> None:
        def put(name: str, value: Any) -> None:
            object.__setattr__(self, name, value)

        put("nameservers", validate_nameservers(self.nameservers))
        sels = tuple(dict.fromkeys(validate_selector(s) for s in split_list(self.selectors)))
        if len(sels) > 200:
            raise invalid("selectors", f"{len(sels)} DKIM selectors given; at most 200 (each costs a query per domain)")
        put("selectors", sels)
        put("dns_timeout", validate_seconds(self.dns_timeout, field="dns_timeout", maximum=MAX_DNS_TIMEOUT))
        put("deadline", validate_seconds(self.deadline, field="deadline"))
        if self.deadline < self.dns_timeout:
            raise invalid(
                "deadline",
                f"the per-domain deadline ({self.deadline:g}s) is shorter than one DNS query's timeout"
                f" ({self.dns_timeout:g}s): raise the deadline or lower dns_timeout",
            )
        for name, low, high, unit in (
            ("concurrency", 1, 10_000, "domains"),
            ("query_limit", 1, 10_000, "queries"),
            ("chunk_size", 1, 1_000_000, "domains"),
            ("cache_size", 0, 10_000_000, "answers"),
            ("probes_per_network", 1, 1_000, "probes"),
        ):
            put(name, _audit_number(name, getattr(self, name), low, high, unit, integer=True))
        for name in ("probe_mx", "allow_private", "trust_ad"):
            if not isinstance(getattr(self, name), bool):
                raise invalid(name, f"{name}: {getattr(self, name)!r} is not True or False")
        put("cafile", validate_cafile(self.cafile) if self.cafile not in (None, "") else None)
        put("mta_sts_port", validate_port(self.mta_sts_port, field="mta_sts_port", label="mta_sts_port"))
        put("mx_port", validate_port(self.mx_port, field="mx_port", label="mx_port"))
        anchor = str(self.trust_anchor).strip() if self.trust_anchor is not None else ""
        if anchor:
            from smtpkit.dnssec import load_anchors  # the file's own rules; InvalidSettings(field="trust_anchor")

            load_anchors(anchor)
        put("trust_anchor", anchor or None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "nameservers": list(self.nameservers),
            "selectors": list(self.selectors),
            "dns_timeout": self.dns_timeout,
            "deadline": self.deadline,
            "concurrency": self.concurrency,
            "query_limit": self.query_limit,
            "chunk_size": self.chunk_size,
            "cache_size": self.cache_size,
            "probe_mx": self.probe_mx,
            "probes_per_network": self.probes_per_network,
            "cafile": self.cafile,
            "mta_sts_port": self.mta_sts_port,
            "mx_port": self.mx_port,
            "allow_private": self.allow_private,
            "trust_anchor": self.trust_anchor,
            "trust_ad": self.trust_ad,
        }

    def results_key(self) -> dict[str, Any]:
        """The settings that change what a domain's row says (a resumed run must not mix two of them)."""
        return {
            "selectors": list(self.selectors),
            "dns_timeout": self.dns_timeout,
            "deadline": self.deadline,
            "probe_mx": self.probe_mx,
            "mta_sts_port": self.mta_sts_port,
            "mx_port": self.mx_port,
            "allow_private": self.allow_private,
            "trust_anchor": self.trust_anchor,
            "trust_ad": self.trust_ad,
        }

    def domain_query(self, domain: str) -> DomainQuery:
        """What the domain check of one audited domain (a valid name) is asked."""
        from smtpkit.settings.domain import DomainQuery

        return DomainQuery(
            domain,
            timeout=self.deadline,
            cafile=self.cafile,
            mta_sts_port=self.mta_sts_port,
            allow_private=self.allow_private,
            probe_mx=self.probe_mx,
            mx_port=self.mx_port,
            trust_anchor=self.trust_anchor,
            trust_ad=self.trust_ad,
        )
