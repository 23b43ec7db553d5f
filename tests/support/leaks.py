"""An independent check of the redactor's promise: does a text still carry 5 characters of a secret?

Written the slow, obvious way (decode everything, compare every window), so it
can judge `smtpkit.secrets.Redactor`, which does the same with two regular
expressions. A leak is a run of RUN characters of the secret, in any case, in
the text between redaction markers; or RUN bytes of it in the decoding of any
base64 run (whitespace removed, at each of the 4 character offsets), any hex
run, or the percent-decoding of the text.
"""

from __future__ import annotations

import base64
import binascii
import re
import urllib.parse

from smtpkit.secrets import REDACTED, RUN

_B64_RUN = re.compile(r"[A-Za-z0-9+/_\- \t\r\n\f\v]+=*")  # the whitespace a blob is split by
_HEX_RUN = re.compile(r"[0-9A-Fa-f]{10,}")


def _windows(data: bytes) -> set[bytes]:
    return {data[i : i + RUN] for i in range(len(data) - RUN + 1)}


def _text_windows(text: str) -> set[str]:
    low = text.lower()
    return {low[i : i + RUN] for i in range(len(low) - RUN + 1)}


def _decodings(run: str) -> list[bytes]:
    compact = re.sub(r"[ \t\r\n\f\v]+", "", run).replace("-", "+").replace("_", "/").rstrip("=")
    out = []
    for offset in range(4):
        part = compact[offset:]
        part = part[: len(part) - len(part) % 4]
        if len(part) >= 8:
            try:
                out.append(base64.b64decode(part))
            except (binascii.Error, ValueError):
                pass
    return out


def leaks(text: str, secret: str) -> list[str]:
    """Every way `text` still shows RUN characters (or bytes) of `secret`; [] when it shows none."""
    if len(secret) < RUN:
        return [secret] if secret and secret in text else []
    found: list[str] = []
    secret_text = _text_windows(secret)
    raw = secret.encode("utf-8")
    secret_bytes = _windows(raw) | _windows(raw.lower()) | _windows(secret.lower().encode("utf-8"))
    for piece in text.split(REDACTED):
        hit = _text_windows(piece) & secret_text
        if hit:
            found.append(f"raw {sorted(hit)[0]!r}")
        unquoted = urllib.parse.unquote(piece, errors="replace")
        if unquoted != piece and _text_windows(unquoted) & secret_text:
            found.append("percent-encoded")
        for m in _B64_RUN.finditer(piece):
            for data in _decodings(m.group(0)):
                if _windows(data) & secret_bytes or _windows(data.lower()) & secret_bytes:
                    found.append(f"base64 {m.group(0)[:40]!r}")
                    break
        for m in _HEX_RUN.finditer(piece):
            for offset in (0, 1):
                digits = m.group(0)[offset:]
                data = bytes.fromhex(digits[: len(digits) - len(digits) % 2])
                if _windows(data) & secret_bytes or _windows(data.lower()) & secret_bytes:
                    found.append(f"hex {m.group(0)[:40]!r}")
                    break
    return found
