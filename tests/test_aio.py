"""The asyncio bridges' promises that the audit and DKIM discovery rely on."""

from __future__ import annotations

import asyncio

import pytest

from smtpkit.aio import wait_owned


def test_wait_owned_cancelled_cancels_what_it_waits_for() -> None:
    """Unlike `asyncio.wait`, whose tasks run on when the waiter is cancelled (a stopped domain's lookups kept
    asking the resolver)."""

    async def scenario(wait: object) -> tuple[bool, bool]:
        slow = asyncio.ensure_future(asyncio.sleep(30))
        quick = asyncio.ensure_future(asyncio.sleep(0))
        waiter = asyncio.ensure_future(wait([slow, quick], timeout=60))  # type: ignore[operator]
        await asyncio.sleep(0.05)
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
        await asyncio.sleep(0)
        result = slow.cancelled(), quick.done() and not quick.cancelled()
        slow.cancel()
        return result

    assert asyncio.run(scenario(wait_owned)) == (True, True)
    assert asyncio.run(scenario(asyncio.wait)) == (False, True)  # what it is for: asyncio.wait leaves it running


def test_wait_owned_returns_what_asyncio_wait_returns() -> None:
    async def scenario() -> tuple[int, int]:
        slow = asyncio.ensure_future(asyncio.sleep(30))
        quick = asyncio.ensure_future(asyncio.sleep(0))
        done, pending = await wait_owned([slow, quick], timeout=0.05)
        slow.cancel()
        return len(done), len(pending)

    assert asyncio.run(scenario()) == (1, 1)
