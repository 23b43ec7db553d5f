"""`smtpkit dnsbl`: is the IP your mail leaves from on a DNS blocklist (and can we even tell)."""

from __future__ import annotations

import argparse
import textwrap

from smtpkit.cli.common import UsageError, add_json_flag, add_nameserver_flag, emit_report

EPILOG = """\
examples:
  smtpkit dnsbl 203.0.113.5
        ask the built-in lists (Spamhaus ZEN, SpamCop, Barracuda, PSBL, UCEPROTECT 1, Mailspike)
  smtpkit dnsbl 203.0.113.5 --list bl.example.net
        the built-in lists and one more (read with RFC 5782 conventions unless smtpkit knows it)
  smtpkit dnsbl 203.0.113.5 --list zen.spamhaus.org --only-lists --nameserver 127.0.0.1
        only Spamhaus, through your own resolver
  smtpkit dnsbl 192.0.2.99 --list zen.dnsbl.test --only-lists --allow-private --nameserver 127.0.0.1:5353
        the practice lab's list (see 'smtpkit lab'), which lists 192.0.2.99

which IP:
  the public address your mail server connects from: the IP in the first Received: line the
  receiving server added to a message you sent, or `curl -4 https://ifconfig.me` on the server.
  Not your MX (that receives mail), not a private address (10.x, 192.168.x).

answers:
  listed            a documented listing code, with its meaning, the list's reason (TXT) and how to delist
  not listed        NXDOMAIN, and the list answers its RFC 5782 test entry (127.0.0.2) as it must
  could not check   a query-error code (Spamhaus 127.255.255.254: public resolver), an answer outside
                    127/8 (a resolver rewriting NXDOMAIN), a timeout: never counted as listed

exit codes:
  0  not listed where it matters (warnings, e.g. lists that could not be checked, may be present)
  1  listed on a list that makes receivers reject mail
  2  usage error
"""


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "dnsbl",
        help="check whether a sending IP is on DNS blocklists",
        description=textwrap.fill(
            "Look the IP address your mail leaves from up on DNS blocklists (RFC 5782), concurrently, and say for "
            "each list: listed (what the code means, the list's reason, how to get delisted), not listed, or could "
            "not check and why. Only a list's documented listing codes count as listed."
        ),
        epilog=EPILOG,
    )
    p.add_argument("ip", help="the sending IP address, IPv4 or IPv6")
    p.add_argument(
        "--list",
        action="append",
        default=[],
        metavar="ZONE",
        dest="lists",
        help="a blocklist zone to ask too (repeatable), e.g. bl.example.net",
    )
    p.add_argument("--only-lists", action="store_true", help="ask only the --list zones, not the built-in set")
    p.add_argument(
        "--allow-private",
        action="store_true",
        help="ask even for a private, loopback or documentation address (your own lists, the practice lab)",
    )
    p.add_argument("--timeout", default="10", metavar="S", help="overall deadline in seconds (default 10)")
    p.add_argument("--dns-timeout", default="2", metavar="S", help="seconds per DNS query (default 2)")
    p.add_argument("-v", "--verbose", action="count", default=0, help="also print every DNS query and answer")
    add_nameserver_flag(p)
    add_json_flag(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from smtpkit.checks.domain.dnsbl import check_dnsbl
    from smtpkit.net.dns import resolver_for
    from smtpkit.settings import MAX_DNS_TIMEOUT, validate_nameservers, validate_seconds

    # through the one set of validators: InvalidSettings is a usage error (exit 2)
    dns_timeout = validate_seconds(
        args.dns_timeout, field="dns_timeout", label="--dns-timeout", maximum=MAX_DNS_TIMEOUT
    )
    if args.only_lists and not args.lists:
        raise UsageError("--only-lists needs at least one --list ZONE")
    resolver = resolver_for(validate_nameservers(tuple(args.nameserver or ())), dns_timeout)
    report = check_dnsbl(
        args.ip,
        args.lists,
        only_lists=args.only_lists,
        resolver=resolver,
        timeout=args.timeout,
        allow_private=args.allow_private,
    )
    return emit_report(report, args)
