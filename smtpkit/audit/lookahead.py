"""Domains read ahead of their turn, so a dead domain is known dead before it takes a slot.

Why. A domain whose nameservers never answer takes two timeouts of its first
questions (4 s with the defaults) before it counts as dead (`DomainResolver`).
Asked only when its turn comes, the dead domains among the last to enter kept
every run going for those 4 s after the last live domain was done, with the
cores idle: a sixth of a 25 s parallel run, which put the process pool at
1.36 x the in-process runner where the machine allowed 1.6 x.

So the stream reads its domains a few seconds' worth ahead of their turn and
runs each one's first steps at once: the MX and SPF steps, which ask its first
questions (its MX, and the TXT at its name where SPF lives) and follow its SPF
includes, since an include that never answers is as slow as a dead domain
(1.9 % of the lab's portfolio, and every one of a run's last rows once only
dead domains were read ahead). They are the domain check's own steps
(`checks.domain.first_steps`), asking through the domain's own
`DomainResolver`; when its turn comes the plan takes their Steps and runs the
rest, DKIM then DMARC. The same questions, the same answers, the same findings
and `dns_queries` (a test compares every lab zone with `check_domain`); a dead
domain's questions have meanwhile timed out, and its check ends at once with
the findings it would have had 4 s later.

How far ahead: the domains the stream admitted in the last `lifetime`
seconds (the longest a question may take), twice that (`MARGIN`), plus
`concurrency`, at most `AHEAD_MOST`; the steps of at most `SCOUTS` x
`concurrency` of them under way at once, in turn, and only while the
resolver has a place free, so at most five times `concurrency` domains have
their clock running (each domain's
time and deadline run while its steps do, not while it waits for its turn with
them done), and a run that `query_limit` holds back asks ahead only what its
places allow. Started without those bounds, such a run gave the places to a
thousand domains at once and some ran out of their deadline waiting for one.

Why twice, and four times `concurrency` (it was a quarter more, and twice):
a dead domain read ahead holds its place among the steps under way for its 4
s, so with two per slot the steps ahead could not get ahead of the checks (a
Dask worker's stream read 800 domains ahead where it wanted 1,200), and the
last domains of a run, read a second or two before their turn, left the cores
idle for the 2 s their dead ones still took. With both raised, a run's dead
domains are known by the time its last live one is checked: the 2-process
runners' ratio to the in-process one went from 1.47 x (pool and Dask) to 1.61
x and 1.65 x (`benchmarks/audit_throughput.py --query-limit 200`, 5 December
2026; docs/audit.md).

The questions asked ahead go through the run's resolver like all others (its cache, its `query_limit`), so
reading ahead asks nothing more, and nothing more at once than the limit
allows; it asks the slow questions early.
"""

from __future__ import annotations

import asyncio
import collections
import datetime
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING

from smtpkit.aio import spawn
from smtpkit.audit.cache import DomainResolver, SharedResolver
from smtpkit.checks.domain import first_steps
from smtpkit.settings import validate_domain

if TYPE_CHECKING:
    from smtpkit.model import Step
    from smtpkit.settings.audit import AuditConfig
    from smtpkit.settings.domain import DomainQuery

#: The most domains a stream reads ahead of their turn (about 13 s of a pool process's rate at 150 domains/s).
AHEAD_MOST = 2000
#: Domains whose first steps may be under way at once ahead of their turn, per slot (`concurrency`): more than
#: the slots, so that the steps ahead outpace the checks and get ahead of them.
SCOUTS = 4
#: How much further ahead than the domains admitted within one `lifetime` (the rate changes as a run goes, and
#: the last domains must be read ahead by more than a dead domain's 4 s before their turn: see the docstring).
MARGIN = 2.0


