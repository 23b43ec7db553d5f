"""DMARC aggregate reports (RFC 7489 Appendix C, the older draft, and DMARCbis / RFC 9990) -> one table.

One row per ``<record>``: who reported, for which period and policy, which IP
sent how many messages, what the receiver did, and the SPF and DKIM results,
plus the alignment computed again under the published ``adkim``/``aspf`` modes
with the organizational domain from the Public Suffix List
(`smtpkit.dmarc.alignment`). The columns are documented in ``docs/reports.md``.

Why the parser looks the way it does:

* **Safe.** Reports come from strangers. The expat parser refuses any DTD, entity
  declaration or external reference, with the same handlers `defusedxml` installs
  (`defusedxml.DTDForbidden` and friends are raised), so billion-laughs and XXE
  documents are refused before a single entity is expanded.
* **Fast.** A month of reports for a busy domain is millions of records. Building an
  element tree and then dictionaries per record costs more than the parsing
  itself, so the parser keeps no tree: a single end-of-element callback files each
  value into its column as it is read, and each column stores small integer codes
  into a table of the distinct values it has seen (reporters, domains, results,
  even IPs repeat). The table then becomes pandas categoricals without a copy of
  every string.
* **Lenient.** Real reports are often invalid: elements in another order, junk
  text between elements, ``PASS`` in capitals, a namespace prefix, empty reasons,
  odd encodings. Element names are read without their prefix, values are trimmed
  and lower-cased where the schema has a fixed vocabulary, a document in a
  misdeclared encoding is read again as UTF-8 with replacement characters, and
  records read before an error are kept (with a ``partial`` problem row) when the
  report's identity is known.
"""

from __future__ import annotations

import functools
import logging
import re
import xml.parsers.expat
from array import array
from collections.abc import Callable, Sequence
from typing import Any

from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden

from smtpkit.dmarc.alignment import aligned, normalize, org_domain
from smtpkit.reports.ingest import Payload, Problem

__all__ = ["DMARCBIS_NAMESPACE", "RECORD_COLUMNS", "AggregateTable"]

DMARCBIS_NAMESPACE = "urn:ietf:params:xml:ns:dmarc-2.0"
log = logging.getLogger("smtpkit.reports")

# Columns filled once per report and repeated on each of its rows.
_REPORT_FIELDS = (
    "source",
    "org_name",
    "org_email",
    "report_id",
    "begin",
    "end",
    "schema",
    "generator",
    "errors",
    "policy_domain",
    "p",
    "sp",
    "np",
    "pct",
    "adkim",
    "aspf",
    "fo",
    "testing",
    "discovery_method",
)
# Columns filled per record, as read (before alignment is computed).
_ROW_FIELDS = (
    "source_ip",
    "count",
    "disposition",
    "dkim_evaluated",
    "spf_evaluated",
    "reason",
    "header_from",
    "envelope_from",
    "envelope_to",
    "dkim",
    "spf",
)

# The published columns of `records`, in order (see docs/reports.md).
RECORD_COLUMNS = (
    "org_name",
    "org_email",
    "report_id",
    "begin",
    "end",
    "policy_domain",
    "p",
    "sp",
    "np",
    "pct",
    "adkim",
    "aspf",
    "fo",
    "testing",
    "discovery_method",
    "source_ip",
    "count",
    "disposition",
    "dkim_evaluated",
    "spf_evaluated",
    "reason",
    "header_from",
    "envelope_from",
    "envelope_to",
    "dkim_domain",
    "dkim_selector",
    "dkim_result",
    "dkim_signatures",
    "spf_domain",
    "spf_scope",
    "spf_result",
    "org_domain",
    "spf_aligned",
    "dkim_aligned",
    "dmarc_pass",
    "dmarc_pass_reported",
    "failure",
    "schema",
    "generator",
    "errors",
    "source",
)

