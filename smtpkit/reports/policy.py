"""What a stricter DMARC policy would have done to the mail in the reports, and the next safe step.

The question before moving from ``p=none`` to ``p=quarantine`` or ``p=reject``
is never "does DMARC pass?" but "whose real mail would I lose?". The reports
answer it: every message that failed DMARC would have been quarantined or
rejected under the stricter policy (``pct`` applies it to that share of them;
receivers pick which), and each failing message belongs to a sender whose
category (`smtpkit.reports.senders`) says whether it is legitimate mail that
needs fixing, forwarded mail that is expected to fail, or an unknown (probably
spoofing) source that the policy is meant to stop.

The path is ``none -> quarantine -> reject``. A step is safe when, over at
least two weeks of reports from at least two receivers, legitimate senders
lose (almost) nothing: under 0.1% of their mail.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from smtpkit.render.plural import counted

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["SIMULATION_COLUMNS", "Recommendation", "current_policy", "recommend", "simulate"]

SIMULATION_COLUMNS = (
    "policy",
    "messages",
    "failing",
    "affected",
    "legitimate_lost",
    "forwarded_lost",
    "unknown_stopped",
    "legitimate_senders",
    "effect",
)
SAFE_SHARE = 0.001
MIN_DAYS = 14
MIN_REPORTERS = 2
_LEGITIMATE = ("passing", "legitimate")


def _categories(records: pd.DataFrame, senders: pd.DataFrame, sources: pd.DataFrame) -> pd.Series:
    """The sender category of every record (through its source IP)."""
    ip_sender = dict(zip(sources["source_ip"], sources["sender"]))
    sender_cat = dict(zip(senders["sender"], senders["category"]))
    return records["source_ip"].astype(object).map(lambda ip: sender_cat.get(ip_sender.get(ip), "unknown"))


def window(records: pd.DataFrame, days: int | None) -> pd.DataFrame:
    """The records of the last `days` days of the period the reports cover (all of them for None)."""
    import pandas as pd

    if days is None or records.empty:
        return records
    latest = records["end"].max()
    if pd.isna(latest):
        return records
    return records[records["end"] >= latest - pd.Timedelta(days=days)]


def current_policy(records: pd.DataFrame) -> tuple[str, int]:
    """(p, pct) of the most recent report (``none``, 100 when no report says)."""
    import pandas as pd

    if records.empty:
        return "none", 100
    latest = records.sort_values("end", kind="stable").iloc[-1]
    p = str(latest["p"]) if isinstance(latest["p"], str) and latest["p"] else "none"
    pct = int(latest["pct"]) if not pd.isna(latest["pct"]) else 100
    return p, pct


def simulate(
    records: pd.DataFrame,
    senders: pd.DataFrame,
    sources: pd.DataFrame,
    *,
    policies: tuple[tuple[str, int], ...] = (("quarantine", 25), ("quarantine", 100), ("reject", 100)),
    days: int | None = None,
) -> pd.DataFrame:
    """One row per policy: the messages it would have quarantined or rejected, split by sender category.

    The first row is the policy the most recent report published, as it is
    (``p=none`` affects nothing). Counts are messages (the reports' ``count``);
    with ``pct`` below 100 they are the expected share.
    """
    import pandas as pd

    recs = window(records, days)
    if recs.empty:
        return pd.DataFrame(columns=list(SIMULATION_COLUMNS))
    category = _categories(recs, senders, sources)
    failing = ~recs["dmarc_pass"]
    w = recs["count"]
    ip_sender = dict(zip(sources["source_ip"], sources["sender"]))
    legit_fail = recs[failing & category.isin(_LEGITIMATE)]
    legit_names = sorted({ip_sender.get(str(ip), "?") for ip in legit_fail["source_ip"].astype(object)})
    total = int(w.sum())
    fail_total = int(w[failing].sum())
    by_cat = {c: int(w[failing & (category == c)].sum()) for c in ("passing", "legitimate", "forwarder", "unknown")}
    p, pct = current_policy(recs)
    rows: list[dict[str, Any]] = []
    for policy, share in ((p, pct), *policies):
        fraction = 0.0 if policy == "none" else share / 100.0
        label = f"p={policy}" + (f"; pct={share}" if share != 100 else "")
        rows.append(
            {
                "policy": label + (" (published now)" if (policy, share) == (p, pct) and not rows else ""),
                "messages": total,
                "failing": fail_total,
                "affected": round(fail_total * fraction),
                "legitimate_lost": round((by_cat["passing"] + by_cat["legitimate"]) * fraction),
                "forwarded_lost": round(by_cat["forwarder"] * fraction),
                "unknown_stopped": round(by_cat["unknown"] * fraction),
                "legitimate_senders": ", ".join(legit_names) if fraction else "",
                "effect": {"none": "delivered as usual", "quarantine": "moved to spam", "reject": "refused"}.get(
                    policy, "?"
                ),
            }
        )
    return pd.DataFrame(rows, columns=list(SIMULATION_COLUMNS))


@dataclass(frozen=True)
class Recommendation:
    """The next step on the none -> quarantine -> reject path and whether it is safe now."""

    domain: str
    current: str
    next: str
    safe: bool
    legitimate_messages: int
    legitimate_failing: int
    failing_senders: tuple[str, ...]
    days: int
    reporters: int
    text: str

    @property
    def legitimate_share(self) -> float:
        return self.legitimate_failing / self.legitimate_messages if self.legitimate_messages else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "domain": self.domain,
            "current": self.current,
            "next": self.next,
            "safe": self.safe,
            "legitimate_messages": self.legitimate_messages,
            "legitimate_failing": self.legitimate_failing,
            "failing_senders": list(self.failing_senders),
            "days": self.days,
            "reporters": self.reporters,
            "text": self.text,
        }


def recommend(records: pd.DataFrame, senders: pd.DataFrame, sources: pd.DataFrame, domain: str = "") -> Recommendation:
    """The next policy for `domain` (the records' own domain when empty) and whether the reports say it is safe."""
    p, pct = current_policy(records)
    if records.empty:
        return Recommendation(domain, "p=none", "p=none", False, 0, 0, (), 0, 0, "no aggregate reports were read")
    category = _categories(records, senders, sources)
    w = records["count"]
    legit = category.isin(_LEGITIMATE)
    legit_total = int(w[legit].sum())
    legit_failing = int(w[legit & ~records["dmarc_pass"]].sum())
    ip_sender = dict(zip(sources["source_ip"], sources["sender"]))
    names = tuple(
        sorted(
            {ip_sender.get(str(ip), "?") for ip in records[legit & ~records["dmarc_pass"]]["source_ip"].astype(object)}
        )
    )
    span = records["end"].max() - records["begin"].min()
    days = max(0, int(round(span.total_seconds() / 86400))) if span == span else 0
    reporters = int(records["org_name"].nunique())
    current = f"p={p}" + (f"; pct={pct}" if pct != 100 else "")
    if p == "reject" and pct == 100:
        nxt = current
    elif p == "quarantine" and pct < 100:
        nxt = "p=quarantine (pct=100)"
    elif p == "quarantine":
        nxt = "p=reject"
    elif p == "reject":
        nxt = "p=reject (pct=100)"
    else:
        nxt = "p=quarantine"
    share = legit_failing / legit_total if legit_total else 0.0
    enough = days >= MIN_DAYS and reporters >= MIN_REPORTERS
    safe = share <= SAFE_SHARE and enough
    where = domain or "this domain"
    if nxt == current:
        text = (
            f"{where} already rejects mail that fails DMARC. Keep reading the reports: a new service that sends "
            "as your domain will show up here as failing before its mail is lost for long."
        )
    elif safe:
        text = (
            f"Over {days} days and {reporters} reporters, legitimate senders lost {legit_failing} of {legit_total} "
            f"messages ({share:.2%}). It is safe to move {where} from {current} to {nxt}"
            + (" (start with pct=25 for a week, then pct=100)" if nxt == "p=quarantine" else "")
            + "; after two more weeks without new failing senders, take the next step."
        )
    elif not enough:
        text = (
            f"The reports cover {counted(days, 'day')} from {counted(reporters, 'reporter')}; wait for at least"
            f" {MIN_DAYS} days from "
            f"{MIN_REPORTERS} or more reporters before moving {where} from {current} to {nxt}"
            + (f", and first fix: {', '.join(names)}" if names else "")
            + "."
        )
    else:
        text = (
            f"Not yet: under {nxt}, legitimate senders would lose {legit_failing} of {legit_total} messages "
            f"({share:.2%}). Fix these senders first: {', '.join(names)}; then move {where} from {current} to {nxt}."
        )
    return Recommendation(domain, current, nxt, safe, legit_total, legit_failing, names, days, reporters, text)
