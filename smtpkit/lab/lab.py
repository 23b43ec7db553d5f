"""The practice lab as one object: start every server, describe the endpoints, stop cleanly.

Why one object with a plain description (`LabInfo`): three very different
users need the same lab. Tests start a private one per session on ephemeral
ports; `smtpkit lab` starts one for a person and a JupyterLab next to it;
notebook kernels, which run in JupyterLab's child processes, must find *that*
lab rather than start a second one. So a running lab can write its
description (endpoints, CA file, spool, and the lab password) to a state file,
readable only by its owner, whose path `smtpkit lab` exports as
``SMTPKIT_LAB_STATE``; `ensure_running()` reads it, checks the lab still
answers, and otherwise starts a lab inside the kernel.

The lab password is random per start (set ``SMTPKIT_LAB_PASSWORD`` to choose
one), always a `Secret`, and registered with the redactor together with its
AUTH encodings, so even the lab's own password never appears in a report.
"""

from __future__ import annotations

import atexit
import dataclasses
import datetime as _dt
import json
import logging
import os
import secrets
import shutil
import socket
import tempfile
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from smtpkit.lab.scenarios import LAB_DOMAIN, Scenario, all_scenarios
from smtpkit.lab.smtp_servers import IDLE_TIMEOUT, MessageSpool, ReceivedMessage, SmtpServers
from smtpkit.render import Viewable
from smtpkit.secrets import REDACTOR, Secret, as_secret

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "DEFAULT_USER",
    "ENV_PASSWORD",
    "ENV_STATE",
    "DnsEndpoint",
    "Lab",
    "LabInfo",
    "SmtpEndpoint",
    "ensure_running",
    "load_state",
]

log = logging.getLogger("smtpkit.lab")

DEFAULT_USER = "lab@smtpkit.test"
ENV_STATE = "SMTPKIT_LAB_STATE"
ENV_PASSWORD = "SMTPKIT_LAB_PASSWORD"
STATE_VERSION = 1


@dataclass(frozen=True)
class SmtpEndpoint:
    """One lab SMTP server: where it listens and what it demonstrates.

    `security` is how a client should connect to see the lesson (starttls,
    tls or plain); `scenario` is where the lesson shows up (healthy, connect,
    tls, auth, send); `expect` is the finding code a correct diagnosis names
    (None for a healthy server); `hostname` the name the server calls itself;
    `provider` the provider it imitates, if any.
    """

    name: str
    host: str
    port: int
    security: str
    scenario: str
    description: str
    expect: str | None = None
    hostname: str = "mail.smtpkit.test"
    provider: str | None = None

    @property
    def address(self) -> tuple[str, int]:
        return self.host, self.port

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "host": self.host,
            "port": self.port,
            "security": self.security,
            "scenario": self.scenario,
            "description": self.description,
            "expect": self.expect,
            "hostname": self.hostname,
            "provider": self.provider,
        }

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> SmtpEndpoint:
        return cls(
            name=str(doc["name"]),
            host=str(doc["host"]),
            port=int(doc["port"]),
            security=str(doc["security"]),
            scenario=str(doc.get("scenario", "")),
            description=str(doc.get("description", "")),
            expect=doc.get("expect"),
            hostname=str(doc.get("hostname") or "mail.smtpkit.test"),
            provider=doc.get("provider"),
        )


