"""The garbage collector's young-generation threshold, raised while an audit runs.

Why: an audit allocates some 250 container objects a domain (DNS messages, answers, findings, tasks) and
holds hundreds of thousands more for the run (the shared DNS cache, the rows of chunks not yet written).
CPython starts a young collection every 700 net allocations, promotes survivors, and every so often walks
the whole heap. Measured on 3,000 domains of the lab's portfolio: 1,101 young, 101 middle and 10 full
collections, 5.3 s of 28 s of CPU, a fifth of the audit's cost, the full ones alone 3.8 s. With a young
threshold of 10,000: 67, 7 and 1 collections, 0.9 s. Reference cycles are still collected, in batches of
10,000 allocations instead of 700, so memory stays bounded (benchmarks/audit_memory.py measures it).

The threshold is process-wide, so it is raised only while at least one audit runs in the process (audits on
several threads, or a Dask worker's streams, share one raise) and put back when the last one ends, unless
the program changed it meanwhile: then its own setting stays. A threshold already higher, or 0 (automatic
collection off), is left as it is.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["YOUNG", "fewer_collections"]

YOUNG = 10_000  # net allocations between two young collections while an audit runs (CPython's default: 700)

_lock = threading.Lock()
_holders = 0
_saved: tuple[int, int, int] | None = None  # the threshold before the first running audit raised it
_ours: tuple[int, int, int] | None = None  # the threshold it set


@contextmanager
def fewer_collections(young: int = YOUNG) -> Iterator[None]:
    """Within this block (and any other audit's overlapping it), young collections every `young` allocations."""
    global _holders, _saved, _ours
    with _lock:
        if _holders == 0:
            first, middle, old = _saved = gc.get_threshold()
            _ours = (young, middle, old) if 0 < first < young else None
            if _ours is not None:
                gc.set_threshold(*_ours)
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0:
                if _ours is not None and _saved is not None and gc.get_threshold() == _ours:
                    gc.set_threshold(*_saved)
                _saved = _ours = None
