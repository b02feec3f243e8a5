"""The event loop every long-running command runs on: uvloop's where it is installed (Linux and
macOS; a dependency there), asyncio's own elsewhere.

uvloop's loop does the same work with less CPU: ~0.15 ms less per Bot API call, and a step of a
conversation awaits a dozen things (docs/BENCHMARKS.md, section 1). The tests run on the same
loop (tests/conftest.py, tests/e2e/harness.py).
"""

from __future__ import annotations

import asyncio
import gc
import signal
from collections.abc import Callable, Coroutine
from types import ModuleType
from typing import Any, TypeVar

T = TypeVar("T")

uvloop: ModuleType | None
try:
    import uvloop
except ImportError:  # pragma: no cover - Windows, or an install without it
    uvloop = None


def factory() -> Callable[[], asyncio.AbstractEventLoop]:
    """What makes a new loop: uvloop's if it is there."""
    return uvloop.new_event_loop if uvloop is not None else asyncio.new_event_loop


def new_event_loop() -> asyncio.AbstractEventLoop:
    return factory()()


# Seconds after the start when what is loaded by then (the code, the application, the first
# connections) is set apart from the garbage collector's work (gc.freeze): it stays for the
# process's life, and each full collection no longer walks it (~2 % of a step's CPU). Not at
# the start itself: the collection before it takes ~50 ms.
FREEZE_AFTER = 10.0


def run(main: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(main)` on that loop."""
    with asyncio.Runner(loop_factory=factory()) as runner:
        return runner.run(_frozen_later(main))


async def _frozen_later(main: Coroutine[Any, Any, T]) -> T:
    asyncio.get_running_loop().call_later(FREEZE_AFTER, _freeze)
    return await main


def _freeze() -> None:
    gc.collect()
    gc.freeze()


def stop_requested() -> asyncio.Event:
    """An event set on SIGINT/SIGTERM (call it in the running loop): when to stop serving."""
    stop = asyncio.Event()
    running = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        running.add_signal_handler(sig, stop.set)
    return stop
