"""Finding codes for replies that are not SMTP at any stage: hostile or broken servers, the session's own limits.

A reply that cannot be parsed, one over the line or line-count caps, one that
never comes, a connection that drops mid-reply, the overall deadline, and
plaintext injected before STARTTLS: each says what the server did and why
the kit stopped there.

Template parameters: host, port, address, reply, waited, stage, command,
problem, limit, reason, deadline, count, meaning.
"""

from __future__ import annotations

from smtpkit.knowledge.catalogue import FindingSpec
from smtpkit.model import Severity

SPECS: list[FindingSpec] = [
    FindingSpec(
        code="smtp.malformed_reply",
        severity=Severity.FAIL,
        step="banner",
        title="The server's reply is not valid SMTP ({stage})",
        explanation=(
            "At the {stage} stage the server sent something that breaks the SMTP reply format: {problem}. Every "
            "reply line must start with a three-digit code (like '250') followed by a space or a hyphen. A client "
            "cannot reliably continue, so mail clients show 'unexpected reply' or 'protocol error'. Causes: a "
            "buggy server or proxy, a firewall's 'SMTP inspection' rewriting replies, or a non-SMTP service."
        ),
        fix=(
            "Look at the transcript (`-v`, or the Transcript section) to see the exact bytes. If a firewall or"
            " antivirus does SMTP inspection (Cisco ASA 'inspect esmtp', some routers and security suites), turn it off"
            " for mail. If you run the server, check its software and any proxy in front of it."
        ),
        reference="RFC 5321 §4.2 (reply syntax)",
    ),
    FindingSpec(
        code="smtp.reply_limit",
        severity=Severity.FAIL,
        step="banner",
        title="The server's reply exceeded our safety limits ({stage})",
        explanation=(
            "At the {stage} stage the server sent {problem}. SMTP replies are short (RFC 5321 limits a reply "
            "line to 512 bytes); we allow {limit} and stop reading beyond that, so a broken or hostile server "
            "cannot make a client use unbounded memory or time. A real mail client would hang or crash here."
        ),
        fix=(
            "This is a server (or middlebox) fault: look at the transcript (`-v`, or the Transcript section) for what"
            " it sent and report it to the server's administrator. Check that the port really runs an SMTP server."
        ),
        reference="RFC 5321 §4.5.3.1.5 (reply line length)",
    ),
    FindingSpec(
        code="smtp.reply_timeout",
        severity=Severity.FAIL,
        step="banner",
        title="The server stopped answering after {command}",
        explanation=(
            "After we sent {command} at the {stage} stage, the server did not complete its reply within {waited}. "
            "The connection is open but the server is silent or only trickles bytes. It can be overloaded, stuck "
            "on a slow lookup (DNS, a blocklist, a content filter), or a firewall may be holding the conversation."
        ),
        fix=(
            "Retry with a longer timeout, say 30 s (--timeout 30, or the form's Timeout field). If it happens every"
            " time at the same command, check the server's log at that moment; for a provider, contact support with the"
            " transcript (`-v`, or the Transcript section)."
        ),
        reference="RFC 5321 §4.5.3.2 (timeouts)",
    ),
    FindingSpec(
        code="smtp.connection_lost",
        severity=Severity.FAIL,
        step="banner",
        title="The connection was closed during {stage}",
        explanation=(
            "While we waited for the server's answer to {command}, the connection ended: {reason}. A server that "
            "hangs up in the middle of a session without a reply usually dropped us on purpose (an anti-abuse "
            "rule, a connection limit, an invalid command it refuses to answer) or crashed, or a firewall cut the "
            "connection."
        ),
        fix=(
            "Retry once. If it repeats at the same step, read the server's log at that time (Postfix: 'lost connection"
            " after ...' in /var/log/mail.log names the command) or send the transcript (`-v`, or the Transcript"
            " section) to the provider's support."
        ),
        reference="RFC 5321 §3.8",
    ),
    FindingSpec(
        code="smtp.deadline_exceeded",
        severity=Severity.FAIL,
        step="banner",
        title="Out of time during {stage} (limit: {deadline})",
        explanation=(
            "Every network operation has a timeout, every step a time budget and the whole session an overall "
            "limit, so that a slow or hostile server cannot keep a diagnosis (or a mail client) waiting forever, "
            "for example by answering each command just before the timeout or by trickling one byte at a time. "
            "The server used up {deadline} by the {stage} stage; the remaining steps were not run."
        ),
        fix=(
            "Retry with a longer timeout (--timeout, or the form's Timeout field; --deadline for the whole session). If"
            " one step is always slow, that step's server side is the problem: the transcript (`-v`, or the Transcript"
            " section) shows where the time went."
        ),
        reference="RFC 5321 §4.5.3.2 (timeouts)",
    ),
    FindingSpec(
        code="smtp.starttls_injection",
        severity=Severity.FAIL,
        step="tls",
        title="The server sent {count} unencrypted bytes right after agreeing to STARTTLS",
        explanation=(
            "After its '220 ready to start TLS' reply the server (or something between us) had already sent more "
            "plain-text data. Anything sent before the TLS handshake is not protected, and a client that kept "
            "those bytes and read them as the first encrypted replies could be fooled by an attacker in the "
            "middle (the STARTTLS command-injection flaw, CVE-2011-0411). We discarded them, as RFC 3207 requires."
        ),
        fix=(
            "If you run the server, upgrade the mail software (the flaw was fixed in Postfix 2.8.4 and most MTAs "
            "in 2011) and look for a proxy or 'SMTP inspection' firewall that injects data. If not, report it to "
            "the server's administrator: it can also mean someone is tampering with your connection."
        ),
        reference="RFC 3207 §6; CVE-2011-0411",
    ),
    FindingSpec(
        code="smtp.unexpected_reply",
        severity=Severity.FAIL,
        step="banner",
        title="The server refused {command}: {reply}",
        explanation="At the {stage} stage the server answered {command} with {reply}. {meaning}",
        fix=(
            "Read the server's own words in the reply; they usually name the reason. If the reply is unclear, send "
            "it with the time of this test to the server's administrator or your provider's support."
        ),
        reference="RFC 5321 §4.2",
    ),
]
