"""The practice lab makes evidence: received messages with a journey and verdicts, and bounces.

So that `smtpkit message`, `smtpkit bounce` and the 07_message notebook work
offline, the lab behaves like the two real servers a person's evidence comes
from:

* its inbound MX (any scenario with `local_domains` and no AUTH) stamps what
  it accepts as a receiver does: ``Return-Path``, an ``Authentication-Results``
  with SPF, DKIM and DMARC evaluated by the kit's own engines against the lab's
  DNS, and a ``Received`` field in Postfix's dialect (with TLS version and
  cipher when the client used STARTTLS);
* every lab server that refuses a recipient or a message with a 5xx reply
  writes the RFC 3464 DSN the client's MTA would have sent back to the sender
  (``Final-Recipient``, ``Action: failed``, ``Status``, ``Remote-MTA``,
  ``Diagnostic-Code``, and the returned headers), kept in the spool as
  ``<endpoint>__dsn`` (`LabInfo.bounces(name)`).

`send_to_lab` and `bounce_from_lab` drive the lab MX over loopback for a
notebook or a test and return the evidence that results.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as _dt
import email.utils
import logging
import secrets
import smtplib
import ssl
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from smtpkit.lab.lab import LabInfo
    from smtpkit.lab.smtp_servers import MessageSpool, SmtpServers
    from smtpkit.net.dns import Resolver

__all__ = ["EvidenceMaker", "attach", "bounce_from_lab", "dsn_endpoint", "make_dsn", "send_to_lab"]

log = logging.getLogger("smtpkit.lab.evidence")

MAX_RETURNED_HEADERS = 16 * 1024


def dsn_endpoint(name: str) -> str:
    """The spool folder of the DSNs endpoint `name` wrote."""
    return f"{name}__dsn"


def _status_of(reply: str) -> tuple[str, str, str]:
    """(reply code, enhanced code, text) of a possibly multi-line reply."""
    import re

    lines = [ln for ln in reply.replace("\r\n", "\n").split("\n") if ln.strip()]
    code = lines[-1][:3] if lines else "550"
    text = " ".join(re.sub(r"^\d{3}[ -]", "", ln) for ln in lines)
    m = re.match(r"\s*([245]\.\d{1,3}\.\d{1,3})\b", text)
    enhanced = m.group(1) if m else ("5.0.0" if code.startswith("5") else "4.0.0")
    return code, enhanced, text


def make_dsn(
    *,
    reporting_mta: str,
    sender: str,
    recipient: str,
    reply: str,
    remote_mta: str,
    original: bytes = b"",
    stage: str = "rcpt",
) -> bytes:
    """An RFC 3464 multipart/report for one refused recipient, as Postfix writes them."""
    code, enhanced, text = _status_of(reply)
    boundary = f"{secrets.token_hex(8)}/{reporting_mta}"
    now = email.utils.formatdate(localtime=False)
    command = {"rcpt": "RCPT TO", "mail": "MAIL FROM", "message": "end of DATA"}.get(stage, "RCPT TO")
    headers = original.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0][:MAX_RETURNED_HEADERS]
    parts = [
        f"Return-Path: <>\r\nFrom: MAILER-DAEMON@{reporting_mta} (Mail Delivery System)\r\n"
        f"To: {sender}\r\nSubject: Undelivered Mail Returned to Sender\r\nDate: {now}\r\n"
        f"Message-ID: <{secrets.token_hex(8)}@{reporting_mta}>\r\nAuto-Submitted: auto-replied\r\n"
        f'MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status;\r\n\tboundary="{boundary}"'
        "\r\n\r\nThis is a MIME-encapsulated message.\r\n\r\n",
        f"--{boundary}\r\nContent-Description: Notification\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
        f"This is the mail system at host {reporting_mta}.\r\n\r\nI'm sorry to have to inform you that your message"
        " could not\r\nbe delivered to one or more recipients.\r\n\r\n                   The mail system\r\n\r\n"
        f"<{recipient}>: host {remote_mta}[127.0.0.1] said: {code} {text} (in reply to {command} command)\r\n\r\n",
        f"--{boundary}\r\nContent-Description: Delivery report\r\nContent-Type: message/delivery-status\r\n\r\n"
        f"Reporting-MTA: dns; {reporting_mta}\r\nArrival-Date: {now}\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\nOriginal-Recipient: rfc822;{recipient}\r\nAction: failed\r\n"
        f"Status: {enhanced}\r\nRemote-MTA: dns; {remote_mta}\r\nDiagnostic-Code: smtp; {code} {text}\r\n\r\n",
        f"--{boundary}\r\nContent-Description: Undelivered Message Headers\r\n"
        "Content-Type: text/rfc822-headers\r\n\r\n",
    ]
    return "".join(parts).encode("utf-8", "replace") + headers + f"\r\n\r\n--{boundary}--\r\n".encode()


class EvidenceMaker:
    """One lab server's evidence hooks (see the module docstring)."""

    def __init__(self, runtime: Any, spool: MessageSpool, nameserver: str | None) -> None:
        self.runtime = runtime
        self.spool = spool
        self.nameserver = nameserver
        sc = runtime.scenario
        self.is_mx = sc.local_domains is not None and sc.auth == "none"
        self.is_submission = sc.name == "submission"  # stamps Received only, like a submission server

    def _resolver(self) -> Resolver | None:
        if not self.nameserver:
            return None
        from smtpkit.net.dns import Resolver

        return Resolver(nameservers=[self.nameserver], timeout=1.0, lifetime=3.0)

    # --- DSNs --------------------------------------------------------------------------
    async def rejected_async(self, sender: str, recipients: list[str], reply: str, stage: str) -> None:
        await asyncio.get_running_loop().run_in_executor(None, self.rejected, sender, recipients, reply, stage)

    def rejected(self, sender: str, recipients: list[str], reply: str, stage: str, original: bytes = b"") -> None:
        """Write the DSN the client's MTA would send `sender` (none for the null sender: no bounce of a bounce)."""
        from smtpkit.lab.smtp_servers import ReceivedMessage

        if not sender or "@" not in sender:
            return
        name = dsn_endpoint(self.runtime.scenario.name)
        for rcpt in recipients[:20]:
            data = make_dsn(
                reporting_mta="mail.smtpkit.test",
                sender=sender,
                recipient=rcpt,
                reply=reply,
                remote_mta=self.runtime.scenario.hostname,
                original=original or f"From: {sender}\r\nTo: {rcpt}\r\n".encode(),
                stage=stage,
            )
            try:
                self.spool.add(
                    ReceivedMessage(
                        endpoint=name,
                        seq=self.spool.next_seq(name),
                        received_at=_dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
                        peer="",
                        helo="",
                        tls_version=None,
                        authenticated_as=None,
                        mail_from="",
                        rcpt_tos=(sender,),
                        size=len(data),
                        data=data,
                    )
                )
            except OSError as exc:
                log.warning("lab: could not keep a DSN: %s", exc)

    # --- stamping what an MX accepts --------------------------------------------------------
    async def stamp_async(self, session: Any, envelope: Any, raw: bytes, transport: Any) -> bytes:
        if not (self.is_mx or self.is_submission):
            return raw
        ssl_object = transport.get_extra_info("ssl_object") if transport else None
        tls = (ssl_object.version(), (ssl_object.cipher() or ("",))[0]) if ssl_object is not None else None
        peer = session.peer
        ip = peer[0] if isinstance(peer, tuple) else "127.0.0.1"
        args = (raw, ip, session.host_name or "", envelope.mail_from or "", list(envelope.rcpt_tos), tls)
        return await asyncio.get_running_loop().run_in_executor(
            None, lambda: self.stamp(*args, authed=session.authenticated)
        )

    def stamp(
        self,
        raw: bytes,
        ip: str,
        helo: str,
        mail_from: str,
        rcpt_tos: list[str],
        tls: tuple[str, str] | None,
        *,
        authed: bool = False,
    ) -> bytes:
        """Return-Path, Authentication-Results and Received on top of `raw`, as a receiving MTA adds them."""
        host = self.runtime.scenario.hostname
        queue_id = secrets.token_hex(5).upper()
        resolver = self._resolver() if self.is_mx else None
        rdns = "localhost" if self.is_submission else "unknown"
        results = ""
        if resolver is not None:
            try:
                rdns, results = self._verdicts(raw, ip, helo, mail_from, resolver)
            except Exception as exc:  # the lab must keep the message whatever its verdicts
                log.warning("lab: could not compute Authentication-Results: %s", exc)
        using = f" (using {tls[0]} with cipher {tls[1]})" if tls else ""
        proto = ("ESMTPSA" if tls else "ESMTPA") if authed else ("ESMTPS" if tls else "ESMTP")
        rcpt = f"\r\n\tfor <{rcpt_tos[0]}>" if len(rcpt_tos) == 1 else ""
        received = (
            f"Received: from {helo or 'unknown'} ({rdns} [{ip}]){using}\r\n\tby {host} (smtpkit lab) with {proto}"
            f" id {queue_id}{rcpt}; {email.utils.formatdate(localtime=False)}\r\n"
        )
        if self.is_submission:
            return received.encode("utf-8", "replace") + raw
        top = f"Return-Path: <{mail_from}>\r\n"
        if results:
            top += f"Authentication-Results: {host};\r\n\t{results}\r\n"
        return (top + received).encode("utf-8", "replace") + raw

    def _verdicts(self, raw: bytes, ip: str, helo: str, mail_from: str, resolver: Resolver) -> tuple[str, str]:
        from smtpkit.dkim.verify import verify_message
        from smtpkit.dmarc.alignment import check_alignment
        from smtpkit.dmarc.discovery import discover
        from smtpkit.net.dns import reverse_name
        from smtpkit.spf.evaluator import check_identity

        ptr = resolver.resolve(reverse_name(ip), "PTR")
        rdns = ptr.texts[0].rstrip(".") if ptr.ok and ptr.texts else "unknown"
        spf = check_identity(ip, mail_from, helo or "unknown", resolver, deadline=5.0)
        v = verify_message(raw, resolver)
        parts = [f"spf={spf.result.value} smtp.mailfrom={mail_from or 'postmaster@' + (helo or 'unknown')}"]
        for s in v.signatures[:3]:
            parts.append(f"dkim={s.result} header.d={s.domain} header.s={s.selector}")
        if not v.signatures:
            parts.append("dkim=none")
        if v.from_domain:
            disc = discover(v.from_domain, resolver)
            rec = disc.record
            if rec is None or not rec.valid:
                parts.append(f"dmarc=none header.from={v.from_domain}")
            else:
                rows = check_alignment(
                    v.from_domain,
                    spf_domain=mail_from.rpartition("@")[2] or None,
                    spf_pass=spf.passed,
                    dkim=[(s.domain, s.passed) for s in v.signatures if s.domain],
                    adkim=rec.adkim,
                    aspf=rec.aspf,
                )
                ok = any(r.aligned and r.authenticated is True for r in rows)
                parts.append(f"dmarc={'pass' if ok else 'fail'} (p={rec.policy}) header.from={v.from_domain}")
        return rdns, ";\r\n\t".join(parts)


