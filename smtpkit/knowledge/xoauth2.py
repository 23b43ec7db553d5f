"""XOAUTH2 error challenges: the base64 JSON a server sends when it refuses an OAuth token.

Google and Microsoft answer a refused token with ``334 <base64 of JSON>`` and
expect an empty line back before the final 535; the JSON says why (status,
scope). Decoding is pure and capped: the challenge comes from the server.

`json.loads` recurses once per level of nesting, so a challenge of
``{"status":"401","x":[[[[…`` 1,500 levels deep (it fits in one reply line)
raised RecursionError out of `smtpkit check` and `smtpkit explain`. The
nesting is measured first, in one linear pass, and anything deeper than a real
error (one flat object) is not decoded at all.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from typing import Any

MAX_JSON_CHARS = 8192
MAX_JSON_DEPTH = 16  # Google's and Microsoft's errors are one flat object


def json_depth(text: str) -> int:
    """How deeply `text` nests JSON arrays and objects (brackets inside strings do not count); linear."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def load_json_object(text: str) -> dict[str, Any] | None:
    """A JSON object a server sent, or None: too long, nested deeper than MAX_JSON_DEPTH, not JSON, not an object."""
    if len(text) > MAX_JSON_CHARS or json_depth(text) > MAX_JSON_DEPTH:
        return None
    try:
        obj = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return {str(k): v for k, v in obj.items()} if isinstance(obj, dict) else None


def decode_xoauth2_error(challenge_b64: str) -> dict[str, Any] | None:
    """Decode the base64 JSON that an XOAUTH2 server sends in its 334 error challenge.

    Google documents the form ``base64({"status":"401","schemes":"bearer","scope":"https://mail.google.com/"})``;
    Microsoft sends the same shape. Returns the dict, or None when the text is
    not such a challenge (so a normal 334 prompt is never mistaken for an error).
    """
    raw = (challenge_b64 or "").strip()
    if not raw or len(raw) > 8192:
        return None
    raw = re.sub(r"\s+", "", raw)
    try:
        text = base64.b64decode(raw + "=" * (-len(raw) % 4), validate=True).decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    obj = load_json_object(text)
    if obj is None or "status" not in obj:
        return None
    return obj


def coerce_oauth_error(value: Any) -> dict[str, Any] | None:
    """An XOAUTH2 error as the engine may hand it over: a dict, its JSON text, or the raw base64."""
    if isinstance(value, Mapping):
        return {str(k): v for k, v in value.items()}
    if not isinstance(value, (str, bytes)) or not value:
        return None
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
    if text.lstrip().startswith("{"):
        return load_json_object(text)
    return decode_xoauth2_error(text)


_XOAUTH2_STATUS = {
    "400": "the token was rejected: expired, malformed, or not an access token",
    "401": "the token is not valid for this user (expired, revoked, or issued to a different account)",
    "403": "the token is valid but lacks permission: wrong scope, or the app is not allowed for this mailbox",
}


def explain_xoauth2_error(err: Mapping[str, Any]) -> str:
    """Plain words for a decoded XOAUTH2 error challenge."""
    status = str(err.get("status", "?"))
    scope = err.get("scope") or "(not given)"
    meaning = _XOAUTH2_STATUS.get(status, "the server refused the token")
    return f"The server's XOAUTH2 error says status {status}: {meaning}. It expects a token for scope {scope}."
