"""`smtpkit ports`: which port and security setting to use, every mail port tried both ways at once."""

from __future__ import annotations

import argparse

from smtpkit.cli.common import EXIT_FAILURE, EXIT_OK, add_json_flag, add_nameserver_flag, emit_json

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
        allow_abbrev=False,
    )
    p.add_argument("host", help="the SMTP server, e.g. smtp.gmail.com")
    p.add_argument(
        "--ports", default="25,465,587,2525", metavar="LIST", help="comma-separated ports (default 25,465,587,2525)"
    )
    p.add_argument(
        "--timeout",
        default="5",
        metavar="S",
        help="seconds per probe; the whole matrix takes about this long (default 5)",
    )
    p.add_argument("--cafile", metavar="PEM", help="trust these CA certificates instead of the system store")
    p.add_argument("--helo", metavar="NAME", help="the name to send with EHLO")
    add_nameserver_flag(p)
    add_json_flag(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from smtpkit.checks.ports import check_ports
    from smtpkit.settings.ports import PortsQuery

    # host, ports, timeout, EHLO name, CA file and DNS servers through the one settings model:
    # what it refuses is InvalidSettings, a usage error (exit 2) like every command's
    query = PortsQuery(
        args.host,
        args.ports,
        timeout=args.timeout,
        cafile=args.cafile,
        helo=args.helo,
        nameservers=tuple(args.nameserver or ()),
    )
    matrix = check_ports(query)
    if args.json:
        emit_json(matrix.to_dict())
    else:
        print(matrix.to_text())
    return EXIT_OK if matrix.recommendation.get("port") else EXIT_FAILURE
