"""A function over many items -> its results in order, spread over forked workers when that pays.

Pure from the caller's point of view: the result is `[function(x) for x in
items]` whichever way it is computed, so no stage's output depends on the
number of cores. Shared by the normalizer and the renderer.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

PARALLEL_MIN = 100
"""Fewer items than this are done in this process: starting workers costs more than it saves."""

# The running map's function, items, chunk bounds and shared [next chunk from the front,
# one past the last chunk not yet taken from the back]: forked workers inherit it, so only
# chunk numbers and results cross process boundaries (nothing is pickled on the way in,
# and the function may be a closure).
_SHARED: tuple[Callable[[Any], Any], Sequence[Any], list[tuple[int, int]], Any] | None = None


def _take_front(_: int) -> tuple[int, list[Any]] | None:
    """In a worker: the next chunk from the front, done; None when none is left."""
    assert _SHARED is not None
    function, items, bounds, ends = _SHARED
    with ends.get_lock():
        if ends[0] >= ends[1]:
            return None
        index = ends[0]
        ends[0] += 1
    start, stop = bounds[index]
    return index, [function(item) for item in items[start:stop]]


def default_jobs() -> int:
    """The cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def parallel_map(function: Callable[[T], R], items: Sequence[T], jobs: int | None = None,
                 minimum: int | None = None) -> list[R]:
    """[function(x) for x in items], over this process and `jobs` - 1 forked ones (default: one
    process per core) when that pays.

    Serial for fewer than `minimum` items (default: PARALLEL_MIN), one job, no fork (Windows, macOS
    default), inside a worker process, or while other threads run (a fork
    copies only the calling thread; locks held by the others would stay held
    in the child). Results must be picklable.

    This process works too instead of waiting: it takes chunks from the back while
    the workers take them from the front, so the load evens out by itself, one
    process fewer holds a copy of the parent's memory, and its share of the
    results is never pickled. The first chunk is always left to a worker.
    """
    global _SHARED
    jobs = default_jobs() if jobs is None else jobs
    if _SHARED is not None or not fork_pays(jobs, len(items), PARALLEL_MIN if minimum is None else minimum):
        return [function(item) for item in items]
    context = multiprocessing.get_context("fork")
    size = -(-len(items) // (jobs * 8))  # many chunks, so neither end waits long for the other
    bounds = [(start, min(start + size, len(items))) for start in range(0, len(items), size)]
    ends = context.Array("i", [0, len(bounds)])
    parts: list[list[Any] | None] = [None] * len(bounds)
    _SHARED = (function, items, bounds, ends)
    # Everything alive now is left out of garbage collection until the map ends: a collection in
    # a worker would write to every inherited object, copying the parent's memory page by page.
    gc.freeze()
    try:
        with fork_pool(jobs - 1) as pool:
            taken = pool.map_async(_take_front, range(len(bounds)), chunksize=1)
            while True:
                with ends.get_lock():
                    if ends[1] - 1 < max(ends[0], 1):
                        break
                    ends[1] -= 1
                    index = ends[1]
                start, stop = bounds[index]
                parts[index] = [function(item) for item in items[start:stop]]
            for done in taken.get():
                if done is not None:
                    parts[done[0]] = done[1]
    finally:
        _SHARED = None
        gc.unfreeze()
    missing = [index for index, part in enumerate(parts) if part is None]
    if missing:
        raise RuntimeError(f"parallel_map: chunks {missing} were never done")
    return [result for part in parts if part is not None for result in part]


def fork_pays(jobs: int, count: int, minimum: int) -> bool:
    """Whether `count` items are worth forking `jobs` processes for, and forking is safe: not
    inside a worker, not beside other threads (a fork copies only the calling thread; locks
    held by the others would stay held in the child), and a platform that forks."""
    return (
        jobs > 1
        and count > 0
        and count >= minimum
        and threading.active_count() == 1
        and not multiprocessing.current_process().daemon
        and "fork" in multiprocessing.get_all_start_methods()
    )


@contextlib.contextmanager
def fork_pool(processes: int) -> Iterator[Any]:
    """A pool of forked workers whose SIGTERM is the default one.

    The pool stops its workers with SIGTERM; a handler the caller installed
    (archive serve has one) would be inherited by the workers and could
    swallow it, leaving the pool waiting for ever.
    """
    try:
        handler = signal.signal(signal.SIGTERM, signal.SIG_DFL)
    except ValueError:  # not the main thread: nothing was changed
        handler = None
    try:
        pool = multiprocessing.get_context("fork").Pool(processes)
    finally:
        if handler is not None:
            signal.signal(signal.SIGTERM, handler)
    with pool:
        yield pool
