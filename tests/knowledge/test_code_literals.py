"""Every finding code written as a literal in smtpkit/ exists in the catalogue (issue 8 §3).

A typo in ``finding("dmarc.polcy_none", ...)`` would only show as a KeyError in
some user's run, on the one path that builds it. This test reads the source
of the whole package instead: the first argument of every ``finding(...)``,
``spec(...)``, ``state.finding(...)``-style call and the value of every
``finding=``, ``expect=`` and ``code=`` keyword must be a catalogue code, and
every other string that looks like one (``"tls.cert.expired"`` in a table, a
zone's description naming the code it teaches) must be a code or the start of
one (``"tls.cert"`` used as a prefix).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from smtpkit.knowledge.catalogue import catalogue
from tests.support.paths import ROOT

PACKAGE = ROOT / "smtpkit"
CODES_DIR = PACKAGE / "knowledge" / "codes"  # the declarations themselves

# Calls whose first argument is a finding code, and keywords whose value is one.
_CODE_CALLS = re.compile(r"^(?:finding|spec)$|_finding$")
_CODE_KEYWORDS = {"finding", "expect", "code"}
# Strings that look like a code but are something else, and why.
NOT_CODES = {
    "smtp.helo": "an Authentication-Results property (RFC 8601 ptype.property)",
    "smtp.mailfrom": "an Authentication-Results property (RFC 8601 ptype.property)",
}
# Last labels that make "mx.google.com" a host name and "message.eml" a file, not a code.
_NOT_CODE_ENDINGS = {
    "com", "net", "org", "io", "us", "uk", "de", "co", "edu", "gov", "info", "biz", "test", "example", "invalid",
    "localhost", "arpa", "py", "eml", "txt", "json", "html", "ipynb", "pem", "mbox", "gz", "zip", "xml", "csv",
}  # fmt: skip


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                ids.add(id(first.value))
    return ids


def _call_name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def code_literals(source: str, prefixes: set[str], *, declarations: bool = False) -> Iterator[tuple[int, str, bool]]:
    """(line, text, strict) for every code-looking literal: strict ones must be codes, others codes or prefixes."""
    tree = ast.parse(source)
    docstrings = _docstrings(tree)
    strict_ids: set[int] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        if _CODE_CALLS.search(_call_name(node.func)) and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                strict_ids.add(id(first))
                yield node.lineno, first.value, True
        for kw in node.keywords:
            if kw.arg in _CODE_KEYWORDS and not declarations:
                value = kw.value
                if isinstance(value, ast.Constant) and isinstance(value.value, str) and value.value:
                    if kw.arg == "code" and "." not in value.value:
                        continue  # code= also names exit codes and the like; a finding code has a dot
                    strict_ids.add(id(value))
                    yield value.lineno, value.value, True
    alternatives = "|".join(sorted(map(re.escape, prefixes), key=len, reverse=True))
    embedded = re.compile(rf"(?<![\w./@-])((?:{alternatives})\.[a-z0-9_]+(?:\.[a-z0-9_]+)*)(?![\w/@(-])")
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Constant) and isinstance(node.value, str)) or id(node) in strict_ids:
            continue
        if id(node) in docstrings:
            continue
        for m in embedded.finditer(node.value):
            text = m.group(1).rstrip(".")
            if text.rsplit(".", 1)[-1] not in _NOT_CODE_ENDINGS:
                yield node.lineno, text, False


def unknown_codes(source: str, codes: set[str], *, declarations: bool = False) -> list[tuple[int, str]]:
    prefixes = {c.split(".", 1)[0] for c in codes}
    out = []
    for line, text, strict in code_literals(source, prefixes, declarations=declarations):
        if text in codes or text in NOT_CODES:
            continue
        if not strict and any(c.startswith(text) for c in codes):
            continue  # a prefix used to select a family of codes ("tls.cert", "tls.protocol")
        out.append((line, text))
    return out


def test_every_code_literal_in_the_package_is_in_the_catalogue() -> None:
    codes = set(catalogue())
    problems = []
    for path in sorted(PACKAGE.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        for line, text in unknown_codes(source, codes, declarations=path.is_relative_to(CODES_DIR)):
            problems.append(f"{path.relative_to(ROOT)}:{line}: {text!r} is not a catalogue code")
    assert not problems, "\n".join(problems)


def test_the_scan_finds_a_typo() -> None:
    """The check above can fail: a mistyped code in any of the places codes are written is reported."""
    codes = {"dmarc.policy_none", "tls.cert.expired", "send.relay_denied"}
    source = """
from smtpkit.knowledge import finding

def check(state):
    a = finding("dmarc.polcy_none", "evidence")           # a typo in a finding() call
    b = state.finding("dmrac.policy_none")                 # a typo in the prefix too
    c = ReplyRule("x", finding="send.relay_deniedd")       # a rule's finding=
    d = Scenario("expired", expect="tls.cert.expird")      # a lab scenario's expect=
    e = {"tls.cert.expired", "tls.cert.expird_soon"}       # a table of codes
    f = "teaches dmarc.policy_nnone to the reader"         # a description naming its code
    g = _policy_finding("send.relay_denied")               # a correct one
    h = "mx.google.com", "smtp.helo", "tls.cert"           # a host, a property, a family prefix
    return a, b, c, d, e, f, g, h
"""
    found = sorted(text for _line, text in unknown_codes(source, codes))
    assert found == sorted(
        [
            "dmarc.polcy_none",
            "dmrac.policy_none",
            "send.relay_deniedd",
            "tls.cert.expird",
            "tls.cert.expird_soon",
            "dmarc.policy_nnone",
        ]
    ), found
