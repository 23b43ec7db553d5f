"""Sending failures after a successful login: relay denied, greylisting, rate and size limits."""

from __future__ import annotations

from smtpkit.lab.scenarios import LAB_DOMAIN, Scenario

ORDER = 40

SCENARIOS: list[Scenario] = [
    Scenario(
        "relay_denied",
        "The login works, but the server relays only for its own domain: every recipient outside smtpkit.test "
        "gets Postfix's '554 5.7.1 <rcpt>: Relay access denied' (a relay whose restrictions do not cover your "
        "account, or a client that is not really logged in).",
        category="send",
        expect="send.relay_denied",
        local_domains=(LAB_DOMAIN,),
    ),
    Scenario(
        "greylisting",
        "Greylisting: the first attempt from an unknown sender is deferred at RCPT with '451 4.7.1 ... "
        "Greylisted, please try again later'. A real mail server queues and retries; an application that "
        "treats 4xx as final loses the message. (This lab server never lets the retry through, so the lesson "
        "is reproducible.)",
        category="send",
        expect="send.greylisted",
        replies={"rcpt": "451 4.7.1 <{rcpt}>: Recipient address rejected: Greylisted, please try again later"},
    ),
    Scenario(
        "rate_limit",
        "A sending-rate limit: after login, MAIL is answered '421 4.7.0 ... rate limit exceeded' and the "
        "connection is closed. Temporary: slow down, reuse one connection for several messages, or raise the "
        "quota.",
        category="send",
        expect="send.rate_limited",
        replies={
            "mail": (
                "421 4.7.0 {hostname} Error: too many messages from {user} in the last hour, rate limit "
                "exceeded; try again later"
            )
        },
    ),
    Scenario(
        "too_large",
        "A server with a tiny size limit (SIZE 512, so even a short test message is too big): a MAIL with "
        "SIZE= above it is refused, and a message that is sent anyway gets '552 5.3.4 Message size exceeds "
        "fixed maximum message size' after its last line.",
        category="send",
        expect="send.message_too_large",
        size_limit=512,
    ),
]
