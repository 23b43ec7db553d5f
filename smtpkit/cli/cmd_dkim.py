"""`smtpkit dkim`: verify the DKIM signatures of a saved message, or make a key pair to publish."""

from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path

from smtpkit.cli.common import (
    EXIT_OK,
    UsageError,
    add_json_flag,
    add_nameserver_flag,
    emit_json,
    emit_report,
)

MAX_MESSAGE_BYTES = 50 * 1024 * 1024

EPILOG = """\
examples:
  smtpkit dkim verify message.eml
        check every DKIM-Signature of a message saved as received
        (Gmail: Show original > Download original; Outlook: File > Save As .eml)
  smtpkit dkim verify - < message.eml --json
  smtpkit dkim keygen --domain example.com --selector mail2026
        a 2048-bit RSA key pair: prints the TXT record to publish, writes the private key (mode 0600)
  smtpkit dkim keygen --domain example.com --selector ed2026 --ed25519 --out /etc/opendkim/keys

To check the keys a domain publishes, use: smtpkit domain example.com --selector S
"""

VERIFY_EPILOG = """\
examples:
  smtpkit dkim verify message.eml
  smtpkit dkim verify message.eml --nameserver 127.0.0.1:5353     keys from the lab's DNS server
  cat message.eml | smtpkit dkim verify - --json

Save the message exactly as received: copying its text through an editor or a
web form changes line endings and whitespace, which breaks the body hash by itself.

exit codes:
  0  no failing finding: a signature verified and DMARC does not fail
  1  a failing finding: no signature verified, a key is broken, or DMARC fails
  2  usage error
"""

KEYGEN_EPILOG = """\
examples:
  smtpkit dkim keygen --domain example.com --selector mail2026
  smtpkit dkim keygen --domain example.com --selector mail2026 --bits 4096 --out keys/
  smtpkit dkim keygen --domain example.com --selector ed2026 --ed25519

Publish the printed TXT record, wait for it to be visible
(smtpkit domain example.com --selector SELECTOR), then configure your signer
(OpenDKIM KeyTable / rspamd dkim_signing) with the private key file. Ed25519
keys are not verified by every receiver yet: sign with both an RSA and an
Ed25519 key if you use one.
"""


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "dkim",
        help="verify a message's DKIM signatures, or generate a DKIM key pair",
        description=textwrap.fill(
            "DKIM tools: verify the signatures of a saved message (keys fetched from DNS), or generate a key pair and"
            " the TXT record to publish.",
            78,
        ),
        epilog=EPILOG,
    )
    dsub = p.add_subparsers(dest="dkim_command", metavar="ACTION")
    v = dsub.add_parser(
        "verify",
        help="verify every DKIM-Signature of a message file",
        description=textwrap.fill(
            "Verify every DKIM-Signature of MESSAGE (RSA and Ed25519, via dkimpy), fetching keys from DNS, and "
            "explain each failure: body changed in transit, header changed, key missing, revoked or too short. "
            "Also shows whether the signing domains align with the From domain for DMARC."
        ),
        epilog=VERIFY_EPILOG,
    )
    v.add_argument("message", help="the message file (.eml, RFC 5322), or - for standard input")
    v.add_argument("--dns-timeout", default="2", metavar="S", help="seconds per DNS query (default 2)")
    v.add_argument("-v", "--verbose", action="count", default=0, help="also print the DNS queries")
    add_nameserver_flag(v)
    add_json_flag(v)
    v.set_defaults(func=run_verify)

    k = dsub.add_parser(
        "keygen",
        help="generate a DKIM key pair and the TXT record to publish",
        description=textwrap.fill(
            "Generate a DKIM key pair (RSA 2048 by default, or Ed25519), print the TXT record to publish at "
            "SELECTOR._domainkey.DOMAIN (split into 255-character strings, as DNS requires), and write the "
            "private key readable by you only (mode 0600). An existing key file is never overwritten."
        ),
        epilog=KEYGEN_EPILOG,
    )
    k.add_argument("--domain", required=True, help="the signing domain (d=), usually your From domain")
    k.add_argument("--selector", required=True, help="a new selector name, e.g. mail2026 (never reuse a live one)")
    size = k.add_mutually_exclusive_group()
    size.add_argument(
        "--bits", type=int, default=2048, choices=(1024, 2048, 3072, 4096), help="RSA key size (default 2048)"
    )
    size.add_argument("--ed25519", action="store_true", help="make an Ed25519 key (RFC 8463) instead of RSA")
    k.add_argument("--out", default=".", metavar="DIR", help="directory for the key files (default: current directory)")
    add_json_flag(k)
    k.set_defaults(func=run_keygen)

    def no_action(args: argparse.Namespace) -> int:
        p.print_help(sys.stderr)
        return 2

    p.set_defaults(func=no_action)


