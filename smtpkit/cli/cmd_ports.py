"""`smtpkit ports`: which port and security setting to use, every mail port tried both ways at once."""

from __future__ import annotations

import argparse

from smtpkit.cli.common import EXIT_FAILURE, EXIT_OK, UsageError, add_json_flag, add_nameserver_flag, emit_json, formatter, make_resolver

DESCRIPTION = """\
Try every mail port of a server with STARTTLS and with implicit TLS, all at
the same time, and say which setting to configure: reachable, greets,
STARTTLS offered, implicit TLS works, certificate valid, AUTH mechanisms.
The whole matrix takes about one --timeout, however many ports are tried.
Nothing is logged in to and nothing is sent.
"""

EPILOG = """\
examples:
  smtpkit ports smtp.gmail.com                       ports 25, 465, 587 and 2525
  smtpkit ports smtp.sendgrid.net --ports 587,2525,465 --timeout 3
  smtpkit ports mail.example.com --json              {"ports": [...], "recommendation": {...}}
  smtpkit ports 127.0.0.1 --ports 2525,2465 --cafile lab-ca.pem

exit status: 0 a usable port was found, 1 none was, 2 bad arguments.
"""


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "ports",
        help="find the right port and TLS mode (all ports probed concurrently)",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=formatter(),
        allow_abbrev=False,
    )
    p.add_argument("host", help="the SMTP server, e.g. smtp.gmail.com")
    p.add_argument("--ports", default="25,465,587,2525", metavar="LIST", help="comma-separated ports (default 25,465,587,2525)")
    p.add_argument("--timeout", type=float, default=5.0, metavar="S", help="seconds per probe; the whole matrix takes about this long (default 5)")
    p.add_argument("--cafile", metavar="PEM", help="trust these CA certificates instead of the system store")
    p.add_argument("--helo", metavar="NAME", help="the name to send with EHLO")
    add_nameserver_flag(p)
    add_json_flag(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import os

    from smtpkit.checks.ports import check_ports, parse_ports
    from smtpkit.checks.target import TargetError, parse_host

    try:
        ports = parse_ports(args.ports)
        parse_host(args.host)
    except (ValueError, TargetError) as exc:
        raise UsageError(str(exc)) from None
    if args.cafile and not os.path.isfile(args.cafile):
        raise UsageError(f"the CA file {args.cafile!r} does not exist")
    if args.cafile:
        from smtpkit.net.tls import TlsOptions, make_context

        try:  # a file that is not PEM would fail every TLS probe and be blamed on the server
            make_context(TlsOptions(server_hostname="", cafile=args.cafile))
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    if not 0 < args.timeout <= 600:
        raise UsageError("--timeout must be between 0.1 and 600 seconds")
    resolver = make_resolver(args, timeout=min(args.timeout, 5.0)) if args.nameserver else None
    try:
        matrix = check_ports(args.host, ports, timeout=args.timeout, cafile=args.cafile, resolver=resolver, helo=args.helo)
    except (ValueError, TargetError) as exc:
        raise UsageError(str(exc)) from None
    if args.json:
        emit_json(matrix.to_dict())
    else:
        print(matrix.to_text())
    return EXIT_OK if matrix.recommendation.get("port") else EXIT_FAILURE