# Element name -> what its end means. Other names are leaves whose text is kept.
_LEAF, _SKIP, _RECORD, _AUTH, _REASON, _METADATA_END, _POLICY_END, _META = range(8)
_KIND = {
    "feedback": _SKIP,
    "row": _SKIP,
    "identifiers": _SKIP,
    "identities": _SKIP,  # an early draft's name for <identifiers>
    "auth_results": _SKIP,
    "policy_evaluated": _SKIP,
    "date_range": _SKIP,
    "extension": _SKIP,
    "record": _RECORD,
    "dkim": _AUTH,
    "spf": _AUTH,
    "reason": _REASON,
    "report_metadata": _METADATA_END,
    "policy_published": _POLICY_END,
    # leaves of <report_metadata> and <policy_published> whose names appear nowhere else
    "version": _META,
    "org_name": _META,
    "email": _META,
    "extra_contact_info": _META,
    "report_id": _META,
    "begin": _META,
    "end": _META,
    "generator": _META,
    "error": _META,
    "p": _META,
    "sp": _META,
    "np": _META,
    "pct": _META,
    "adkim": _META,
    "aspf": _META,
    "fo": _META,
    "testing": _META,
    "discovery_method": _META,
}
# leaves of records, auth results and reasons (any other name is kept as a leaf too)
_LEAVES = (
    "source_ip",
    "count",
    "disposition",
    "header_from",
    "envelope_from",
    "envelope_to",
    "domain",
    "selector",
    "scope",
    "result",
    "human_result",
    "type",
    "comment",
)


class _End:
    """What the parser hands us when an element ends: its name and what its end means.

    Expat interns element names through a dictionary we give it, and returns the
    dictionary's *value* for a known name; so each known name comes back as one of
    these markers instead of a string. That lets both expat callbacks be the C
    method ``list.append`` (no Python call per element), and a marker is told apart
    from text by its type. Unknown names still arrive as strings.
    """

    __slots__ = ("kind", "name")

    def __init__(self, name: str, kind: int) -> None:
        self.name = name
        self.kind = kind


_ENDS = {name: _End(name, kind) for name, kind in _KIND.items()} | {name: _End(name, _LEAF) for name in _LEAVES}


_RECORD_KEYS = {
    "source_ip": "source_ip",
    "count": "count",
    "disposition": "disposition",
    "pe_dkim": "dkim_evaluated",
    "pe_spf": "spf_evaluated",
    "header_from": "header_from",
    "envelope_from": "envelope_from",
    "envelope_to": "envelope_to",
}
_FREE_TEXT = {"org_name", "extra_contact_info", "generator", "error", "comment", "human_result"}


MAX_DEPTH = 256
_SLICE = 1 << 16


def _opened(piece: bytes) -> int:
    """Elements opened minus elements closed in a slice of XML, counted from its bytes (an upper bound).

    Every start tag has one ``<`` and every end tag ``</`` (or an empty element's
    ``/>``); declarations and comments (``<?``, ``<!``) open nothing. A ``<`` inside a
    comment or CDATA counts as an opening, so the count can only overstate the
    depth, never hide it.
    """
    closes = piece.count(b"</")
    opened = piece.count(b"<") - 2 * closes - piece.count(b"/>")
    if opened > 16:  # rare: only then tell declarations, comments and CDATA apart from start tags
        opened -= piece.count(b"<?") + piece.count(b"<!")
    return opened


class _TooDeep(Exception):
    """The document nests elements deeper than any report (refused before expat has to hold them)."""


class _Stop(Exception):
    """Raised inside the parser to stop it (a duplicate report: nothing more to read)."""


class _Column:
    """Codes into a table of distinct values; None is code -1 (pandas' missing value)."""

    __slots__ = ("codes", "index")

    def __init__(self) -> None:
        self.index: dict[Any, int] = {None: -1}
        self.codes = array("i")

    def code(self, value: Any) -> int:
        c = self.index.get(value)
        if c is None:
            c = self.index[value] = len(self.index) - 1
        return c

    def categories(self) -> list[Any]:
        return [v for v in self.index if v is not None]


def _refuse_dtd(name: str, sysid: str | None, pubid: str | None, _internal: bool) -> None:
    raise DTDForbidden(name, sysid, pubid)


def _refuse_entity(*args: Any) -> None:
    raise EntitiesForbidden(*(list(args[:1]) + [None] * 5))


