"""The lab's zones: every module of this package is one healthy or broken domain (or a few), discovered.

Each module exposes ``records(ip) -> list[Record]`` and optionally
``ZONES = {apex: "what it demonstrates"}``; the value formats and the rules a
module must follow are in `smtpkit.lab.zoneset`. `lab_zoneset(ip)` builds the
`ZoneSet` the lab's DNS server serves; adding a broken domain is adding a module.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from collections.abc import Iterable, Mapping

import dns.name

from smtpkit.lab.zoneset import TIMEOUT_TYPE, Record, ZoneError, ZoneSet, default_apex, is_reverse, make_rdata, to_name

__all__ = ["discover_zone_modules", "lab_zoneset"]


def discover_zone_modules() -> list[str]:
    """Dotted names of every module of this package, ``healthy`` first."""
    found = sorted(f"{__name__}.{m.name}" for m in pkgutil.iter_modules(__path__) if not m.ispkg)
    first = f"{__name__}.healthy"
    if first in found:
        found.remove(first)
        found.insert(0, first)
    return found


@functools.cache
def mx_names(ip: str = "127.0.0.1") -> tuple[str, ...]:
    """Every MX host name of the lab's zones but those a lesson keeps off the certificate (a module's
    ``OFF_CERTIFICATE``): what the lab's healthy certificate carries besides `smtpkit.lab.ca.GOOD_NAMES`.

    Every lab domain's MX is the lab's one MX server. With only ``mail.smtpkit.test`` on its certificate,
    the probe found ``mx.tls.cert_invalid`` on two lab domains of three (``mail.dmarc-none.test``, the hosted
    domains' ``mx1.mailhost.test``): a finding no lesson teaches, at the top of the portfolio's commonest.
    Built once per process (the zones are fixed; a lab start builds them for its DNS server as well).
    """
    import ipaddress

    import dns.rdatatype

    off: set[str] = set()
    for module_name in discover_zone_modules():
        off.update(getattr(importlib.import_module(module_name), "OFF_CERTIFICATE", ()))
    names: set[str] = set()
    for rrset in lab_zoneset(ip).rrsets():
        if rrset.rdtype != dns.rdatatype.MX:
            continue
        for rdata in rrset:
            name = rdata.exchange.to_text().rstrip(".").lower()
            try:
                ipaddress.ip_address(name)
                continue  # an MX naming an address (a lesson of its own): nothing a certificate names
            except ValueError:
                pass
            if name and name not in off:
                names.add(name)
    return tuple(sorted(names))


def lab_zoneset(
    ip: str = "127.0.0.1",
    *,
    modules: Iterable[str] | None = None,
    extra: Iterable[Record] = (),
    extra_zones: Mapping[str, str] | None = None,
) -> ZoneSet:
    """Every lab zone (healthy and broken domains) for a lab listening on `ip`.

    `extra` records and `extra_zones` (apex -> description) come from the
    running lab rather than a module (the DANE zones, whose TLSA records name
    certificates made at lab start).

    A module that fails to import or returns unusable records raises
    `ZoneError` naming the module: a broken scenario must be noticed when the lab
    starts, not as a puzzling NXDOMAIN in a notebook later.
    """
    records: list[Record] = []
    zones: list[str] = []
    descriptions: dict[str, str] = {}
    owners: dict[tuple[dns.name.Name, str], str] = {}
    for module_name in modules if modules is not None else discover_zone_modules():
        try:
            module = importlib.import_module(module_name)
        except Exception as exc:  # a scenario author's mistake must name the module
            raise ZoneError(f"lab zone module {module_name} failed to import: {type(exc).__name__}: {exc}") from exc
        fn = getattr(module, "records", None)
        if not callable(fn):
            raise ZoneError(f"lab zone module {module_name} has no records(ip) function")
        try:
            produced = [Record.coerce(r) for r in fn(ip)]
        except ZoneError as exc:
            raise ZoneError(f"lab zone module {module_name}: {exc}") from exc
        declared = dict(getattr(module, "ZONES", {}) or {})
        module_apexes = [to_name(z) for z in declared]
        for rec in produced:
            try:
                name = to_name(rec.name)
                if str(rec.rdtype).upper() != TIMEOUT_TYPE:
                    make_rdata(str(rec.rdtype).upper(), rec.value)
            except ZoneError as exc:
                raise ZoneError(f"lab zone module {module_name}: record {rec}: {exc}") from None
            key = (name, str(rec.rdtype).upper())
            if key in owners and owners[key] != module_name:
                raise ZoneError(
                    f"{rec.name} {rec.rdtype} is defined by both {owners[key]} and {module_name}; scenarios must not"
                    " share records"
                )
            owners[key] = module_name
            if module_apexes and not any(name.is_subdomain(a) for a in module_apexes) and not is_reverse(name):
                raise ZoneError(f"lab zone module {module_name}: {rec.name} lies outside its ZONES {sorted(declared)}")
            if not module_apexes or is_reverse(name):
                apex = default_apex(name)
                zones.append(apex.to_text())
        zones.extend(declared)
        descriptions.update(declared)
        records.extend(produced)
    records.extend(Record.coerce(r) for r in extra)
    zones.extend(extra_zones or {})
    descriptions.update(extra_zones or {})
    try:
        return ZoneSet(records, zones=zones, descriptions=descriptions)
    except ZoneError as exc:
        raise ZoneError(f"lab zones: {exc}") from exc
