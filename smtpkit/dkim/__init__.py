"""DKIM (RFC 6376, RFC 8463): key records, selector discovery, verification, key generation.

`record` and `keygen` are pure; `selectors` and `verify` talk to DNS only
through a `smtpkit.net.dns.Resolver`, so everything runs against the lab's
DNS server on loopback as well as against the real world.
"""

from smtpkit.dkim.keygen import GeneratedKey, generate, split_txt, write_private_key
from smtpkit.dkim.record import DkimKeyRecord, KeyProblem, parse_key_record
from smtpkit.dkim.selectors import COMMON_SELECTORS, SelectorProbe, adiscover, discover, lookup_selector
from smtpkit.dkim.verify import SignatureResult, VerifyResult, verify_message

__all__ = [
    "COMMON_SELECTORS",
    "DkimKeyRecord",
    "GeneratedKey",
    "KeyProblem",
    "SelectorProbe",
    "SignatureResult",
    "VerifyResult",
    "adiscover",
    "discover",
    "generate",
    "lookup_selector",
    "parse_key_record",
    "split_txt",
    "verify_message",
    "write_private_key",
]
