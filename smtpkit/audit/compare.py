"""Two audit runs side by side: which domains got better, which got worse, and by which findings.

Re-running an audit next week is only useful if the difference is readable:
"12 domains got worse: 9 lost their DKIM key, 3 dropped to p=none". A domain
is compared on its grade first, then its counts of failing and warning
findings, then the finding codes themselves. A domain that could not be
checked in one of the runs is neither better nor worse: nothing is known about
it there, and the change says so.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from smtpkit.audit.row import CHECKED, COULD_NOT_CHECK

if TYPE_CHECKING:
    import pandas as pd

WORSE = "worse"
BETTER = "better"
CHANGED = "changed"  # findings came and went, neither side clearly ahead
SAME = "same"
NEW = "new"
GONE = "gone"
UNKNOWN_NOW = "could not check now"
KNOWN_NOW = "checked now"
ORDER = (WORSE, BETTER, CHANGED, UNKNOWN_NOW, KNOWN_NOW, NEW, GONE, SAME)
_GRADES = {g: i for i, g in enumerate("ABCDF")}

COLUMNS = (
    "domain",
    "change",
    "old_grade",
    "new_grade",
    "old_status",
    "new_status",
    "fixed",
    "appeared",
    "old_codes",
    "new_codes",
)


def _frame(value: Any) -> pd.DataFrame:
    if isinstance(value, (str, os.PathLike)):
        from smtpkit.audit.store import read_results

        return read_results(value)
    return value


def _multiset_diff(a: list[str], b: list[str]) -> list[str]:
    left = list(b)
    out = []
    for code in a:
        if code in left:
            left.remove(code)
        else:
            out.append(code)
    return out


def change_of(old: dict[str, Any] | None, new: dict[str, Any] | None) -> str:
    """The change of one domain between two rows (None: not in that run)."""
    if old is None:
        return NEW
    if new is None:
        return GONE
    if old["status"] != CHECKED or new["status"] != CHECKED:
        if old["status"] == new["status"]:
            return SAME
        if new["status"] == COULD_NOT_CHECK:
            return UNKNOWN_NOW
        if old["status"] == COULD_NOT_CHECK and new["status"] == CHECKED:
            return KNOWN_NOW
        return CHANGED
    before = (_GRADES.get(str(old["grade"]), 5), int(old["n_fail"] or 0), int(old["n_warn"] or 0))
    after = (_GRADES.get(str(new["grade"]), 5), int(new["n_fail"] or 0), int(new["n_warn"] or 0))
    if after > before:
        return WORSE
    if after < before:
        return BETTER
    fixed = _multiset_diff(list(old["codes"]), list(new["codes"]))
    appeared = _multiset_diff(list(new["codes"]), list(old["codes"]))
    if fixed and appeared:
        return CHANGED
    return SAME if not (fixed or appeared) else (BETTER if fixed else WORSE)


def compare(old: Any, new: Any) -> pd.DataFrame:
    """One row per domain of either run: the change, the grades, the codes fixed and appeared.

    `old` and `new` are audit DataFrames or paths of results (``--out``).
    Rows are ordered worse first, then better, then the rest; domains that
    were invalid names in both runs are left out.
    """
    import pandas as pd

    a, b = _frame(old), _frame(new)
    a = a[a["status"] != "invalid"]
    b = b[b["status"] != "invalid"]
    olds = {r["domain"]: r for r in a.to_dict("records")}
    news = {r["domain"]: r for r in b.to_dict("records")}
    rows = []
    for domain in list(olds) + [d for d in news if d not in olds]:
        o, n = olds.get(domain), news.get(domain)
        rows.append(
            {
                "domain": domain,
                "change": change_of(o, n),
                "old_grade": o["grade"] if o else None,
                "new_grade": n["grade"] if n else None,
                "old_status": o["status"] if o else None,
                "new_status": n["status"] if n else None,
                "fixed": _multiset_diff(list(o["codes"]), list(n["codes"])) if o and n else [],
                "appeared": _multiset_diff(list(n["codes"]), list(o["codes"])) if o and n else [],
                "old_codes": list(o["codes"]) if o else [],
                "new_codes": list(n["codes"]) if n else [],
            }
        )
    df = pd.DataFrame(rows, columns=list(COLUMNS))
    for name in ("domain", "change", "old_grade", "new_grade", "old_status", "new_status"):
        df[name] = df[name].astype("string")
    rank = {c: i for i, c in enumerate(ORDER)}
    df["_rank"] = [rank[c] for c in df["change"]]
    df = df.sort_values(["_rank", "domain"], kind="stable").drop(columns="_rank").reset_index(drop=True)
    return df


def summary(diff: pd.DataFrame) -> dict[str, int]:
    """How many domains changed which way, in the order of `ORDER`."""
    counts = diff["change"].value_counts()
    return {c: int(counts[c]) for c in ORDER if c in counts}
