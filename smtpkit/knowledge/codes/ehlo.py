"""Finding codes of the `ehlo` step, and what each EHLO capability means in plain words.

EHLO is where a server says what it can do: encrypt (STARTTLS), log in (AUTH),
accept large messages (SIZE), international addresses (SMTPUTF8). People see
only "AUTH PLAIN LOGIN" in a log and wonder; the `CAPABILITIES` table explains
each keyword, and the codes below cover servers that refuse EHLO.

Template parameters: helo, reply, host, port, address, size.
"""

from __future__ import annotations

from types import MappingProxyType

from smtpkit.knowledge.catalogue import FindingSpec
from smtpkit.model import Severity

SPECS: list[FindingSpec] = [
    FindingSpec(
        code="ehlo.rejected",
        severity=Severity.FAIL,
        step="ehlo",
        title="The server refused our EHLO/HELO greeting: {reply}",
        explanation=(
            "We introduced ourselves with 'EHLO {helo}' and the server refused ({reply}), so the session cannot "
            "go on. Servers refuse EHLO when the name is not a fully-qualified domain name (like 'localhost' or a "
            "bare machine name), does not resolve in DNS, pretends to be the server itself, or when the client's "
            "IP address is not allowed to use the server."
        ),
        fix=(
            "Configure the client's HELO/EHLO name to a real host name that resolves to its public IP address "
            "(for example mail.yourdomain.com), or try another with `--helo`. Libraries: Python smtplib's "
            "local_hostname=, PHPMailer's Helo property, Postfix's smtp_helo_name. If the reply mentions your IP "
            "address, the server does not accept clients from your network."
        ),
        reference="RFC 5321 §4.1.1.1 (EHLO) and §4.1.4",
    ),
    FindingSpec(
        code="ehlo.flood",
        severity=Severity.WARN,
        step="ehlo",
        title="The server's EHLO reply is flooded: {auth_count} AUTH mechanisms, {keyword_count} keywords",
        explanation=(
            "A mail server announces what it supports in its EHLO reply: ten to fifteen keywords, and two to ten "
            "login methods after AUTH. This one listed {auth_count} distinct AUTH mechanisms and {keyword_count} "
            "keywords. No real mail server does that: it is broken (a proxy or a plugin repeating its list), "
            "misconfigured, or deliberately hostile, built to make mail clients spend their time reading it. "
            "We kept the first {kept} mechanisms and the ones we can use, and read the rest no further."
        ),
        fix=(
            "If this is your server, list only the mechanisms it really supports (Postfix with Dovecot SASL: "
            "auth_mechanisms = plain login in dovecot.conf; Exim: one authenticator per mechanism; a filtering "
            "proxy or appliance in front of the server: update or bypass it), then run the check again. If it is "
            "not yours, do not send credentials to it: check the host name and port with your provider."
        ),
        reference="RFC 5321 §4.1.1.1 (EHLO), RFC 4954 §3 (AUTH)",
    ),
    FindingSpec(
        code="ehlo.helo_fallback",
        severity=Severity.WARN,
        step="ehlo",
        title="The server does not understand EHLO; only the old HELO worked",
        explanation=(
            "The server answered EHLO with {reply} and accepted the old-style 'HELO' instead. Without EHLO a "
            "server announces no extensions: no STARTTLS (so no encryption), no AUTH (so no login), no SIZE, no "
            "8BITMIME. It is either very old, deliberately minimal, or a firewall's 'SMTP inspection' is "
            "blocking EHLO."
        ),
        fix=(
            "If you need encryption or login, this server cannot provide them on this port: use your provider's "
            "submission port (587 or 465). If a firewall does SMTP inspection (Cisco ASA 'inspect esmtp', "
            "SonicWall, some routers), turn it off for mail traffic."
        ),
        reference="RFC 5321 §4.1.1.1 and §3.2",
    ),
    FindingSpec(
        code="ehlo.smtputf8_missing",
        severity=Severity.FAIL,
        step="send",
        title="The address {address} needs SMTPUTF8, which the server does not offer",
        explanation=(
            "The address {address} contains non-ASCII characters. Such addresses can only be transported with "
            "the SMTPUTF8 extension (RFC 6531), and this server did not list SMTPUTF8 in its EHLO reply, so it "
            "would refuse or mangle the message; we did not send the address."
        ),
        fix=(
            "Use an ASCII address for this test, or a server that supports SMTPUTF8 (Gmail, Outlook.com and "
            "Postfix 3.0+ with smtputf8_enable = yes do). A domain part can be written in its ASCII (xn--) form."
        ),
        reference="RFC 6531 §3.2",
    ),
]