def _hostport(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


@dataclass(frozen=True)
class DnsEndpoint:
    """The lab's authoritative DNS server (UDP and TCP on one port) and the zones it serves."""

    host: str
    port: int
    zones: tuple[str, ...] = ()
    portfolio: int = 0  # generated audit domains advertised (smtpkit.lab.portfolio); 0: the default size
    delay_ms: float = 0.0  # latency added to every answer
    timeouts: float = 0.01  # share of the portfolio whose nameservers never answer (smtpkit.lab.portfolio.DEAD)

    @property
    def nameserver(self) -> str:
        """``host:port`` as `smtpkit.net.dns.Resolver(nameservers=[...])` takes it."""
        return _hostport(self.host, self.port)

    def to_dict(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "port": self.port,
            "zones": list(self.zones),
            "portfolio": self.portfolio,
            "delay_ms": self.delay_ms,
            "timeouts": self.timeouts,
        }

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> DnsEndpoint:
        return cls(
            host=str(doc["host"]),
            port=int(doc["port"]),
            zones=tuple(doc.get("zones") or ()),
            portfolio=int(doc.get("portfolio") or 0),
            delay_ms=float(doc.get("delay_ms") or 0.0),
            timeouts=float(doc.get("timeouts", 0.01)),
        )


@dataclass(frozen=True, eq=False)
class LabInfo(Viewable):
    """Everything a client needs to use a running lab. The password is a `Secret`; `to_dict()` omits it.

    Its HTML and text views are the lab overview (`smtpkit.lab.overview`).
    """

    smtp: list[SmtpEndpoint]
    dns: DnsEndpoint | None
    ca_file: str
    user: str
    password: Secret
    domain: str = LAB_DOMAIN
    spool_dir: str | None = None
    state_file: str | None = None
    origin: str = "this process"
    skipped: Mapping[str, str] = field(default_factory=dict)
    mta_sts_port: int | None = None  # the lab's HTTPS host for MTA-STS policies: its "443"
    trust_anchor: str | None = None  # the lab's DNSSEC trust anchor file (the key of test.)

    def __post_init__(self) -> None:
        object.__setattr__(self, "skipped", MappingProxyType(dict(self.skipped)))

    @property
    def names(self) -> list[str]:
        return [e.name for e in self.smtp]

    def endpoint(self, name: str) -> SmtpEndpoint:
        for e in self.smtp:
            if e.name == name:
                return e
        why = f" ({self.skipped[name]})" if name in self.skipped else ""
        raise KeyError(f"no lab endpoint named {name!r}{why}; the lab has: {', '.join(self.names)}")

    @property
    def mx_port(self) -> int:
        """The port of the lab's inbound MX: the lab's "25" (give it as --mx-port)."""
        return self.endpoint("mx").port

    def domain_options(self) -> dict[str, Any]:
        """`check_domain` settings that point every lookup, fetch and probe at this lab (see `smtpkit.lab.inbound`)."""
        from smtpkit.lab.inbound import domain_options

        return domain_options(self)

    @property
    def nameserver(self) -> str:
        if self.dns is None:
            reason = self.skipped.get("dns", "the lab was started without DNS")
            raise RuntimeError(f"this lab has no DNS server: {reason}")
        return self.dns.nameserver

    def to_dict(self) -> dict[str, Any]:
        """The JSON of ``smtpkit lab --servers-only --json`` (never the password)."""
        return {
            "smtp": [e.to_dict() for e in self.smtp],
            "dns": self.dns.to_dict() if self.dns else None,
            "ca_file": self.ca_file,
            "user": self.user,
            "domain": self.domain,
            "spool_dir": self.spool_dir,
            "state_file": self.state_file,
            "skipped": dict(self.skipped),
            "mta_sts_port": self.mta_sts_port,
            "trust_anchor": self.trust_anchor,
        }

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any], password: Secret | str, *, origin: str = "this process") -> LabInfo:
        return cls(
            smtp=[SmtpEndpoint.from_dict(e) for e in doc["smtp"]],
            dns=DnsEndpoint.from_dict(doc["dns"]) if doc.get("dns") else None,
            ca_file=str(doc["ca_file"]),
            user=str(doc["user"]),
            password=as_secret(password) or Secret(""),
            domain=str(doc.get("domain") or LAB_DOMAIN),
            spool_dir=doc.get("spool_dir"),
            state_file=doc.get("state_file"),
            origin=origin,
            skipped=doc.get("skipped") or {},
            mta_sts_port=doc.get("mta_sts_port"),
            trust_anchor=doc.get("trust_anchor"),
        )

    # --- what arrived ----------------------------------------------------------------
    def messages(self, name: str = "submission") -> list[ReceivedMessage]:
        """Messages endpoint `name` accepted, oldest first (the newest 50 are kept)."""
        self.endpoint(name)
        if not self.spool_dir or not Path(self.spool_dir).is_dir():
            return []
        return MessageSpool(self.spool_dir).list(name)

    def bounces(self, name: str = "mx") -> list[ReceivedMessage]:
        """The DSNs endpoint `name` wrote for the recipients and messages it refused (see `smtpkit.lab.evidence`)."""
        from smtpkit.lab.evidence import dsn_endpoint

        self.endpoint(name)
        if not self.spool_dir or not Path(self.spool_dir).is_dir():
            return []
        return MessageSpool(self.spool_dir).list(dsn_endpoint(name))

    def clear_messages(self, name: str | None = None) -> None:
        if self.spool_dir and Path(self.spool_dir).is_dir():
            MessageSpool(self.spool_dir).clear(name)

    # --- views -----------------------------------------------------------------------
    def rows(self) -> list[dict[str, Any]]:
        return [
            {
                "name": e.name,
                "security": e.security,
                "host": e.host,
                "port": e.port,
                "shows": e.scenario,
                "expected finding": e.expect or "",
                "what it demonstrates": e.description,
            }
            for e in self.smtp
        ]

    def to_frame(self) -> pd.DataFrame:
        """The SMTP endpoints as a pandas DataFrame (one row each)."""
        import pandas as pd

        return pd.DataFrame(self.rows())

    def to_html(self) -> str:
        from smtpkit.lab.overview import overview

        return overview(self).to_html()

    def to_text(self) -> str:
        from smtpkit.lab.overview import overview

        return overview(self).to_text()

    def __repr__(self) -> str:
        dns = self.dns.nameserver if self.dns else None
        return f"LabInfo({len(self.smtp)} SMTP endpoints, dns={dns!r}, user={self.user!r}, origin={self.origin!r})"


