"""A resolver that says a top-level domain does not exist is lying: then its NXDOMAIN for a name means nothing.

When DNS answers NXDOMAIN for a domain or a server name, the check says the
name does not exist, and the fix is to correct the spelling or renew the
registration. But some resolvers answer NXDOMAIN for every name: a network
with no working upstream, a captive portal before its login, a DNS filter, a
sandbox. Then a small-business owner was told that their domain had lapsed.

One question tells the two apart: the top-level domain the name is under
(``uk`` for ``rosebakery.co.uk``). A TLD that the Public Suffix List knows is
delegated in the root zone, so a resolver that says it does not exist is
broken or filtered, and the name could not be checked from here. The question
is asked only after an NXDOMAIN, and only for a TLD the list knows: for names
under ``.test``, ``.invalid`` or ``.example`` (RFC 6761) and for a TLD that
does not exist, the NXDOMAIN stands. A TLD question that gets no answer, or any
answer but NXDOMAIN, leaves it standing too: only a definite lie is called one.
"""

from __future__ import annotations

import functools
from typing import Any

from smtpkit.net.dns import NXDOMAIN, Resolver

__all__ = ["denied_tld", "denied_tld_of", "known_tld"]


@functools.lru_cache(maxsize=1)
def _icann() -> Any:
    from publicsuffixlist import PublicSuffixList

    return PublicSuffixList(only_icann=True)


def known_tld(name: str) -> str | None:
    """The top-level domain of `name` when the Public Suffix List knows it (so the root zone delegates it)."""
    name = name.strip().rstrip(".").lower()
    tld = name.rsplit(".", 1)[-1]
    if not tld or tld == name or _icann().publicsuffix(tld, accept_unknown=False) is None:
        return None
    return tld


def denied_tld(name: str, resolver: Resolver) -> str | None:
    """The TLD of `name` when `resolver` says that TLD does not exist (it lies); None when it does not say so."""
    tld = known_tld(name)
    if tld is None:
        return None
    return tld if resolver.resolve(tld, "NS").status == NXDOMAIN else None


def denied_tld_of(name: str, resolver: Resolver | None, timeout: float) -> str | None:
    """`denied_tld` after an NXDOMAIN from `resolver`, or from the system resolver (getaddrinfo) when it is None:
    then this machine's configured resolvers are asked, within `timeout` seconds (at least half a second)."""
    if known_tld(name) is None:
        return None
    if resolver is None:
        try:
            resolver = Resolver(timeout=max(0.5, timeout))
        except ValueError:  # no resolver configured: nothing to ask
            return None
    return denied_tld(name, resolver)