def _refuse_external(context: str, base: str | None, sysid: str | None, pubid: str | None) -> int:
    raise ExternalReferenceForbidden(context, base, sysid, pubid)


def _safe_parser(encoding: str | None = None, intern: dict[str, Any] | None = None) -> Any:
    """An expat parser that refuses DTDs, entity declarations and external references (as defusedxml does)."""
    p = xml.parsers.expat.ParserCreate(encoding, None, intern if intern is not None else {})
    p.StartDoctypeDeclHandler = _refuse_dtd
    p.EntityDeclHandler = _refuse_entity
    p.UnparsedEntityDeclHandler = _refuse_entity
    p.ExternalEntityRefHandler = _refuse_external
    p.buffer_text = True
    p.buffer_size = 1 << 20  # text longer than this would arrive in two pieces (and be misread as a name)
    return p


@functools.lru_cache(maxsize=1)
def _intern_returns_markers() -> bool:
    """Does this Python's expat hand back our interning dictionary's values (see `_End`)?"""
    marker = _End("a", _LEAF)
    p = xml.parsers.expat.ParserCreate(None, None, {"a": marker})
    ends: list[Any] = []
    p.EndElementHandler = ends.append
    p.Parse(b"<a/>", True)
    return ends == [marker]


_ENCODING_DECL = re.compile(rb"^(\s*<\?xml[^>]*?)\sencoding=[\"'][^\"']*[\"']", re.IGNORECASE)