_RUNNING: set[Lab] = set()
WORKDIR_PREFIX = "smtpkit-lab-"
OWNER_FILE = "owner.pid"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, somebody else's
        return True
    return True


def _quiet_aiosmtpd_log() -> None:
    """Keep aiosmtpd's own log ("mail.log") out of notebooks and terminals, and redacted.

    aiosmtpd logs every unrecognised line a client sends, raw, at WARNING; with
    no handler configured Python prints that on stderr, so a port-matrix probe
    (a TLS ClientHello sent to a plain-text lab port) filled notebook cells with
    binary noise. The lab's lessons are in the findings, not in that log: unless
    the application configured "mail.log" itself, only errors get through, and
    whatever does is redacted like every smtpkit log.
    """
    from smtpkit.log_redaction import RedactingFilter

    mail_log = logging.getLogger("mail.log")
    if mail_log.level == logging.NOTSET:
        mail_log.setLevel(logging.ERROR)
    if not any(isinstance(f, RedactingFilter) for f in mail_log.filters):
        mail_log.addFilter(RedactingFilter())


def _sweep_stale_workdirs(directory: str | None = None) -> list[Path]:
    """Delete the directories of labs whose process died without stopping them; returns what went.

    A process killed outright (a notebook kernel shut down with SIGKILL, a
    crash) cannot clean up, and its lab directory holds a CA private key and
    the spooled mail. Each lab directory names its owner's pid, so the next lab
    that starts removes those whose owner is gone. Pid reuse can only make us
    keep a directory, never delete a live one.
    """
    removed: list[Path] = []
    root = Path(directory or tempfile.gettempdir())
    try:
        candidates = list(root.glob(f"{WORKDIR_PREFIX}*"))
    except OSError:
        return removed
    for path in candidates:
        try:
            if not path.is_dir() or (hasattr(os, "getuid") and path.stat().st_uid != os.getuid()):
                continue
            pid = int((path / OWNER_FILE).read_text(encoding="ascii").strip())
        except (OSError, ValueError, KeyError):
            continue  # not ours, being created, or no owner file: leave it alone
        if pid != os.getpid() and not _pid_alive(pid):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


@atexit.register
def _stop_running_labs() -> None:
    """Stop every lab still running when the interpreter exits (ports released, temp files deleted)."""
    for lab in list(_RUNNING):
        try:
            lab.stop()
        except Exception as exc:  # exit must go on; say what was left behind
            log.warning("could not stop a practice lab at exit: %s", exc)


