"""Trust anchors: the keys DNSSEC validation starts from (the root's, shipped, or a file you give).

A trust anchor file is zone-file text holding DS or DNSKEY records, for the
root (``.``) or any other zone (a private signed zone, the practice lab's
``test.``): the format of IANA's published root anchors and of unbound's
``auto-trust-anchor-file`` seed. dnspython's zone parser reads it, so
comments, parentheses and TTLs work as in any zone file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

import dns.dnssec
import dns.exception
import dns.name
import dns.rdataclass
import dns.rdatatype
import dns.zone

from smtpkit.errors import InvalidSettings

__all__ = ["TrustAnchors", "load_anchors", "parse_anchors", "root_anchors"]

_MAX_FILE = 1024 * 1024


@dataclass(frozen=True)
class TrustAnchors:
    """Anchors by zone: each zone's DS and DNSKEY records (dnspython rdata), and where they came from."""

    zones: Mapping[dns.name.Name, tuple[tuple[Any, ...], tuple[Any, ...]]] = field(default_factory=dict)
    source: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "zones", MappingProxyType(dict(self.zones)))

    def get(self, zone: dns.name.Name) -> tuple[tuple[Any, ...], tuple[Any, ...]] | None:
        """(DS records, DNSKEY records) anchoring `zone`, or None."""
        return self.zones.get(zone)

    def covering(self, name: dns.name.Name) -> dns.name.Name | None:
        """The closest anchored zone at or above `name` (where a chain to `name` must start)."""
        best: dns.name.Name | None = None
        for zone in self.zones:
            if name.is_subdomain(zone) and (best is None or len(zone.labels) > len(best.labels)):
                best = zone
        return best

    def describe(self) -> str:
        parts = []
        for zone, (ds, keys) in self.zones.items():
            tags = [f"DS {d.key_tag}" for d in ds] + [f"DNSKEY {dns.dnssec.key_id(k)}" for k in keys]
            parts.append(f"{zone.to_text()} ({', '.join(tags)})")
        return f"{self.source}: " + "; ".join(parts)


def parse_anchors(text: str, source: str = "trust anchor text") -> TrustAnchors:
    """DS/DNSKEY records in zone-file text -> TrustAnchors; InvalidSettings naming the problem otherwise."""
    try:
        # anchors are usually written without TTLs: give the parser a default
        zone = dns.zone.from_text("$TTL 3600\n" + text, origin=dns.name.root, relativize=False, check_origin=False)
    except (dns.exception.DNSException, ValueError, UnicodeError) as exc:
        raise InvalidSettings(
            f"{source} is not zone-file text with DS or DNSKEY records ({exc}); write lines like "
            "'. IN DS 20326 8 2 E06D44B8...'",
            field="trust_anchor",
        ) from None
    zones: dict[dns.name.Name, tuple[tuple[Any, ...], tuple[Any, ...]]] = {}
    for name, node in zone.nodes.items():
        owner = name if name.is_absolute() else name.concatenate(dns.name.root)
        ds = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.DS)
        keys = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.DNSKEY)
        if ds or keys:
            zones[owner] = (tuple(ds or ()), tuple(keys or ()))
    if not zones:
        raise InvalidSettings(f"{source} holds no DS or DNSKEY record", field="trust_anchor")
    return TrustAnchors(zones, source)


def load_anchors(path: str | Path) -> TrustAnchors:
    """The anchors in the file at `path` (``--trust-anchor FILE``)."""
    p = Path(path)
    try:
        if p.stat().st_size > _MAX_FILE:
            raise InvalidSettings(
                f"trust anchor file {path} is over 1 MiB; it should hold a few records", field="trust_anchor"
            )
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidSettings(f"trust anchor file {path} does not exist", field="trust_anchor") from None
    except (OSError, UnicodeError) as exc:
        raise InvalidSettings(f"trust anchor file {path} cannot be read ({exc})", field="trust_anchor") from None
    return parse_anchors(text, f"trust anchor file {path}")


def root_anchors() -> TrustAnchors:
    """The root zone's anchors shipped with smtpkit (IANA's KSK-2017 and KSK-2024)."""
    text = resources.files("smtpkit.dnssec").joinpath("root-anchors.txt").read_text(encoding="utf-8")
    return parse_anchors(text, "the root trust anchors shipped with smtpkit (IANA KSK-2017, KSK-2024)")
