"""How long the rules table takes to classify ordinary and hostile replies.

Run: python benchmarks/classify_reply.py   (prints microseconds per reply)
"""

from __future__ import annotations

import time

from smtpkit.knowledge.rules import RULES, classify_reply

CASES = {
    "gmail 535 bad credentials": (
        "auth",
        535,
        (
            "5.7.8 Username and Password not accepted. For more information, go to\n5.7.8 "
            " https://support.google.com/mail/?p=BadCredentials"
        ),
    ),
    "o365 5.7.139": (
        "auth",
        535,
        "5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.",
    ),
    "unknown 550 at rcpt": ("rcpt", 550, "5.1.1 <bob@example.com>: Recipient address rejected: User unknown"),
    "hostile 200 KB reply": ("rcpt", 550, "5.7.1 listed in " + "a" * 200_000),
    "hostile 10k repeated words": ("rcpt", 550, "authentication required " * 10_000),
}


def main() -> None:
    print(f"{len(RULES)} rules")
    for name, (stage, code, text) in CASES.items():
        n = 200
        start = time.perf_counter()
        for _ in range(n):
            classify_reply(stage, code, text)
        per = (time.perf_counter() - start) / n * 1e6
        print(f"{name:32s} {per:10.1f} us/reply")


if __name__ == "__main__":
    main()