def _write_private_json(path: Path, doc: Mapping[str, Any]) -> None:
    """Write JSON readable only by its owner: created 0600, then atomically renamed into place."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(doc, fh, indent=2)
    os.replace(tmp, path)


class Lab:
    """The practice lab: SMTP scenario servers, the lab DNS server and the lab CA, on loopback.

    Every port is ephemeral unless `ports` names one ({"submission": 2587,
    "dns": 5353}), so labs in parallel test runs never collide.

    >>> with Lab() as info:                                   # doctest: +SKIP
    ...     print(info.endpoint("submission").port)
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        *,
        user: str = DEFAULT_USER,
        password: str | Secret | None = None,
        scenarios: Iterable[Scenario] | None = None,
        ports: Mapping[str, int] | None = None,
        dns: bool = True,
        idle_timeout: float = IDLE_TIMEOUT,
        audit_zones: int | None = None,
        dns_delay: float = 0.0,
        dns_timeouts: float = 0.01,
    ) -> None:
        self.host = host
        self.user = user
        self._password = as_secret(password)
        self._scenarios = list(scenarios) if scenarios is not None else None
        self._ports = dict(ports or {})
        self._want_dns = dns
        self._audit_zones = audit_zones  # the generated portfolio's size (smtpkit.lab.portfolio)
        self._dns_delay = dns_delay
        if not 0 <= float(dns_timeouts) <= 0.99:
            raise ValueError(f"the share of portfolio domains that time out is 0 to 0.99, not {dns_timeouts}")
        self._dns_timeouts = float(dns_timeouts)  # the share of them whose DNS never answers
        self._idle_timeout = idle_timeout
        self._lock = threading.Lock()
        self._info: LabInfo | None = None
        self._smtp: SmtpServers | None = None
        self._dns: Any = None
        self._inbound: Any = None
        self._workdir: Path | None = None

    # --- life cycle --------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._info is not None

    @property
    def info(self) -> LabInfo:
        if self._info is None:
            raise RuntimeError("the lab is not running; call Lab.start() (or use smtpkit.lab.ensure_running())")
        return self._info

    def start(self) -> LabInfo:
        """Start every server in background threads and return the endpoints."""
        with self._lock:
            if self._info is not None:
                return self._info
            try:
                self._info = self._start()
            except BaseException:
                self._cleanup()
                raise
            # Kept alive here, so `info = Lab().start()` does not lose its lab to the garbage
            # collector; whatever is still running at interpreter exit is stopped then.
            _RUNNING.add(self)
            return self._info

    def _start(self) -> LabInfo:
        from smtpkit.lab.ca import LabCA, old_tls_supported

        _sweep_stale_workdirs()
        _quiet_aiosmtpd_log()
        self._workdir = Path(tempfile.mkdtemp(prefix=WORKDIR_PREFIX))  # 0700
        (self._workdir / OWNER_FILE).write_text(f"{os.getpid()}\n", encoding="ascii")
        password = self._password or Secret.from_env(ENV_PASSWORD) or Secret(secrets.token_urlsafe(12))
        self._password = password
        REDACTOR.register_auth(self.user, password)

        skipped: dict[str, str] = {}
        scenarios = []
        for sc in self._scenarios if self._scenarios is not None else all_scenarios():
            if sc.requires == "old_tls":
                ok, why = old_tls_supported()
                if not ok:
                    skipped[sc.name] = why
                    continue
            elif sc.requires:
                skipped[sc.name] = f"needs {sc.requires}, which this lab does not know how to provide"
                continue
            scenarios.append(sc)

        ca = LabCA(self._workdir / "tls")
        spool = MessageSpool(self._workdir / "spool")
        self._smtp = SmtpServers(
            scenarios,
            host=self.host,
            ca=ca,
            user=self.user,
            password=password,
            spool=spool,
            ports=self._ports,
            idle_timeout=self._idle_timeout,
        )
        ports = self._smtp.start()
        from smtpkit.lab.inbound import InboundServers

        self._inbound = InboundServers(
            self.host,
            ca,
            scenarios=scenarios,
            smtp_options={"user": self.user, "password": password, "spool": spool, "idle_timeout": self._idle_timeout},
            ports=self._ports,
        )
        inbound_ports = self._inbound.start(skipped, mx_port=ports.get("mx"))
        dns = self._start_dns(skipped) if self._want_dns else None
        from smtpkit.lab.evidence import attach

        attach(self._smtp, spool, nameserver=dns.nameserver if dns else None)
        if not self._want_dns:
            skipped["dns"] = "started with dns=False"
        endpoints = [
            SmtpEndpoint(
                name=sc.name,
                host=self.host,
                port=ports[sc.name],
                security=sc.security,
                scenario=sc.category,
                description=sc.description,
                expect=sc.expect,
                hostname=sc.hostname,
                provider=sc.provider,
            )
            for sc in scenarios
        ]
        return LabInfo(
            smtp=endpoints,
            dns=dns,
            ca_file=ca.ca_file,
            user=self.user,
            password=password,
            spool_dir=str(spool.directory),
            skipped=skipped,
            mta_sts_port=inbound_ports.get("mta_sts"),
            trust_anchor=self._inbound.trust_anchor_file,
        )

    def _start_dns(self, skipped: dict[str, str]) -> DnsEndpoint | None:
        try:
            from smtpkit.lab.dns_server import DnsServer
            from smtpkit.lab.portfolio import DEFAULT_SIZE, PortfolioZoneSet, lab_records
            from smtpkit.lab.zones import lab_zoneset
        except ImportError as exc:
            skipped["dns"] = f"the lab DNS server is not available ({exc})"
            log.warning("practice lab: no DNS server: %s", exc)
            return None
        inbound = self._inbound
        base = lab_zoneset(
            ip=self.host,
            extra=inbound.zone_records if inbound else (),
            extra_zones=inbound.zone_descriptions if inbound else None,
        )
        size = DEFAULT_SIZE if self._audit_zones is None else int(self._audit_zones)
        zoneset = PortfolioZoneSet(base, lambda: lab_records(self.host), size=size)
        signer = inbound.signer if inbound else None
        self._dns = DnsServer(
            zoneset,
            host=self.host,
            port=int(self._ports.get("dns", 0)),
            signer=signer,
            delay=float(self._dns_delay),
        )
        host, port = self._dns.start()
        return DnsEndpoint(
            host=host,
            port=port,
            zones=tuple(zoneset.zone_names()),
            portfolio=size,
            delay_ms=round(float(self._dns_delay) * 1000, 3),
            timeouts=self._dns_timeouts,
        )

    def stop(self) -> None:
        """Stop every server (threads joined, ports released) and delete the lab's files; safe to call twice."""
        with self._lock:
            self._cleanup()

    def _cleanup(self) -> None:
        if self._dns is not None:
            try:
                self._dns.stop()
            finally:
                self._dns = None
        if self._inbound is not None:
            try:
                self._inbound.stop()
            finally:
                self._inbound = None
        if self._smtp is not None:
            try:
                self._smtp.stop()
            finally:
                self._smtp = None
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None
        self._info = None
        _RUNNING.discard(self)

    def __enter__(self) -> LabInfo:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- conveniences ------------------------------------------------------------------
    def messages(self, name: str = "submission") -> list[ReceivedMessage]:
        """Messages endpoint `name` accepted (see `LabInfo.messages`)."""
        return self.info.messages(name)

    def write_state(self, path: str | os.PathLike[str] | None = None) -> Path:
        """Write the state file other processes use to find this lab (mode 0600; it holds the password).

        Also saves the lab's DKIM keys next to it, so a notebook kernel signs
        with the keys whose public halves this lab's DNS publishes.
        """
        info = self.info
        assert self._workdir is not None
        target = Path(path) if path else self._workdir / "state.json"
        dkim_dir = None
        try:
            from smtpkit.lab.dkim_signer import lab_keys

            dkim_dir = self._workdir / "dkim"
            lab_keys().save(dkim_dir)
        except ImportError:
            pass
        info = dataclasses.replace(info, state_file=str(target))
        self._info = info
        _write_private_json(
            target,
            {
                "version": STATE_VERSION,
                "pid": os.getpid(),
                "started": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
                "lab": info.to_dict(),
                "password": info.password.reveal(),
                "dkim_dir": str(dkim_dir) if dkim_dir else None,
            },
        )
        return target


