"""DNSSEC, validated by the kit: trust anchors and the chain of trust down to one answer.

>>> from smtpkit.net.dnssec import SignedLookup                       # doctest: +SKIP
>>> v = Validator(SignedLookup(resolver), root_anchors())             # doctest: +SKIP
>>> result = v.validate("_25._tcp.mail.example.com", "TLSA")          # doctest: +SKIP
>>> result.state, result.failed                                       # doctest: +SKIP
"""

from smtpkit.dnssec.anchors import TrustAnchors, load_anchors, parse_anchors, root_anchors
from smtpkit.dnssec.validate import BOGUS, INDETERMINATE, INSECURE, SECURE, Link, Validation, Validator

__all__ = [
    "BOGUS",
    "INDETERMINATE",
    "INSECURE",
    "SECURE",
    "Link",
    "TrustAnchors",
    "Validation",
    "Validator",
    "load_anchors",
    "parse_anchors",
    "root_anchors",
]
