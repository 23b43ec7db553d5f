"""SPF (RFC 7208): our own parser, macro expander and check_host() evaluator with a trace.

>>> from smtpkit.spf import check_host                                   # doctest: +SKIP
>>> r = check_host("192.0.2.10", "example.com", "alice@example.com")     # doctest: +SKIP
>>> r.result, r.explanation, r.lookups                                   # doctest: +SKIP
>>> r.to_frame()                                                         # doctest: +SKIP

`explain_record()` reads a record back in plain words, term by term; `lint()`
finds what receivers will hold against a published record.
"""

from smtpkit.spf.evaluator import Result, SpfResult, check_host, check_identity
from smtpkit.spf.explain import explain_record
from smtpkit.spf.parser import Record, Term, parse_record

__all__ = [
    "Record",
    "Result",
    "SpfResult",
    "Term",
    "check_host",
    "check_identity",
    "explain_record",
    "parse_record",
]