class AggregateTable:
    """Collects aggregate reports, one document at a time, into the columns of `records`.

    `add(payload)` parses one XML document and returns the problems it had (empty
    when it was read whole); `frame()` builds the DataFrame. The same report
    (reporting organisation + report id) added twice is read once; the second copy
    becomes a ``duplicate`` problem.
    """

    def __init__(self) -> None:
        self._report_cols = {name: _Column() for name in _REPORT_FIELDS}  # one code per report
        self._report_rows = array("q")  # how many rows each report has (its codes repeat that often)
        self._row_cols = {name: _Column() for name in _ROW_FIELDS}
        self._rows = 0
        self.seen: dict[tuple[str, str], str] = {}
        self.reports = 0

    def __len__(self) -> int:
        return self._rows

    # -- parsing ------------------------------------------------------------------------------
    def add(self, payload: Payload) -> list[Problem]:
        """Parse one aggregate report; rows go into the table, problems are returned (never raised)."""
        start = self._rows
        try:
            return self._add(payload)
        except MemoryError:
            self._truncate(start)
            return [Problem(payload.source, "refused", "too large to read into memory", len(payload.data))]
        except Exception as exc:  # a document nobody foresaw must cost one problem row, not the batch
            log.warning("aggregate report %s could not be read", payload.source, exc_info=True)
            self._truncate(start)
            return [Problem(payload.source, "unreadable", f"could not be read ({type(exc).__name__}: {exc})")]

    def _add(self, payload: Payload) -> list[Problem]:
        start = self._rows
        state = _Parse(self, payload.source)
        data, encoding = _utf8(payload.data)
        error = state.run(data, encoding)
        if error is not None and state.encoding_error and not state.records:
            # a misdeclared or broken encoding: read it again as UTF-8, bad bytes replaced
            self._truncate(start)
            state = _Parse(self, payload.source)
            retry = _ENCODING_DECL.sub(rb"\1", payload.data.decode("utf-8", errors="replace").encode("utf-8"), 1)
            error = state.run(retry, encoding="UTF-8")
            if error is None:
                state.notes.append("read with invalid characters replaced (the file's encoding is broken)")
        if isinstance(error, _Stop):
            self._truncate(start)
            first = self.seen.get(state.key or ("", ""), "an earlier file")
            return [Problem(payload.source, "duplicate", f"the same report as {first}: counted once")]
        problems: list[Problem] = []
        if isinstance(error, (DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden, _TooDeep)):
            self._truncate(start)
            return [Problem(payload.source, "refused", _describe(error), len(payload.data))]
        if error is not None:
            if not state.root:
                self._truncate(start)
                return [Problem(payload.source, "unreadable", _describe(error), len(payload.data))]
            if state.root != "feedback":
                self._truncate(start)
                return [Problem(payload.source, "skipped", f"XML, but not a DMARC aggregate report (<{state.root}>)")]
            if not state.identified() or not state.records:
                self._truncate(start)
                return [Problem(payload.source, "unreadable", _describe(error), len(payload.data))]
            problems.append(
                Problem(
                    payload.source,
                    "partial",
                    f"{_describe(error)}; the {state.records} records before it were kept",
                    len(payload.data),
                )
            )
        elif state.root != "feedback":
            self._truncate(start)
            return [Problem(payload.source, "skipped", f"XML, but not a DMARC aggregate report (<{state.root}>)")]
        elif not state.identified():
            self._truncate(start)
            return [Problem(payload.source, "unreadable", "a <feedback> document without report_metadata")]
        key = state.report_key()
        if key in self.seen:  # metadata came after the records: found out only now
            self._truncate(start)
            return [Problem(payload.source, "duplicate", f"the same report as {self.seen[key]}: counted once")]
        self.seen[key] = payload.source
        self._finish_report(state, self._rows - start)
        self.reports += 1
        if state.records == 0:
            problems.append(Problem(payload.source, "empty", "a report with no records"))
        problems.extend(Problem(payload.source, "partial", note) for note in state.notes)
        return problems

    def _truncate(self, rows: int) -> None:
        """Forget the rows of a report that will not be kept (its report columns were never filled)."""
        for col in self._row_cols.values():
            del col.codes[rows:]
        self._rows = rows

    def _finish_report(self, state: _Parse, n: int) -> None:
        meta = state.meta
        values = {
            "source": state.source,
            "org_name": meta.get("org_name") or None,
            "org_email": meta.get("email") or None,
            "report_id": meta.get("report_id") or None,
            "begin": meta.get("begin"),
            "end": meta.get("end"),
            "schema": state.schema(),
            "generator": meta.get("generator") or None,
            "errors": "; ".join(state.errors) or None,
            "policy_domain": normalize(meta.get("domain", "")) or None,
            "p": _lower(meta.get("p")),
            "sp": _lower(meta.get("sp")),
            "np": _lower(meta.get("np")),
            "pct": meta.get("pct") or None,
            "adkim": _lower(meta.get("adkim")),
            "aspf": _lower(meta.get("aspf")),
            "fo": meta.get("fo") or None,
            "testing": _lower(meta.get("testing")),
            "discovery_method": _lower(meta.get("discovery_method")),
        }
        for name, col in self._report_cols.items():
            col.codes.append(col.code(values[name]))
        self._report_rows.append(n)

    # -- the table ----------------------------------------------------------------------------
    def frame(self) -> Any:
        """The `records` DataFrame (columns in `RECORD_COLUMNS` order; see docs/reports.md)."""
        from smtpkit.reports.columns import build_records

        raw = {name: (col.codes, col.categories()) for name, col in self._row_cols.items()}
        per_report = {name: (col.codes, col.categories()) for name, col in self._report_cols.items()}
        return build_records(raw, self._rows, per_report=per_report, report_rows=self._report_rows)


def _lower(value: str | None) -> str | None:
    return value.lower() if value else None


def _describe(error: BaseException) -> str:
    if isinstance(error, DTDForbidden):
        return "the XML declares a DTD (reports never need one; it is how entity attacks begin)"
    if isinstance(error, EntitiesForbidden):
        return "the XML declares entities (a billion-laughs or external-entity attack)"
    if isinstance(error, ExternalReferenceForbidden):
        return "the XML refers to an external entity"
    if isinstance(error, _TooDeep):
        return str(error)
    if isinstance(error, xml.parsers.expat.ExpatError):
        what = xml.parsers.expat.errors.messages.get(error.code, str(error))
        return f"not well-formed XML: {what} at line {error.lineno}, column {error.offset}"
    return f"cannot read the XML: {type(error).__name__}: {error}"


