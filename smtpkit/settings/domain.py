"""The settings of one domain check (`DomainQuery`): what `check_domain` and the forms' domain tab take.

Built from the validators of `smtpkit.settings`, in a module of its own so that `smtpkit check`,
which needs only `Target`, does not load this class at start-up (issue 8 §5).
"""

from __future__ import annotations

from collections.abc import Iterable

from smtpkit.record import record
from smtpkit.settings import (
    DOMAIN_TIMEOUT,
    MAX_DNS_TIMEOUT,
    Refusals,
    invalid,
    plain_text,
    quoted,
    split_list,
    validate_address,
    validate_cafile,
    validate_domain,
    validate_ip,
    validate_nameservers,
    validate_port,
    validate_seconds,
    validate_selector,
)

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (~4 ms of a CLI start); mypy reads it the same
if TYPE_CHECKING:
    from typing import Any


@record(frozen=True, init=False)
class DomainQuery:
    """What `check_domain` checks; validated and normalised on creation so every layer can trust it.

    `timeout` is the overall deadline of the whole check (seconds); `dns_timeout`
    bounds each DNS query (None: a quarter of `timeout`, at most 2 s);
    `nameservers` are the DNS servers to ask (empty: the system's). `selectors`
    and `nameservers` may be given as one comma-separated string, as a form has
    them. `mail_from` may be a bare domain (its postmaster is then the sender).
    With `ip`, the address is also looked up on DNS blocklists: the default set
    plus `dnsbl_lists` (zones), or only those with `only_lists`; a non-public
    address only with `allow_private` (the practice lab's lists, and its
    MTA-STS host). The MTA-STS policy is fetched from ``mta-sts.<domain>`` on
    `mta_sts_port`, verified against the system store or `cafile`. With
    `probe_mx`, every MX address is probed over STARTTLS on `mx_port`. DNSSEC
    (for DANE) is validated from `trust_anchor` (a zone-file of DS/DNSKEY
    records; default: the root's shipped anchors), or taken from the
    resolver's AD bit with `trust_ad`.
    """

    domain: str
    selectors: tuple[str, ...]
    ip: str | None
    mail_from: str | None
    timeout: float
    nameservers: tuple[str, ...]
    dns_timeout: float | None
    dnsbl_lists: tuple[str, ...]
    only_lists: bool
    allow_private: bool
    cafile: str | None
    mta_sts_port: int
    probe_mx: bool
    mx_port: int
    trust_anchor: str | None
    trust_ad: bool

    def __init__(
        self,
        domain: str,
        selectors: str | Iterable[str] | None = (),
        ip: str | None = None,
        mail_from: str | None = None,
        timeout: float | str = DOMAIN_TIMEOUT,
        nameservers: str | Iterable[str] | None = (),
        dns_timeout: float | str | None = None,
        dnsbl_lists: str | Iterable[str] | None = (),
        only_lists: bool = False,
        allow_private: bool = False,
        cafile: str | None = None,
        mta_sts_port: int | str = 443,
        probe_mx: bool = False,
        mx_port: int | str = 25,
        trust_anchor: str | None = None,
        trust_ad: bool = False,
    ) -> None:
        def put(name: str, value: Any) -> None:
            object.__setattr__(self, name, value)

        r = Refusals()  # the fields a form shows are each read; the first refusal is raised, the others in `also`
        put("domain", r.take(lambda: validate_domain(domain), ""))
        none: tuple[str, ...] = ()
        sels = r.take(lambda: tuple(dict.fromkeys(validate_selector(s) for s in split_list(selectors))), none)
        if len(sels) > 50:
            r.add(invalid("selectors", f"{len(sels)} DKIM selectors given; at most 50 make sense"))
        put("selectors", sels)
        ip_text = ip.strip() if isinstance(ip, str) else ip
        put(
            "ip",
            r.take(lambda: validate_ip(ip_text, label="The sending IP"), None) if ip_text not in (None, "") else None,
        )
        put("mail_from", r.take(lambda: _domain_mail_from(mail_from), None))
        put("timeout", r.take(lambda: validate_seconds(timeout, field="timeout", label="The overall timeout"), 1.0))
        put("nameservers", r.take(lambda: validate_nameservers(nameservers), none))
        put(
            "dns_timeout",
            r.take(
                lambda: validate_seconds(
                    dns_timeout, field="dns_timeout", label="The DNS timeout", maximum=MAX_DNS_TIMEOUT
                ),
                None,
            )
            if dns_timeout not in (None, "")
            else None,
        )
        r.raise_first()  # the rest are the command line's and the lab's options, read one by one as before
        lists = split_list(dnsbl_lists)
        if lists:
            from smtpkit.dnsbl import choose_lists  # the zone names' own rules (and their known lists)

            lists = tuple(bl.zone for bl in choose_lists(lists, only=True))
        put("dnsbl_lists", lists)
        if only_lists and not lists:
            raise invalid("dnsbl_lists", "only_lists needs at least one blocklist zone in dnsbl_lists (--list ZONE)")
        put("only_lists", bool(only_lists))
        put("allow_private", bool(allow_private))
        put("cafile", validate_cafile(cafile) if cafile not in (None, "") else None)
        put("mta_sts_port", validate_port(mta_sts_port, field="mta_sts_port", label="mta_sts_port"))
        put("probe_mx", bool(probe_mx))
        put("mx_port", validate_port(mx_port, field="mx_port", label="mx_port"))
        anchor = str(trust_anchor).strip() if trust_anchor is not None else ""
        if anchor:
            from smtpkit.dnssec import load_anchors  # the file's own rules; InvalidSettings(field="trust_anchor")

            load_anchors(anchor)
        put("trust_anchor", anchor or None)
        put("trust_ad", bool(trust_ad))

    @property
    def query_timeout(self) -> float:
        """Seconds per DNS query: `dns_timeout` (within the overall deadline), or a quarter of it (at most 2 s)."""
        return min(self.dns_timeout, self.timeout) if self.dns_timeout is not None else min(2.0, self.timeout / 4)

    @property
    def spf_domain(self) -> str:
        """SPF is checked for the MAIL FROM domain, which is the From domain unless a bounce domain is given."""
        return self.mail_from.rsplit("@", 1)[1] if self.mail_from else self.domain

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"domain": self.domain}
        if self.selectors:
            out["selectors"] = list(self.selectors)
        if self.ip:
            out["ip"] = self.ip
        if self.mail_from:
            out["mail_from"] = self.mail_from
        if self.nameservers:
            out["nameservers"] = list(self.nameservers)
        if self.dnsbl_lists:
            out["dnsbl_lists"] = list(self.dnsbl_lists)
        if self.only_lists:
            out["only_lists"] = True
        if self.allow_private:
            out["allow_private"] = True
        if self.cafile:
            out["cafile"] = self.cafile
        if self.mta_sts_port != 443:
            out["mta_sts_port"] = self.mta_sts_port
        if self.probe_mx:
            out["probe_mx"] = True
        if self.mx_port != 25:
            out["mx_port"] = self.mx_port
        if self.trust_anchor:
            out["trust_anchor"] = self.trust_anchor
        if self.trust_ad:
            out["trust_ad"] = True
        return out


def _domain_mail_from(value: Any) -> str | None:
    """The envelope sender of a domain check: an address, or a bare domain standing for its postmaster."""
    if value is None:
        return None
    text = plain_text("mail_from", value, "The MAIL FROM address")
    mf = text.strip("<>").strip()
    if not mf:
        return None
    if "@" not in mf:
        return f"postmaster@{validate_domain(mf, field='mail_from', label='The MAIL FROM domain')}"
    local, _at, dom = mf.rpartition("@")
    if not dom:
        raise invalid("mail_from", f"MAIL FROM {quoted(value)} has no domain; give an address like bounces@example.com")
    ascii_domain = validate_domain(dom, field="mail_from", label="The MAIL FROM domain")
    address = validate_address("mail_from", mf if local else f"postmaster@{dom}", "The MAIL FROM address")
    return f"{address.rpartition('@')[0]}@{ascii_domain}"