# keyword -> (what it is, why it matters). Keys are the EHLO keywords, upper-case.
CAPABILITIES = MappingProxyType(
    {
        "STARTTLS": (
            "Encryption upgrade (RFC 3207)",
            (
                "The connection can be switched to TLS with the STARTTLS command. Without it, passwords and mail "
                "cross the network in clear text."
            ),
        ),
        "AUTH": (
            "Login (RFC 4954)",
            (
                "The server accepts a login with the listed mechanisms: PLAIN and LOGIN send the password "
                "(protected only by TLS), CRAM-MD5 sends a hash of it, XOAUTH2/OAUTHBEARER an OAuth token."
            ),
        ),
        "SIZE": (
            "Message size limit (RFC 1870)",
            (
                "The largest message the server accepts, in bytes (0 means no fixed limit). Attachments grow "
                "by about a third when encoded, so a 25 MB limit fits about 18 MB of files."
            ),
        ),
        "PIPELINING": (
            "Command pipelining (RFC 2920)",
            (
                "The client may send several commands without waiting for each reply, which makes sending "
                "faster over slow links."
            ),
        ),
        "8BITMIME": (
            "8-bit message bodies (RFC 6152)",
            "The server transports message bodies with non-ASCII bytes unchanged, so they need not be re-encoded.",
        ),
        "SMTPUTF8": (
            "International addresses (RFC 6531)",
            "Addresses and headers may contain non-ASCII characters, like jöran@bücher.example.",
        ),
        "CHUNKING": (
            "BDAT chunking (RFC 3030)",
            "The message can be sent in sized chunks with BDAT instead of DATA, avoiding dot-stuffing.",
        ),
        "BINARYMIME": (
            "Binary message bodies (RFC 3030)",
            "Raw binary content may be sent (with BDAT) without base64 encoding.",
        ),
        "ENHANCEDSTATUSCODES": (
            "Detailed status codes (RFC 2034)",
            (
                "Replies carry a code like 5.7.8 that says precisely what went wrong (5.7.8 = bad credentials); "
                "smtpkit uses it to explain errors."
            ),
        ),
        "DSN": (
            "Delivery status notifications (RFC 3461)",
            "The sender may ask for success/failure/delay reports per recipient (NOTIFY=, RET=).",
        ),
        "DELIVERBY": (
            "Deliver-by time (RFC 2852)",
            "The sender may ask that a message be delivered within a deadline or returned.",
        ),
        "ETRN": (
            "Remote queue start (RFC 1985)",
            "A secondary server may ask this one to flush mail queued for it.",
        ),
        "VRFY": (
            "Address verification (RFC 5321 §3.5)",
            (
                "The server answers VRFY queries about mailboxes; often disabled because spammers use it to "
                "harvest addresses."
            ),
        ),
        "EXPN": (
            "Mailing list expansion (RFC 5321 §3.5)",
            "The server reveals the members of a mailing list; usually disabled for privacy.",
        ),
        "HELP": ("Help (RFC 5321 §4.1.1.8)", "The server answers the HELP command."),
        "MT-PRIORITY": ("Message priority (RFC 6710)", "The sender may give a message a transfer priority."),
        "REQUIRETLS": (
            "Require TLS end to end (RFC 8689)",
            "The sender may demand that the message only travel over verified TLS on every hop.",
        ),
        "XCLIENT": (
            "Proxy client forwarding (Postfix)",
            "A trusted proxy may pass the original client's details on; a sign of a Postfix server.",
        ),
        "XFORWARD": ("Forwarded client details (Postfix)", "A content filter may pass on original client details."),
        "CLIENTID": ("Client identification (RFC 9389)", "Clients may identify themselves for anti-abuse purposes."),
        "LIMITS": (
            "Announced limits (RFC 9422)",
            "The server states how many recipients and transactions it accepts per session.",
        ),
        "X-EXPS": ("Exchange extension", "An Exchange-specific authentication extension (GSSAPI/NTLM)."),
        "X-LINK2STATE": ("Exchange extension", "Exchange server-to-server link state routing; a sign of Exchange."),
        "XEXCH50": ("Exchange extension", "Exchange's legacy server-to-server data exchange; a sign of Exchange."),
    }
)


def describe_capability(keyword: str) -> tuple[str, str]:
    """(what it is, why it matters) for an EHLO keyword; unknown keywords are named as vendor extensions."""
    key = keyword.upper()
    if key in CAPABILITIES:
        return CAPABILITIES[key]
    if key.startswith("X"):
        return ("Vendor extension", "A server-specific extension that standard mail clients ignore.")
    return ("Extension", "An extension smtpkit does not describe; mail clients ignore keywords they do not know.")