_ENCODING_ERRORS = {
    xml.parsers.expat.errors.codes[xml.parsers.expat.errors.XML_ERROR_INVALID_TOKEN],
    xml.parsers.expat.errors.codes[xml.parsers.expat.errors.XML_ERROR_UNKNOWN_ENCODING],
    xml.parsers.expat.errors.codes[xml.parsers.expat.errors.XML_ERROR_INCORRECT_ENCODING],
}


def _utf8(data: bytes) -> tuple[bytes, str | None]:
    """UTF-16 documents as UTF-8 (the nesting watch counts ASCII bytes); others untouched."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or (len(data) > 3 and 0 in data[:4]):
        codec = "utf-16" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else ("utf-16-le" if data[1] == 0 else "utf-16-be")
        try:
            return data.decode(codec).encode("utf-8"), "UTF-8"
        except UnicodeDecodeError:
            return data, None
    return data, None


class _Parse:
    """The state of parsing one document: the pending leaf values, the current record's results."""

    def __init__(self, table: AggregateTable, source: str) -> None:
        self.table = table
        self.source = source
        self.meta: dict[str, str] = {}
        self.errors: list[str] = []
        self.notes: list[str] = []
        self.root = ""
        self.namespace = ""
        self.records = 0
        self.key: tuple[str, str] | None = None
        self.encoding_error = False

    def identified(self) -> bool:
        return bool(self.meta.get("report_id") or self.meta.get("org_name"))

    def report_key(self) -> tuple[str, str]:
        org = self.meta.get("org_name") or self.meta.get("email") or ""
        return (org.strip().lower(), self.meta.get("report_id", "").strip())

    def schema(self) -> str:
        if self.namespace == DMARCBIS_NAMESPACE or any(
            k in self.meta for k in ("np", "testing", "discovery_method", "generator")
        ):
            return "dmarcbis"
        return "rfc7489" if self.meta.get("version") else "draft"

    def run(self, data: bytes, encoding: str | None = None) -> BaseException | None:
        """Parse `data`; None when the whole document was read, else the error that stopped it."""
        intern = dict(_ENDS)
        p = _safe_parser(encoding, intern)
        tokens: list[Any] = []
        p.CharacterDataHandler = tokens.append
        if _intern_returns_markers():
            p.EndElementHandler = tokens.append
        else:  # a Python whose expat interns differently: the same tokens, one call per element
            p.EndElementHandler = lambda name: tokens.append(intern.get(name, name))
        p.StartElementHandler = self._root_handler(p, intern)
        consume = self._consumer(tokens)
        depth = 0
        try:
            # Fed in slices so that nesting can be watched: expat keeps every open element, and a
            # document of a million nested elements would cost a hundred megabytes before any end.
            for at in range(0, len(data), _SLICE):
                piece = data[at : at + _SLICE]
                depth += _opened(piece)
                if depth > MAX_DEPTH:
                    return _TooDeep(f"elements nested more than {MAX_DEPTH} deep (reports need 6)")
                p.Parse(piece, False)
                consume()
            p.Parse(b"", True)
            consume()
        except xml.parsers.expat.ExpatError as exc:
            consume()  # the records completed before the error
            self.encoding_error = exc.code in _ENCODING_ERRORS
            return exc
        except (_Stop, DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden) as exc:
            return exc
        except (RecursionError, ValueError, UnicodeError) as exc:
            return exc
        return None

    def _root_handler(self, p: Any, intern: dict[str, Any]) -> Callable[[str, Any], None]:
        """Look at the root element once (its name and namespace), then stop listening to starts.

        Only the end of each element matters to us; a start callback per element
        would cost a third of the parsing time, so it is removed after the root.
        """

        def first(name: Any, attrs: Any) -> None:
            p.StartElementHandler = None
            name = name.name if isinstance(name, _End) else str(name)  # known names come back as markers
            prefix, _colon, local = name.rpartition(":")
            self.root = local.lower()
            for key, value in dict(attrs).items():
                if key == "xmlns" or key.startswith("xmlns:"):
                    self.namespace = str(value).strip()
            if prefix:  # a prefixed document (<dmarc:feedback>): its names mean the same
                intern.update({f"{prefix}:{n}": end for n, end in _ENDS.items()})

        return first

    def _consumer(self, tokens: list[Any]) -> Callable[[], None]:
        """A function that files the tokens expat produced so far (text and element ends) into the columns.

        This loop runs for every element of every report, so it is written for
        speed: values are kept as written (trimmed only; lower-casing and domain
        normalisation happen once per distinct value when the table is built), and
        each record's values go straight into the columns' code arrays.
        """
        table = self.table
        row_cols = table._row_cols
        pend: dict[str, Any] = {}
        dkim: list[tuple[str, str, str]] = []
        spf: list[tuple[str, str, str]] = []
        reasons: list[tuple[str, str]] = []
        meta = self.meta
        get = pend.get
        pop = pend.pop
        record_cols = [(key, row_cols[col].index, row_cols[col].codes.append) for key, col in _RECORD_KEYS.items()]
        for name in ("dkim", "spf", "reason"):
            record_cols.append((name, row_cols[name].index, row_cols[name].codes.append))
        evaluated = {"dkim": "pe_dkim", "spf": "pe_spf"}
        carry = [""]  # text read at the end of one slice, for the element that ends in the next

        def consume() -> None:
            text = carry[0]
            after_text = bool(text)
            for tok in tokens:
                if tok.__class__ is str:
                    if after_text:  # two strings in a row: the second is an element we do not know
                        text, after_text = "", False
                    else:
                        text, after_text = tok, True
                    continue
                kind = tok.kind
                if kind == _LEAF:
                    t = text.strip()
                    if "\n" in t:  # junk text between elements ran into this value: keep its own line
                        t = t.rsplit("\n", 1)[1].strip()
                    pend[tok.name] = t
                elif kind == _SKIP:
                    pass
                elif kind == _AUTH:
                    if "result" in pend or "domain" in pend or "selector" in pend or "scope" in pend:
                        # <auth_results><dkim><domain>...</dkim>: one signature or SPF check
                        domain = pop("domain", "")
                        selector = pop("selector", "")
                        scope = pop("scope", "")
                        result = pop("result", "")
                        pop("human_result", None)
                        if tok.name == "dkim":
                            dkim.append((domain, selector, result))
                        else:
                            spf.append((domain, scope, result))
                    else:  # <policy_evaluated><dkim>pass</dkim>
                        pend[evaluated[tok.name]] = text.strip()
                elif kind == _RECORD:
                    pend["dkim"] = tuple(dkim) if dkim else None
                    pend["spf"] = tuple(spf) if spf else None
                    pend["reason"] = tuple(reasons) if reasons else None
                    for key, index, append in record_cols:
                        v = get(key) or None
                        c = index.get(v)
                        if c is None:
                            c = index[v] = len(index) - 1
                        append(c)
                    table._rows += 1
                    self.records += 1
                    dkim.clear()
                    spf.clear()
                    reasons.clear()
                    pend.clear()
                elif kind == _META:
                    value = text.strip()
                    if "\n" in value and tok.name not in _FREE_TEXT:
                        value = value.rsplit("\n", 1)[1].strip()
                    if tok.name == "error":
                        if value:
                            self.errors.append(value)
                    elif tok.name in _FREE_TEXT or value:
                        meta[tok.name] = value
                elif kind == _REASON:
                    rtype = pop("type", "")
                    comment = pop("comment", "")
                    if rtype or comment:
                        reasons.append((rtype, comment))
                elif kind == _POLICY_END:
                    if "domain" in pend:
                        meta["domain"] = pop("domain")
                elif kind == _METADATA_END:
                    self.key = self.report_key()
                    if self.key in table.seen and self.identified():
                        tokens.clear()
                        raise _Stop()
                text, after_text = "", False
            carry[0] = text
            tokens.clear()

        return consume