def _read_message(path: str) -> bytes:
    if path == "-":
        data = sys.stdin.buffer.read(MAX_MESSAGE_BYTES + 1)
    else:
        f = Path(path)
        if not f.is_file():
            raise UsageError(f"{path}: no such file (save the message as .eml first, or pass - to read standard input)")
        try:
            with f.open("rb") as fh:
                data = fh.read(MAX_MESSAGE_BYTES + 1)
        except OSError as exc:
            raise UsageError(f"{path}: cannot read it ({exc.strerror})") from None
    if len(data) > MAX_MESSAGE_BYTES:
        raise UsageError(f"{path}: larger than {MAX_MESSAGE_BYTES // (1024 * 1024)} MB; that is not a single message")
    if not data.strip():
        raise UsageError(f"{path}: the file is empty")
    return data


def run_verify(args: argparse.Namespace) -> int:
    from smtpkit.checks.domain.message import verify_report
    from smtpkit.net.dns import resolver_for
    from smtpkit.settings import MAX_DNS_TIMEOUT, validate_nameservers, validate_seconds

    # through the one set of validators (InvalidSettings: exit 2): 1e308, inf and nan are refused here
    timeout = validate_seconds(args.dns_timeout, field="dns_timeout", label="--dns-timeout", maximum=MAX_DNS_TIMEOUT)
    nameservers = validate_nameservers(tuple(args.nameserver or ()))
    data = _read_message(args.message)
    resolver = resolver_for(nameservers, timeout)
    report = verify_report(data, resolver, source=args.message)
    return emit_report(report, args)


def run_keygen(args: argparse.Namespace) -> int:
    from smtpkit.dkim.keygen import generate, write_private_key, write_public_record

    try:
        key = generate(args.domain, args.selector, algorithm="ed25519" if args.ed25519 else "rsa", bits=args.bits)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        # without this, O_EXCL on "<file>/<name>" reports "already exists", which sends people looking
        # for a key file that is not there
        raise UsageError(f"--out {args.out} is a file, not a directory: give the directory to write the key files into")
    if not out.exists():
        # a typo in a path must not silently become a new folder tree holding a private key
        raise UsageError(
            f"--out {args.out} does not exist: create it first (mkdir -m 700 -p {args.out}) or give an existing "
            "directory"
        )
    try:
        private_path = write_private_key(key, out)
    except FileExistsError:
        raise UsageError(
            f"{out / key.private_key_filename} already exists; it was not overwritten. Choose a new --selector "
            "(rotating keys means a new selector) or another --out directory."
        ) from None
    except OSError as exc:
        raise UsageError(f"cannot write the key into {out}: {exc.strerror}") from None
    public_path = write_public_record(key, out)
    if args.json:
        emit_json(
            {
                "domain": key.domain,
                "selector": key.selector,
                "algorithm": key.algorithm,
                "bits": key.bits,
                "txt_name": key.txt_name,
                "txt_value": key.txt_value,
                "txt_strings": key.txt_strings,
                "zone_line": key.zone_line(),
                "private_key_file": str(private_path),
                "public_record_file": str(public_path),
            }
        )
        return EXIT_OK
    kind = "Ed25519" if key.algorithm == "ed25519" else f"RSA {key.bits}-bit"
    print(f"{kind} DKIM key for {key.domain}, selector {key.selector}\n")
    print("1. Publish this TXT record:")
    print(f"   name (host):  {key.txt_name}")
    print(f"                 (in a DNS panel for {key.domain}: {key.selector}._domainkey)")
    print(f"   value:        {key.txt_value}")
    if len(key.txt_strings) > 1:
        print(
            f"\n   The value is {len(key.txt_value)} characters; DNS stores at most 255 per string, so in a zone file"
            " it is"
        )
        print("   written as several quoted strings of ONE record (most DNS panels split it for you):")
    else:
        print("\n   As a zone-file line:")
    print(f"   {key.zone_line()}")
    print(f"\n2. The private key was written to {private_path} (mode 0600, readable by you only).")
    print("   Give it to your signer (OpenDKIM KeyTable, rspamd dkim_signing, your application) and never share it.")
    print(f"   The zone-file line is also in {public_path}.")
    print(f"\n3. When the record is visible, check it: smtpkit domain {key.domain} --selector {key.selector}")
    if key.algorithm == "rsa" and key.bits == 1024:
        print("\nNote: 1024-bit keys still work but are weak; 2048 is the recommended size.")
    return EXIT_OK