# ----------------------------------------------------------------------------- finding a running lab
def _answers(info: LabInfo, timeout: float) -> str | None:
    """None when the lab's healthy SMTP server greets (and its DNS answers); else what is wrong."""
    healthy = [e for e in info.smtp if e.scenario == "healthy" and e.security != "tls"]
    if not healthy:
        return "the state file lists no healthy plain/STARTTLS endpoint"
    ep = healthy[0]
    try:
        with socket.create_connection(ep.address, timeout=timeout) as sock:
            sock.settimeout(timeout)
            greeting = sock.recv(512)
            sock.sendall(b"QUIT\r\n")
    except OSError as exc:
        return f"{ep.name} at {_hostport(*ep.address)}: {exc}"
    if not greeting.startswith(b"220"):
        return f"{ep.name} at {_hostport(*ep.address)} greeted with {greeting[:80]!r}"
    if info.dns is not None:
        try:
            import dns.message
            import dns.query
            import dns.rcode

            query = dns.message.make_query(info.domain, "SOA")
            reply = dns.query.udp(query, info.dns.host, port=info.dns.port, timeout=timeout)
            if reply.rcode() != dns.rcode.NOERROR:
                return f"the lab DNS server answered {dns.rcode.to_text(reply.rcode())} for {info.domain} SOA"
        except Exception as exc:  # any failure means "not the lab we want"
            return f"the lab DNS server at {info.dns.nameserver} did not answer: {type(exc).__name__}: {exc}"
    return None