def attach(servers: SmtpServers, spool: MessageSpool, *, nameserver: str | None) -> None:
    """Give every lab server its evidence hooks (called by `Lab.start` once DNS runs)."""
    for runtime in servers.runtimes.values():
        runtime.evidence = EvidenceMaker(runtime, spool, nameserver)


# ------------------------------------------------------------------------------------------ driving the lab


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def _deliver(
    info: LabInfo, message: bytes, mail_from: str, rcpt: str, name: str, timeout: float, *, login: bool = False
) -> str:
    """Deliver over STARTTLS to lab endpoint `name` (verified with the lab CA); '' or the refusal."""
    ep = info.endpoint(name)
    ctx = ssl.create_default_context(cafile=info.ca_file)
    ctx.check_hostname = False  # the lab certificate names mail.smtpkit.test; we connect to 127.0.0.1
    helo = "laptop.smtpkit.test" if login else "mail.smtpkit.test"
    with smtplib.SMTP(ep.host, ep.port, timeout=timeout, local_hostname=helo) as s:
        s.starttls(context=ctx)
        if login:  # PLAIN: the mechanism every client has; the password never leaves this process in clear text
            s.ehlo()
            blob = base64.b64encode(f"\0{info.user}\0{info.password.reveal()}".encode()).decode("ascii")
            code, _text_reply = s.docmd("AUTH", f"PLAIN {blob}")  # UTF-8 (smtplib's own PLAIN is ASCII only)
            if code != 235:
                return f"{code} login refused"
        try:
            s.sendmail(mail_from, [rcpt], message)
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            return f"{code} {_text(text)}"
        except smtplib.SMTPResponseException as exc:
            return f"{exc.smtp_code} {_text(exc.smtp_error)}"
    return ""