def derive(
    dkim: Sequence[tuple[str, str, str]] | None,
    spf: Sequence[tuple[str, str, str]] | None,
    header_from: str | None,
    envelope_from: str | None,
    adkim: str | None,
    aspf: str | None,
    dkim_evaluated: str | None,
    spf_evaluated: str | None,
) -> tuple[str, str, str, str, str, str, str, bool, bool, str]:
    """What one distinct combination of results means: the signature shown, the alignment, why DMARC failed.

    Returns (dkim_domain, dkim_selector, dkim_result, dkim_signatures, spf_domain,
    spf_scope, spf_result, spf_aligned, dkim_aligned, failure). Computed once per
    distinct combination, not per row (`smtpkit.reports.columns`).

    When a report lists no SPF (or no DKIM) result at all, the receiver's own
    evaluation in ``policy_evaluated`` stands in for the recomputed alignment
    of that method: it is the only evidence there is.
    """
    hfrom = normalize(header_from or "")
    envelope_from = normalize(envelope_from or "")
    dkim_evaluated = (dkim_evaluated or "").strip().lower()
    spf_evaluated = (spf_evaluated or "").strip().lower()
    dmode = "s" if (adkim or "r") == "s" else "r"
    smode = "s" if (aspf or "r") == "s" else "r"
    sigs = [(normalize(d), s.strip(), r.strip().lower()) for d, s, r in dkim or ()]
    best = None
    for d, s, r in sigs:
        if r == "pass" and hfrom and aligned(d, hfrom, dmode):
            best = (d, s, r)
            break
    if best is None:
        best = next((t for t in sigs if t[2] == "pass"), sigs[0] if sigs else ("", "", ""))
    dkim_aligned = bool(best[0]) and best[2] == "pass" and bool(hfrom) and aligned(best[0], hfrom, dmode)
    if not sigs:
        dkim_aligned = dkim_evaluated == "pass"
    shown = "; ".join(f"{d or '?'}{'/' + s if s else ''}={r or '?'}" for d, s, r in sigs)
    spfs = [(normalize(d), sc.strip().lower(), r.strip().lower()) for d, sc, r in spf or ()]
    mfrom = next((t for t in spfs if t[1] in ("", "mfrom")), spfs[0] if spfs else None)
    if mfrom is None:
        spf_domain, spf_scope, spf_result = (envelope_from or ""), "", ""
        spf_aligned = spf_evaluated == "pass"
    else:
        spf_domain, spf_scope, spf_result = mfrom
        spf_domain = spf_domain or (envelope_from or "")
        spf_aligned = spf_result == "pass" and bool(hfrom) and aligned(spf_domain, hfrom, smode)
    failure = ""
    if not (spf_aligned or dkim_aligned):
        failure = "; ".join(_why(sigs, spf_domain, spf_result, mfrom is not None, hfrom, dmode, smode))
    return (
        best[0],
        best[1],
        best[2],
        shown,
        spf_domain,
        spf_scope,
        spf_result,
        spf_aligned,
        dkim_aligned,
        failure,
    )


