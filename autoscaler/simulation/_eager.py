"""Eager task execution for replays (a backport of Python 3.12's ``asyncio.eager_task_factory``).

What: the controller's tick fans out with ``asyncio.gather`` (group, instances,
activities, metrics). Against the in-process emulator none of those coroutines ever
waits, yet on Python 3.11 each becomes a Task that costs several trips through the
event loop; over 43,200 ticks that is most of a replay's time.

:func:`eager_task_factory` runs a new task's coroutine at once, in the caller's
context, up to its first real suspension: a coroutine that finishes without
suspending becomes an already-done future (no scheduling at all); one that suspends
is handed to a normal :class:`asyncio.Task` that resumes it from where it stopped.
The results, exceptions and their order are those of ordinary tasks; only the
number of event-loop iterations changes (the replay's equivalence test runs both).

Install with ``loop.set_task_factory(eager_task_factory)``; :func:`eager_loop` does it
for the running loop and restores the previous factory.
"""

from __future__ import annotations

import asyncio
import contextlib
import types
from collections.abc import Coroutine, Generator, Iterator
from typing import Any

__all__ = ["eager_loop", "eager_task_factory"]


@types.coroutine
def _resume(coro: Coroutine[Any, Any, Any], first: Any) -> Generator[Any, Any, Any]:
    """Give ``first`` (what ``coro`` yielded) to the task, then keep delegating to ``coro``."""
    try:
        yield first
    except BaseException as exc:  # the task threw (cancellation): deliver it to the coroutine
        try:
            following = coro.throw(exc)
        except StopIteration as stop:
            return stop.value
        return (yield from _resume(coro, following))
    return (yield from coro.__await__())


def eager_task_factory(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> asyncio.Future[Any]:
    """A task factory that runs ``coro`` eagerly until it first suspends (see the module doc)."""
    try:
        first = coro.send(None)
    except StopIteration as stop:
        done: asyncio.Future[Any] = loop.create_future()
        done.set_result(stop.value)
        return done
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:
        failed: asyncio.Future[Any] = loop.create_future()
        if isinstance(exc, asyncio.CancelledError):
            failed.cancel()
        else:
            failed.set_exception(exc)
        return failed
    return asyncio.Task(_wrap(coro, first), loop=loop, **kwargs)


async def _wrap(coro: Coroutine[Any, Any, Any], first: Any) -> Any:
    return await _resume(coro, first)


@contextlib.contextmanager
def eager_loop() -> Iterator[None]:
    """Use :func:`eager_task_factory` on the running loop inside the block."""
    loop = asyncio.get_running_loop()
    previous = loop.get_task_factory()
    loop.set_task_factory(eager_task_factory)
    try:
        yield
    finally:
        loop.set_task_factory(previous)