def send_to_lab(
    info: LabInfo, *, rcpt: str = "bob@smtpkit.test", sign: bool = True, name: str = "mx", timeout: float = 10.0
) -> bytes:
    """Send a lab-signed example message the way mail travels, and return the copy the lab MX kept.

    Two real hops: the lab user submits it to the lab's submission server
    (logged in, STARTTLS), which stamps its Received field; that copy is then
    relayed to the lab MX, which stamps Received and Authentication-Results.
    """
    from smtpkit.lab.dkim_signer import example_message, sign_message

    msg = example_message(to_addr=rcpt)
    if sign:
        msg = sign_message(msg)
    refused = _deliver(info, msg, "alice@smtpkit.test", rcpt, "submission", timeout, login=True)
    if refused:
        raise RuntimeError(f"the lab submission server refused the message: {refused}")
    submitted = info.messages("submission")
    if submitted:
        msg = submitted[-1].data
    refused = _deliver(info, msg, "alice@smtpkit.test", rcpt, name, timeout)
    if refused:
        raise RuntimeError(f"the lab {name} refused the message: {refused}")
    kept = info.messages(name)
    if not kept:
        raise RuntimeError(f"the lab {name} accepted the message but kept no copy")
    return kept[-1].data


def bounce_from_lab(
    info: LabInfo, *, rcpt: str = "nobody@smtpkit.test", name: str = "mx", timeout: float = 10.0
) -> bytes:
    """Send to an address the lab MX refuses and return the DSN that refusal produced."""
    from smtpkit.lab.dkim_signer import example_message

    refused = _deliver(info, example_message(to_addr=rcpt), "alice@smtpkit.test", rcpt, name, timeout)
    if not refused:
        raise RuntimeError(f"the lab {name} accepted mail for {rcpt}; choose an address it refuses")
    dsns = info.bounces(name)
    if not dsns:
        raise RuntimeError(f"the lab {name} refused {rcpt} but wrote no DSN")
    return dsns[-1].data