def _why(
    sigs: list[tuple[str, str, str]],
    spf_domain: str,
    spf_result: str,
    spf_known: bool,
    hfrom: str,
    dmode: str,
    smode: str,
) -> list[str]:
    """Short reasons a record failed DMARC (the words of the `failure` column, see docs/reports.md)."""
    out: list[str] = []
    if not sigs:
        out.append("no_dkim")
    else:
        passing = [d for d, _s, r in sigs if r == "pass"]
        own = [d for d, _s, _r in sigs if d and hfrom and aligned(d, hfrom, "r")]
        if passing and not any(aligned(d, hfrom, dmode) for d in passing):
            out.append("dkim_not_aligned")
        if own and not any(r == "pass" for d, _s, r in sigs if d in own):
            out.append("dkim_fail")  # your own signature broke: a wrong key, or the message was changed
    if spf_known or spf_domain:
        if spf_domain and hfrom and aligned(spf_domain, hfrom, "r") and spf_result != "pass":
            out.append("spf_fail")
        elif spf_result == "pass" and not aligned(spf_domain, hfrom, smode):
            out.append("spf_not_aligned")
        elif spf_result != "pass":
            out.append("spf_fail")
    else:
        out.append("no_spf")
    return list(dict.fromkeys(out))


def org_domains(domains: Sequence[str]) -> list[str]:
    """The organizational domain of each (cached by `smtpkit.dmarc.alignment`)."""
    return [org_domain(d) if d else "" for d in domains]
