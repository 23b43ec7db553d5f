"""The settings of one port matrix (`PortsQuery`): what `check_ports` and `smtpkit ports` take.

`smtpkit ports` imports this module and `smtpkit check` does not (why the settings are split: the
`smtpkit.settings` docstring).
"""

from __future__ import annotations

from collections.abc import Iterable

from smtpkit.record import record
from smtpkit.settings import (
    DEFAULT_PORTS,
    normalize_host,
    parse_host,
    validate_cafile,
    validate_helo,
    validate_nameservers,
    validate_ports,
    validate_seconds,
)

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (~4 ms of a CLI start); mypy reads it the same
if TYPE_CHECKING:
    from typing import Any


@record(frozen=True, init=False)
class PortsQuery:
    """What `check_ports` probes: one host, its candidate ports, and how long each probe may wait.

    The host may be typed as for a session (``host:port``, an ``smtp://`` URL);
    its port and scheme mean nothing here, since every port is tried both ways.
    """

    host: str
    ports: tuple[int, ...]
    timeout: float
    cafile: str | None
    helo: str | None
    nameservers: tuple[str, ...]

    def __init__(
        self,
        host: str,
        ports: str | Iterable[Any] = DEFAULT_PORTS,
        *,
        timeout: float | str = 5.0,
        cafile: str | None = None,
        helo: str | None = None,
        nameservers: str | Iterable[str] | None = (),
    ) -> None:
        name, _port, _security = parse_host(host)
        object.__setattr__(self, "host", normalize_host(name))
        object.__setattr__(self, "ports", tuple(validate_ports(ports)))
        object.__setattr__(self, "timeout", validate_seconds(timeout, field="timeout"))
        object.__setattr__(self, "cafile", validate_cafile(cafile) if cafile not in (None, "") else None)
        object.__setattr__(self, "helo", validate_helo(helo) if helo not in (None, "") else None)
        object.__setattr__(self, "nameservers", validate_nameservers(nameservers))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"host": self.host, "ports": list(self.ports), "timeout": self.timeout}
        if self.cafile:
            out["cafile"] = self.cafile
        if self.helo:
            out["helo"] = self.helo
        if self.nameservers:
            out["nameservers"] = list(self.nameservers)
        return out


# -- the portfolio audit ------------------------------------------------------------------------
