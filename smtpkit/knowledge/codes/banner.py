"""Finding codes of the `banner` step (the server's "220" greeting) and of broken SMTP replies.

The greeting is the first thing an SMTP server says, so it is where a wrong
port shows itself: SSH or a web server answering, TLS bytes where text was
expected, or silence because the port waits for the client to start TLS. The
`smtp.*` codes cover replies that are not SMTP at any stage, hostile or broken
servers, and the session's own limits.

Template parameters: host, port, address, reply, waited, hint, service, what,
stage, command, problem, limit, reason, deadline, count, meaning.
"""

from __future__ import annotations

from smtpkit.knowledge.catalogue import FindingSpec
from smtpkit.model import Severity

_RFC5321_GREETING = "RFC 5321 §3.1 (session initiation) and §4.2 (reply codes)"

SPECS: list[FindingSpec] = [
    FindingSpec(
        "banner.timeout",
        Severity.FAIL,
        "banner",
        "No greeting from the server within {waited}",
        "The TCP connection to {address} port {port} opened, but the server never sent its '220' greeting: "
        "an SMTP server speaks first, within a second or two, and we waited {waited}. {hint}",
        "{mode_fix}The server may be overloaded or deliberately slow (greet-pause anti-spam): retry with a "
        "longer timeout (--timeout, or the form's Timeout field). If you run the server, check its log at the "
        "time of this test and whether a firewall is holding the connection.",
        reference=_RFC5321_GREETING,
    ),
    FindingSpec(
        "banner.slow",
        Severity.WARN,
        "banner",
        "The greeting took {waited}",
        "The server sent its greeting only after {waited}. Some servers wait on purpose before greeting "
        "(Postfix postscreen's greet pause, a reverse-DNS or blocklist check on your address) or are "
        "overloaded; clients with a short connect timeout give up before it arrives.",
        "Give your mail client or library a connection timeout of at least 30 seconds. If you run the server "
        "and the delay is not deliberate, check its DNS (slow reverse lookups are the usual cause) and load.",
        reference=_RFC5321_GREETING,
    ),
    FindingSpec(
        "banner.rejected",
        Severity.FAIL,
        "banner",
        "The server refused the connection in its greeting: {reply}",
        "Instead of '220 ready' the server greeted with a permanent refusal ({reply}). A 554 greeting means "
        "'no SMTP service here for you': usually your IP address is on a blocklist the server uses, the "
        "server accepts connections only from certain networks, or this is a receive-only MX that refuses "
        "connections from consumer IP ranges. The text often names the list or policy.",
        "Read the server's text for a blocklist name or URL and follow its delisting steps (check your "
        "address at https://check.spamhaus.org). If you are a client of this server, use its submission "
        "port (587/465) with AUTH instead of port 25; if you run it, check its client restrictions "
        "(Postfix: smtpd_client_restrictions, postscreen_dnsbl_sites).",
        reference="RFC 5321 §3.1 and §4.2.3 (554 greeting)",
    ),
    FindingSpec(
        "banner.tempfail",
        Severity.FAIL,
        "banner",
        "The server is temporarily not accepting connections: {reply}",
        "The server greeted with a temporary refusal ({reply}). 421 means 'service not available, closing "
        "the connection': the server is shutting down or restarting, has too many connections (possibly "
        "from your address), or is rate-limiting you. Nothing is wrong with your settings.",
        "Wait a few minutes and retry; if your application opens many parallel connections, reduce them or "
        "reuse one connection for several messages. If it lasts, contact the server's administrator with "
        "this reply and the time.",
        reference="RFC 5321 §3.8 and §4.2.2 (421)",
    ),
    FindingSpec(
        "banner.not_smtp",
        Severity.FAIL,
        "banner",
        "Port {port} is not an SMTP server: it answered like {service}",
        "We expected an SMTP greeting ('220 ...') from {address} port {port}, but received {what}. The host "
        "is reachable, but the port number points at a different service (or at TLS without a plain-text "
        "phase), so no mail client can talk SMTP to it.",
        "Check the port number in your provider's documentation: SMTP submission is 587 (STARTTLS) or 465 "
        "(implicit TLS), server-to-server mail is 25. If the answer was TLS bytes, keep this port and choose "
        "implicit TLS (the SSL/TLS security setting; `--security tls`). If you run the server, check which program listens: "
        "`ss -ltnp | grep ':{port}'`.",
        reference=_RFC5321_GREETING,
    ),
    FindingSpec(
        "smtp.malformed_reply",
        Severity.FAIL,
        "banner",
        "The server's reply is not valid SMTP ({stage})",
        "At the {stage} stage the server sent something that breaks the SMTP reply format: {problem}. Every "
        "reply line must start with a three-digit code (like '250') followed by a space or a hyphen. A client "
        "cannot reliably continue, so mail clients show 'unexpected reply' or 'protocol error'. Causes: a "
        "buggy server or proxy, a firewall's 'SMTP inspection' rewriting replies, or a non-SMTP service.",
        "Look at the transcript (`-v`, or the Transcript section) to see the exact bytes. If a firewall or antivirus does SMTP "
        "inspection (Cisco ASA 'inspect esmtp', some routers and security suites), turn it off for mail. If "
        "you run the server, check its software and any proxy in front of it.",
        reference="RFC 5321 §4.2 (reply syntax)",
    ),
    FindingSpec(
        "smtp.reply_limit",
        Severity.FAIL,
        "banner",
        "The server's reply exceeded our safety limits ({stage})",
        "At the {stage} stage the server sent {problem}. SMTP replies are short (RFC 5321 limits a reply "
        "line to 512 bytes); we allow {limit} and stop reading beyond that, so a broken or hostile server "
        "cannot make a client use unbounded memory or time. A real mail client would hang or crash here.",
        "This is a server (or middlebox) fault: look at the transcript (`-v`, or the Transcript section) for what it sent and report it "
        "to the server's administrator. Check that the port really runs an SMTP server.",
        reference="RFC 5321 §4.5.3.1.5 (reply line length)",
    ),
    FindingSpec(
        "smtp.reply_timeout",
        Severity.FAIL,
        "banner",
        "The server stopped answering after {command}",
        "After we sent {command} at the {stage} stage, the server did not complete its reply within {waited}. "
        "The connection is open but the server is silent or only trickles bytes. It can be overloaded, stuck "
        "on a slow lookup (DNS, a blocklist, a content filter), or a firewall may be holding the conversation.",
        "Retry with a longer timeout, say 30 s (--timeout 30, or the form's Timeout field). If it happens every time at the same command, check "
        "the server's log at that moment; for a provider, contact support with the transcript (`-v`, or the Transcript section).",
        reference="RFC 5321 §4.5.3.2 (timeouts)",
    ),
    FindingSpec(
        "smtp.connection_lost",
        Severity.FAIL,
        "banner",
        "The connection was closed during {stage}",
        "While we waited for the server's answer to {command}, the connection ended: {reason}. A server that "
        "hangs up in the middle of a session without a reply usually dropped us on purpose (an anti-abuse "
        "rule, a connection limit, an invalid command it refuses to answer) or crashed, or a firewall cut the "
        "connection.",
        "Retry once. If it repeats at the same step, read the server's log at that time (Postfix: 'lost "
        "connection after ...' in /var/log/mail.log names the command) or send the transcript (`-v`, or the Transcript section) to the "
        "provider's support.",
        reference="RFC 5321 §3.8",
    ),
    FindingSpec(
        "smtp.deadline_exceeded",
        Severity.FAIL,
        "banner",
        "Out of time during {stage} (limit: {deadline})",
        "Every network operation has a timeout, every step a time budget and the whole session an overall "
        "limit, so that a slow or hostile server cannot keep a diagnosis (or a mail client) waiting forever, "
        "for example by answering each command just before the timeout or by trickling one byte at a time. "
        "The server used up {deadline} by the {stage} stage; the remaining steps were not run.",
        "Retry with a longer timeout (--timeout, or the form's Timeout field; --deadline for the whole session). If one step is always "
        "slow, that step's server side is the problem: the transcript (`-v`, or the Transcript section) shows where the time went.",
        reference="RFC 5321 §4.5.3.2 (timeouts)",
    ),
    FindingSpec(
        "smtp.starttls_injection",
        Severity.FAIL,
        "tls",
        "The server sent {count} unencrypted bytes right after agreeing to STARTTLS",
        "After its '220 ready to start TLS' reply the server (or something between us) had already sent more "
        "plain-text data. Anything sent before the TLS handshake is not protected, and a client that kept "
        "those bytes and read them as the first encrypted replies could be fooled by an attacker in the "
        "middle (the STARTTLS command-injection flaw, CVE-2011-0411). We discarded them, as RFC 3207 requires.",
        "If you run the server, upgrade the mail software (the flaw was fixed in Postfix 2.8.4 and most MTAs "
        "in 2011) and look for a proxy or 'SMTP inspection' firewall that injects data. If not, report it to "
        "the server's administrator: it can also mean someone is tampering with your connection.",
        reference="RFC 3207 §6; CVE-2011-0411",
    ),
    FindingSpec(
        "smtp.unexpected_reply",
        Severity.FAIL,
        "banner",
        "The server refused {command}: {reply}",
        "At the {stage} stage the server answered {command} with {reply}. {meaning}",
        "Read the server's own words in the reply; they usually name the reason. If the reply is unclear, send "
        "it with the time of this test to the server's administrator or your provider's support.",
        reference="RFC 5321 §4.2",
    ),
]