def load_state(path: str | os.PathLike[str], *, timeout: float = 2.0) -> tuple[LabInfo | None, str]:
    """The lab a state file describes, if it is still running: (info, "") or (None, why not)."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
        if doc.get("version") != STATE_VERSION:
            return None, f"state file version {doc.get('version')!r}, expected {STATE_VERSION}"
        info = LabInfo.from_dict(
            {**doc["lab"], "state_file": str(path)},
            Secret(doc["password"]),
            origin=f"smtpkit lab (pid {doc.get('pid')})",
        )
    except FileNotFoundError:
        return None, f"{path} does not exist (the lab that wrote it has stopped)"
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return None, f"{path} is not a readable lab state file: {type(exc).__name__}: {exc}"
    REDACTOR.register_auth(info.user, info.password)
    problem = _answers(info, timeout)
    if problem:
        return None, problem
    if doc.get("dkim_dir"):
        try:
            from smtpkit.lab.dkim_signer import DkimKeys, use_lab_keys

            use_lab_keys(DkimKeys.load(doc["dkim_dir"]))
        except (ImportError, OSError, ValueError) as exc:
            log.warning("could not adopt the running lab's DKIM keys from %s: %s", doc["dkim_dir"], exc)
    return info, ""


_PROCESS_LOCK = threading.Lock()
_PROCESS_LAB: Lab | None = None


def ensure_running(*, state_file: str | os.PathLike[str] | None = None, timeout: float = 2.0) -> LabInfo:
    """The practice lab for this process: the one `smtpkit lab` runs, or one started here.

    Looks for the state file named by `state_file` or ``$SMTPKIT_LAB_STATE``
    and reuses that lab when it answers; otherwise starts a lab in this
    process, once (later calls return the same one), stopped at exit.
    """
    path = state_file or os.environ.get(ENV_STATE)
    if path:
        info, why = load_state(path, timeout=timeout)
        if info is not None:
            log.info("using the practice lab from %s", path)
            return info
        log.warning("the practice lab in %s cannot be used (%s); starting one in this process", path, why)
    global _PROCESS_LAB
    with _PROCESS_LOCK:
        if _PROCESS_LAB is None or not _PROCESS_LAB.running:
            lab = Lab()
            lab.start()  # stopped at exit by _stop_running_labs
            _PROCESS_LAB = lab
        return _PROCESS_LAB.info
