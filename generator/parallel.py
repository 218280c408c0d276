"""A function over many items -> its results in order, spread over forked workers when that pays.

Pure from the caller's point of view: the result is `[function(x) for x in
items]` whichever way it is computed, so no stage's output depends on the
number of cores. Shared by the normalizer and the renderer.
"""

from __future__ import annotations

import contextlib
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

# The function and items of the running map: forked workers inherit them, so
# only chunk bounds and results cross process boundaries (nothing is pickled
# on the way in, and the function may be a closure).
_WORK: tuple[Callable[[Any], Any], Sequence[Any]] | None = None


def _run_chunk(bounds: tuple[int, int]) -> list[Any]:
    assert _WORK is not None
    function, items = _WORK
    return [function(item) for item in items[bounds[0]:bounds[1]]]


def default_jobs() -> int:
    """The cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def parallel_map(function: Callable[[T], R], items: Sequence[T], jobs: int | None = None,
                 minimum: int | None = None) -> list[R]:
    """[function(x) for x in items], over `jobs` forked processes (default: the cores) when that pays.

    Serial for fewer than `minimum` items (default: PARALLEL_MIN), one job, no fork (Windows, macOS
    default), inside a worker process, or while other threads run (a fork
    copies only the calling thread; locks held by the others would stay held
    in the child). Results must be picklable.
    """
    global _WORK
    jobs = default_jobs() if jobs is None else jobs
    if _WORK is not None or not fork_pays(jobs, len(items), PARALLEL_MIN if minimum is None else minimum):
        return [function(item) for item in items]
    size = -(-len(items) // (jobs * 4))  # a few chunks per worker even out uneven pages
    bounds = [(start, min(start + size, len(items))) for start in range(0, len(items), size)]
    _WORK = (function, items)
    try:
        with fork_pool(jobs) as pool:
            parts = pool.map(_run_chunk, bounds, chunksize=1)
    finally:
        _WORK = None
    return [result for part in parts for result in part]


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
