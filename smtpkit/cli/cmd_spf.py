"""`smtpkit spf`: evaluate a domain's SPF for a sending IP, with the trace, and lint the record."""

from __future__ import annotations

import argparse
import sys
import textwrap

from smtpkit.cli.common import EXIT_FAILURE, EXIT_OK, add_json_flag, add_nameserver_flag, emit_json

EPILOG = """\
examples:
  smtpkit spf example.com --ip 203.0.113.5
        may 203.0.113.5 send mail for example.com? result, explanation, trace
  smtpkit spf example.com --ip 203.0.113.5 --sender billing@example.com --helo mail.example.com
  smtpkit spf example.com                  read and lint the record (no IP: no result)
  smtpkit spf spf-too-many-lookups.test --ip 127.0.0.1 --nameserver 127.0.0.1:5353
        against the practice lab's DNS server (see 'smtpkit lab')
  smtpkit spf example.com --ip 2001:db8::25 --json

exit codes:
  0  pass, neutral or none (receivers do not reject or distrust the mail for SPF);
     without --ip: no failing finding
  1  fail, softfail, permerror or temperror (receivers reject, spam-folder or defer);
     without --ip: a failing finding
  2  usage error
"""

_BAD_RESULTS = ("fail", "softfail", "permerror", "temperror")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "spf",
        help="evaluate SPF for a sending IP (RFC 7208) with a trace, and lint the record",
        description=textwrap.fill(
            "Evaluate DOMAIN's SPF record the way a receiving server does (RFC 7208 check_host) for the "
            "sending address --ip, and show the result, the explanation and every step: each term, the DNS "
            "queries it made, the lookups used of the 10 allowed, and what matched. The record is also read "
            "back in plain words and linted, with corrected records to paste.",
            width=78,
        ),
        epilog=EPILOG,
    )
    p.add_argument("domain", help="the domain whose SPF record is checked (the MAIL FROM domain)")
    p.add_argument("--ip", help="the sending server's IPv4 or IPv6 address")
    p.add_argument("--sender", help="the MAIL FROM address (default: postmaster@DOMAIN)")
    p.add_argument("--helo", help="the HELO/EHLO name the sender uses (for %%{h} macros)")
    p.add_argument("--timeout", default="2", metavar="S", help="seconds per DNS query (default 2)")
    add_nameserver_flag(p)
    add_json_flag(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from smtpkit.checks.domain.spf import spf_step
    from smtpkit.model import Report
    from smtpkit.net.dns import resolver_for
    from smtpkit.settings import (
        MAX_DNS_TIMEOUT,
        validate_address,
        validate_domain,
        validate_helo,
        validate_ip,
        validate_nameservers,
        validate_seconds,
    )

    # every value through the one set of validators (InvalidSettings: exit 2); they refuse CR/LF,
    # bound the sender at 254 octets and the HELO name like a session's, and IPs with scope ids
    domain = validate_domain(args.domain)
    ip = validate_ip(args.ip, label="--ip") if args.ip is not None else None
    sender = validate_address("sender", args.sender, "--sender") if args.sender not in (None, "") else None
    helo = validate_helo(args.helo) if args.helo not in (None, "") else None
    timeout = validate_seconds(args.timeout, field="timeout", label="--timeout", maximum=MAX_DNS_TIMEOUT)
    resolver = resolver_for(validate_nameservers(tuple(args.nameserver or ())), timeout)
    step = spf_step(domain, resolver, ip=ip, sender=sender, helo=helo)
    report = Report(
        target={"domain": domain, "ip": ip, "sender": sender, "helo": helo},
        steps=[step],
        title="smtpkit spf",
    )
    result = next((v for k, v in step.details.items() if k.startswith("result for ")), None) if ip else None
    if args.json:
        doc = report.to_dict()
        doc["result"] = result
        doc["explanation"] = step.details.get("explanation")
        emit_json(doc)
    else:
        out = []
        if result is not None:
            out.append(f"SPF result for {ip} sending as {sender or 'postmaster@' + domain}: {str(result).upper()}")
            out.append(f"Explanation: {step.details.get('explanation')}")
            out.append("")
        out.append(report.to_text())
        sys.stdout.write("\n".join(out) + "\n")
    if result is not None:
        return EXIT_FAILURE if result in _BAD_RESULTS else EXIT_OK
    return EXIT_FAILURE if report.verdict == "fail" else EXIT_OK
