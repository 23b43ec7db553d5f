"""The lab DNS server's memory of answers to the generated portfolio's questions.

Why: an audit of the lab's portfolio (`smtpkit lab --audit-zones N`) asks the
same dozen questions of thousands of domains that are copies of some thirty
templates, and the benchmarks measure the audit on the cores it shares with
the lab. Building each answer anew (the copy's zone, the lookup, dnspython's
rendering) cost the lab 3-4 ms of CPU per audited domain, a third of what the
audit itself spent: the benchmark measured the lab's CPU as much as the
runner's. A real resolver sits on another machine and costs the audit nothing.

The memo works on bytes. A copy's name, ``dmarc-none--p000042.test``, has the
same length as its template's reference copy ``dmarc-none--p000000.test``, so
the answer to a question about copy 42 is the reference copy's answer with the
label swapped back: same compression offsets, same lengths, same truncation.
The key is the query as sent (without its ID, with the label swapped to the
reference's), so EDNS sizes, flags and transport each have their own entry.

Never trusted blindly: on a miss the server answers the question in full for
the copy asked *and* for the reference copy, and remembers the answer only if
the two are the same bytes but for the swapped label (a question left
unanswered on purpose, a dead copy's, is remembered as unanswered). Anything
else (a signed answer, a TXT string split inside the name) is marked "not
memorable" and always answered in full. Questions about copies are answered
with the records of an RRset in zone order (the `answer` callable's
``shuffle=False``), not shuffled as the lab's own zones' are: a remembered
answer could not be shuffled, and the first answer must not differ from the
next ones. The memo holds at most `size` entries and starts again when full,
so a client inventing questions cannot grow it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from typing import Protocol

__all__ = ["AnswerMemo", "Outcome", "question_labels"]


@dataclass
class Outcome:
    """One answer of the lab DNS server, and what its query log says about it (wire None: send nothing)."""

    wire: bytes | None
    name: str = ""
    rdtype: str = ""
    rcode: str = "ignored"
    answers: int = 0
    truncated: bool = False


class Swappable(Protocol):
    """What the memo needs of a zone set: which label of a name may be swapped for a reference label."""

    def swap_label(self, labels: list[bytes]) -> tuple[bytes, bytes] | None: ...


class Answer(Protocol):
    """The server's full answer to one message, its RRsets' records shuffled or in zone order."""

    def __call__(self, wire: bytes, transport: str, shuffle: bool) -> Outcome: ...


_NOT_MEMORABLE = Outcome(None, rcode="not memorable")  # a marker: compared by identity


def _swapped(outcome: Outcome, old: bytes, new: bytes, *, head: bytes = b"") -> Outcome:
    """`outcome` with one copy's label in place of another's, in its bytes and its logged name (`head`: the
    query ID in front of a remembered answer, which is kept without its own)."""
    wire = None if outcome.wire is None else head + outcome.wire.replace(old, new)
    name = outcome.name.replace(old.decode("ascii"), new.decode("ascii"))
    return Outcome(wire, name, outcome.rdtype, outcome.rcode, outcome.answers, outcome.truncated)


def question_labels(wire: bytes) -> list[bytes] | None:
    """The labels of a message's first question name, read from the wire (None: no question, or a
    compression pointer or a cut-short name)."""
    if len(wire) < 12 or wire[4:6] == b"\x00\x00":
        return None
    labels: list[bytes] = []
    pos = 12
    try:
        while True:
            size = wire[pos]
            if size == 0:
                return labels
            if size > 63:
                return None
            labels.append(wire[pos + 1 : pos + 1 + size])
            pos += 1 + size
    except IndexError:
        return None


class AnswerMemo:
    """Remembered answers of one zone set (and signer): see the module docstring.

    `answer(wire, transport)` is the server's full answer; `zoneset` says which
    label of a question is a generated copy's.
    """

    def __init__(
        self,
        zoneset: Swappable,
        answer: Answer,
        *,
        size: int = 20_000,
    ) -> None:
        self.zoneset = zoneset
        self._answer = answer
        self.size = size
        self._memo: dict[tuple[str, bytes], Outcome] = {}
        self._lock = threading.Lock()
        self.hits = 0  # answers served from memory (for tests and the benchmarks)

    def __len__(self) -> int:
        return len(self._memo)

    def respond(self, wire: bytes, transport: str) -> Outcome:
        """The answer to one message: from memory when a copy's question was answered before, else in full."""
        labels = question_labels(wire)
        swap = self.zoneset.swap_label(labels) if labels else None
        if swap is None:
            return self._answer(wire, transport, True)
        label, reference = swap
        if reference in wire:
            return self._answer(wire, transport, False)  # the key would be ambiguous: never remembered
        key = (transport, wire[2:].replace(label, reference))
        known = self._memo.get(key)
        if known is None:
            return self._learn(wire, transport, key, label, reference)
        if known is _NOT_MEMORABLE:
            return self._answer(wire, transport, False)
        self.hits += 1
        return _swapped(known, reference, label, head=wire[:2])

    def _learn(self, wire: bytes, transport: str, key: tuple[str, bytes], label: bytes, reference: bytes) -> Outcome:
        """Answer in full, and remember the answer if the reference copy's is the same but for the label."""
        asked = self._answer(wire, transport, False)
        theirs = self._answer(wire[:2] + key[1], transport, False)
        ours = _swapped(asked, label, reference)
        if theirs != ours or (theirs.wire is None and not theirs.name):
            self._remember(key, _NOT_MEMORABLE)  # different, or a message ignored (nothing to log either)
            return asked
        self._remember(key, replace(theirs, wire=None if theirs.wire is None else theirs.wire[2:]))
        return asked

    def _remember(self, key: tuple[str, bytes], outcome: Outcome) -> None:
        with self._lock:
            if len(self._memo) >= self.size:
                self._memo.clear()  # bounded: start again rather than grow
            self._memo[key] = outcome
