"""What the redactor costs, and what it takes from ordinary text (issue 14, item 11).

The redactor runs on every finding, step and transcript line when it is made,
and again on every view, so its speed is the kit's. Since issue 14 it removes
any 5-character run of a secret (any case, any per-character encoding) and any
base64 holding 5 bytes of it, instead of only whole-secret forms. This script
measures both side by side in one run: the pre-issue-14 algorithm (whole forms,
base64 cores tested token by token in Python, kept here as the baseline) and
the current one (two trie regular expressions), on a session transcript and the
finding catalogue, with 1 and with 20 secrets registered; then the share of
that ordinary text each kind of password takes with it.

Run: python benchmarks/redact.py
"""

from __future__ import annotations

import base64
import re
import secrets as pysecrets
import string
import sys
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from smtpkit.knowledge.catalogue import catalogue  # noqa: E402
from smtpkit.secrets import REDACTED, Redactor, b64_cores, escaped_forms  # noqa: E402
from tests.test_secrets_hostile import TRANSCRIPT, redacted_share, sample_passwords  # noqa: E402

_B64_TOKEN = re.compile(r"[A-Za-z0-9+/_-]{4,}={0,2}")


class BaselineRedactor:
    """The redactor before issue 14: whole-secret forms, and base64 cores tested per token in Python."""

    def __init__(self) -> None:
        self.exact: set[str] = set()
        self.cores: set[str] = set()
        self.exact_re: re.Pattern[str] | None = None

    def register(self, value: str) -> None:
        raw = value.encode()
        forms = {value, urllib.parse.quote(value, safe=""), urllib.parse.quote_plus(value)}
        forms |= {base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode()}
        forms |= escaped_forms(value)
        self.exact |= {f for f in forms if len(f) >= 4}
        self.cores |= b64_cores(raw)
        exact = sorted(self.exact, key=len, reverse=True)
        self.exact_re = re.compile("|".join(re.escape(e) for e in exact))

    def redact(self, text: str) -> str:
        if self.exact_re is not None:
            text = self.exact_re.sub(REDACTED, text)
        cores = self.cores
        return _B64_TOKEN.sub(lambda m: REDACTED if any(c in m.group(0) for c in cores) else m.group(0), text)


def _texts() -> list[str]:
    texts = [TRANSCRIPT] * 20
    for spec in catalogue().values():
        texts += [spec.title, spec.explanation, spec.fix]
    return texts


def _time(redactor: object, texts: list[str], rounds: int = 5) -> float:
    redact = redactor.redact  # type: ignore[attr-defined]
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for t in texts:
            redact(t)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    texts = _texts()
    size = sum(len(t) for t in texts)
    print(f"text: {len(texts)} pieces, {size / 1000:.0f} KB (a transcript x20 and the finding catalogue)")
    alphabet = string.ascii_letters + string.digits + "!#$%&*+-./:;=?@_"
    for n in (1, 20):
        secrets_ = ["".join(pysecrets.choice(alphabet) for _ in range(16)) for _ in range(n - 1)]
        secrets_.append("ya29." + pysecrets.token_urlsafe(90))  # one OAuth token among them
        old, new = BaselineRedactor(), Redactor()
        start = time.perf_counter()
        for s in secrets_:
            old.register(s)
        reg_old = time.perf_counter() - start
        start = time.perf_counter()
        for s in secrets_:
            new.register(s)
        new.redact("x")  # patterns are compiled on the first redaction after a registration
        reg_new = time.perf_counter() - start
        t_old, t_new = _time(old, texts), _time(new, texts)
        print(
            f"{n:2d} secret(s): register (and compile) {reg_old * 1000:7.1f} ms -> {reg_new * 1000:7.1f} ms;"
            f" redact {t_old * 1000:7.1f} ms -> {t_new * 1000:7.1f} ms"
            f" ({size / t_new / 1e6:.1f} MB/s now, {t_new / t_old:.2f}x the baseline's time)"
        )
    print("share of ordinary text each kind of password takes with it (the catalogue and a transcript):")
    corpus = [TRANSCRIPT] + texts[20:]
    for kind, offset in (("typed (word+year+sign)", 0), ("generated", 1), ("OAuth token", 2)):
        shares = [redacted_share(pw, corpus) for pw in sample_passwords(60)[offset::3]]
        print(f"  {kind:24s} mean {sum(shares) / len(shares):.4%}  worst {max(shares):.4%}")


if __name__ == "__main__":
    main()