class Scout:
    """One domain read ahead: its name checked, its resolver made, and (once `start`ed) its first steps (MX, SPF)
    under way.

    The domain's clock (its `seconds`, its deadline) runs from the moment its steps start, and stops while it
    waits for its turn with them done: `lead` is what it has used of it when its turn comes.
    """

    def __init__(self, position: int, text: str, config: AuditConfig, shared: SharedResolver) -> None:
        self.position, self.text = position, text
        self.started = datetime.datetime.now(datetime.UTC)
        self.t0 = time.monotonic()
        self.done_at: float | None = self.t0
        self.domain: str | None = None
        self.error = ""
        self.view: DomainResolver | None = None
        self.query: DomainQuery | None = None
        self.steps: dict[str, asyncio.Task[Step]] = {}  # the first steps once started, by the plan's job name
        self._deadline = config.deadline
        self._then: Callable[[], None] | None = None
        try:
            self.domain = validate_domain(text)
        except ValueError as exc:
            self.error = str(exc)
            return
        self.view = DomainResolver(shared, self.domain, self.t0 + config.deadline, budget=config.deadline)
        self.query = config.domain_query(self.domain)

    def start(self, then: Callable[[], None] | None = None) -> bool:
        """Start the first steps (False: an invalid name, nothing to ask); `then` is called when they are done."""
        if self.query is None or self.view is None or self.steps:
            return False
        self.started = datetime.datetime.now(datetime.UTC)
        self.t0 = time.monotonic()
        self.view.deadline = self.t0 + self._deadline
        self.done_at, self._then = None, then
        for name, step in first_steps(self.query, self.view).items():
            task = self.steps[name] = asyncio.ensure_future(spawn(step))
            task.add_done_callback(self._step_done)
        return True

    def _step_done(self, task: asyncio.Task[Step]) -> None:
        if not task.cancelled():
            task.exception()  # retrieved here; the check reads it (a bug of ours: the row says so)
        if self.done_at is None and all(t.done() for t in self.steps.values()):
            self.done_at = time.monotonic()
            then, self._then = self._then, None
            if then is not None:
                then()

    def lead(self, admitted: float) -> float:
        """Seconds of the domain's clock its steps used before its turn came at `admitted`."""
        done = self.done_at if self.done_at is not None else admitted
        return max(0.0, min(done, admitted) - self.t0)

    def cancel(self) -> list[asyncio.Task[Step]]:
        """Stop the steps still under way (the run ends early, or the domain's deadline passed); those tasks."""
        pending = [task for task in self.steps.values() if not task.done()]
        for task in pending:
            task.cancel()
        return pending


class Lookahead:
    """The items of a stream, each handed out as a `Scout` read ahead of its turn (see the module docstring)."""

    def __init__(self, items: Iterable[tuple[int, str]], config: AuditConfig, shared: SharedResolver) -> None:
        self._source: Iterator[tuple[int, str]] = iter(items)
        self._config, self._shared = config, shared
        self._most = AHEAD_MOST
        self._ahead: collections.deque[Scout] = collections.deque()
        self._admitted: collections.deque[float] = collections.deque()  # when recent domains took their turn
        self._horizon = shared.lifetime
        self._exhausted = False
        self._closed = False
        self._scouting = 0  # domains whose steps are under way, read ahead or already checked

    def __len__(self) -> int:
        return len(self._ahead)

    def feed(self) -> None:
        """The source has items again (a Dask worker's stream, handed a piece after it ran dry): read on."""
        if not self._closed:
            self._exhausted = False
            self._fill()

    def take(self) -> Scout | None:
        """The next domain for a slot (read ahead if it could be), or None when there are no more."""
        self._fill()
        # with nothing read ahead (AHEAD_MOST = 0, or no place free) the domain is read now, its steps run by its check
        scout = self._ahead.popleft() if self._ahead else self._read()
        if scout is None:
            return None
        self._admitted.append(time.monotonic())
        self._fill()
        return scout

    def _size(self) -> int:
        now = time.monotonic()
        while self._admitted and self._admitted[0] < now - self._horizon:
            self._admitted.popleft()
        return min(self._most, self._config.concurrency + int(MARGIN * len(self._admitted)))

    def _fill(self) -> None:
        """Read ahead and start the steps of what is read, in turn, while fewer than `SCOUTS` x `concurrency` are
        under way and the resolver has a place free (a run the limit holds back gains nothing from asking ahead,
        and a pool's process must not take more of the pool's queue than it can start on)."""
        size = self._size()
        while (
            len(self._ahead) < size
            and not self._exhausted
            and self._scouting < SCOUTS * self._config.concurrency
            and not self._shared.full()
        ):
            scout = self._read()
            if scout is None:
                break
            if scout.start(self._scouted):
                self._scouting += 1
            self._ahead.append(scout)

    def _read(self) -> Scout | None:
        """The source's next domain, not yet started; None once it has no more (until `feed`)."""
        item = None if self._exhausted else next(self._source, None)
        if item is None:
            self._exhausted = True
            return None
        return Scout(item[0], item[1], self._config, self._shared)

    def _scouted(self) -> None:
        self._scouting -= 1
        self._fill()

    async def close(self) -> None:
        """Stop the questions of the domains read ahead and not checked (a run stopped early)."""
        tasks = [task for scout in self._ahead for task in scout.cancel()]
        self._ahead.clear()
        self._exhausted = self._closed = True  # read nothing more (a scout's end would read ahead again)
        if tasks:
            await asyncio.wait(tasks)
