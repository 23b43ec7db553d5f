"""`smtpkit domain`: MX, SPF, DKIM, DMARC (and reverse DNS for a sending IP) of a domain, explained."""

from __future__ import annotations

import argparse
import textwrap

from smtpkit.cli.common import add_json_flag, add_nameserver_flag, emit_report

EPILOG = """\
examples:
  smtpkit domain example.com
        MX, SPF, DKIM (common selectors are tried) and DMARC, each explained
  smtpkit domain example.com --selector google --ip 203.0.113.5
        also check DKIM selector 'google', SPF for that IP, and the IP's reverse DNS
  smtpkit domain example.com --mail-from bounces@mail.example.com
        SPF for the bounce domain your mail uses, and its DMARC alignment with example.com
  smtpkit domain smtpkit.test --selector lab --ip 127.0.0.1 --nameserver 127.0.0.1:5353
        the practice lab's healthy domain, through the lab's DNS server (see 'smtpkit lab')
  smtpkit domain dmarc-none.test --nameserver 127.0.0.1:5353 --json
        a broken lab domain, as one JSON document
  smtpkit domain example.com --probe-mx
        also connect to every MX over STARTTLS (from a network that allows outgoing port 25)
  smtpkit domain dane-stale.test --lab --probe-mx
        a lab domain whose TLSA record names a key its MX replaced (DANE, DNSSEC from the lab's anchor)
  smtpkit domain sts-nocover.test --lab
        a practice-lab domain whose MTA-STS policy leaves out its MX (lab DNS, CA and ports)
  smtpkit domain example.com --ip 203.0.113.5 --list bl.example.net
        also look the sending IP up on the built-in blocklists and one more

where to find the values:
  --selector   the s= of the DKIM-Signature header in a message you sent ("Show original")
  --ip         the address your mail server connects from (the first Received: line a
               receiver adds, or your server's public IP)
  --mail-from  the Return-Path of a message you sent (your provider's bounce address)

exit codes:
  0  nothing failing (warnings may be present)
  1  at least one failing finding: mail from this domain is likely rejected or spam-foldered
  2  usage error
"""


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "domain",
        help="check a domain's MX, SPF, DKIM, DMARC (and reverse DNS of an IP)",
        description=textwrap.fill(
            "Check the DNS records that decide whether mail from DOMAIN is delivered or spam-foldered: "
            "MX, SPF, DKIM keys, the DMARC policy (read back in plain words, tag by tag) and, for a sending "
            "IP, its reverse DNS. Every problem comes with the corrected record to publish."
        ),
        epilog=EPILOG,
    )
    p.add_argument("domain", help="the domain in your From address, e.g. example.com")
    p.add_argument(
        "--selector",
        action="append",
        default=[],
        metavar="S",
        help="DKIM selector to check (repeatable); default: try the common ones (google, selector1, k1, ...)",
    )
    p.add_argument("--ip", help="the sending server's IP address: adds SPF evaluation and a reverse DNS check")
    p.add_argument(
        "--mail-from",
        metavar="ADDR",
        help="the envelope sender (Return-Path) your mail uses; default postmaster@DOMAIN",
    )
    p.add_argument(
        "--list",
        action="append",
        default=[],
        metavar="ZONE",
        dest="lists",
        help="with --ip: a blocklist zone to ask too (repeatable; see 'smtpkit dnsbl --help')",
    )
    p.add_argument("--only-lists", action="store_true", help="with --ip: ask only the --list blocklists")
    p.add_argument(
        "--allow-private",
        action="store_true",
        help="let checks reach private and loopback addresses (your own test servers, the practice lab)",
    )
    p.add_argument(
        "--cafile",
        metavar="FILE",
        help="trust the CA certificates in this PEM file (for the MTA-STS policy fetch and the MX probes)",
    )
    p.add_argument(
        "--mta-sts-port",
        metavar="PORT",
        help="fetch the MTA-STS policy from this port instead of 443 (a test server)",
    )
    p.add_argument(
        "--probe-mx",
        action="store_true",
        help="connect to every MX address over STARTTLS: TLS version, certificate, MTA-STS fit (port 25: often "
        "blocked from home and cloud networks)",
    )
    p.add_argument("--mx-port", metavar="PORT", help="probe the MX hosts on this port (default 25)")
    p.add_argument(
        "--trust-anchor",
        metavar="FILE",
        help="validate DNSSEC from the DS/DNSKEY records in FILE (zone-file text) instead of the root's keys",
    )
    p.add_argument(
        "--trust-ad",
        action="store_true",
        help="trust the resolver's AD bit instead of validating DNSSEC here (only for a validating resolver you trust)",
    )
    p.add_argument(
        "--lab",
        action="store_true",
        help="point every lookup, fetch and probe at the practice lab (its DNS, CA, ports and blocklists)",
    )
    p.add_argument("--timeout", default="20", metavar="S", help="overall deadline in seconds (default 20)")
    p.add_argument("--dns-timeout", default="2", metavar="S", help="seconds per DNS query (default 2)")
    p.add_argument("-v", "--verbose", action="count", default=0, help="also print every DNS query and answer")
    add_nameserver_flag(p)
    add_json_flag(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from smtpkit.checks.domain import check_domain
    from smtpkit.settings.domain import DomainQuery

    if args.lab:
        _lab_defaults(args)
    # every value through the one settings model: InvalidSettings is a usage error (exit 2)
    query = DomainQuery(
        args.domain,
        tuple(args.selector),
        args.ip,
        args.mail_from,
        args.timeout,
        tuple(args.nameserver or ()),
        args.dns_timeout,
        dnsbl_lists=tuple(args.lists),
        only_lists=args.only_lists,
        allow_private=args.allow_private,
        cafile=args.cafile,
        mta_sts_port=args.mta_sts_port or 443,
        probe_mx=args.probe_mx,
        mx_port=args.mx_port or 25,
        trust_anchor=args.trust_anchor,
        trust_ad=args.trust_ad,
    )
    from smtpkit.cli.progress import stderr_progress
    from smtpkit.progress import active

    # per-step lines on stderr while it runs; never with --json (stdout holds exactly one document)
    with stderr_progress(f"smtpkit domain: {query.domain}", query.timeout, enabled=not args.json) as p, active(p):
        report = check_domain(query)
    code = emit_report(report, args)
    if not args.json:
        readings = plain_words(report)
        if readings:
            print(readings)
    return code


def _lab_defaults(args: argparse.Namespace) -> None:
    """--lab: the practice lab's settings, for every option the user did not set."""
    from smtpkit.lab import ensure_running

    options = ensure_running().domain_options()
    if not args.nameserver:
        args.nameserver = list(options["nameservers"])
    args.cafile = args.cafile or options["cafile"]
    args.allow_private = True
    if args.mta_sts_port is None and options.get("mta_sts_port"):
        args.mta_sts_port = options["mta_sts_port"]
    if args.mx_port is None and options.get("mx_port"):
        args.mx_port = options["mx_port"]
    args.trust_anchor = args.trust_anchor or options.get("trust_anchor")
    if not args.lists:
        args.lists, args.only_lists = list(options["dnsbl_lists"]), True


def plain_words(report, width: int = 100) -> str:  # type: ignore[no-untyped-def]
    """The records read back in sentences: the text view truncates table cells, and these are the point."""

    out: list[str] = []
    for step in report.steps:
        text = step.details.get("reading")
        if text:
            out.append(
                textwrap.fill(
                    f"{step.name.upper()}: {text}", width=width, subsequent_indent="    ", break_on_hyphens=False
                )
            )
    return ("\nYour records in plain words:\n" + "\n".join(out)) if out else ""
