"""A function over many items -> its results in order, spread over forked workers when that pays.

Pure from the caller's point of view: the result is `[function(x) for x in
items]` whichever way it is computed, so no stage's output depends on the
number of cores. Shared by the normalizer and the renderer.
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Generic, TypeVar, cast

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


_ONE_CORE = [False]
"""True in a process fork_one started: it is one more beside processes that use the other cores."""

_AFTER_ANSWER: list[Callable[[], object]] | None = None
"""In a process fork_one started, while its function runs: what it asked to do once its answer is sent."""


def answer_first(then: Callable[[], object]) -> bool:
    """Inside a function fork_one runs: have `then()` run in that process after its answer is sent
    (saving caches, say, while the caller goes on with the answer; Forked.join waits for it), and
    return True. Anywhere else, return False: the caller runs `then()` itself."""
    if _AFTER_ANSWER is None:
        return False
    _AFTER_ANSWER.append(then)
    return True


def default_jobs() -> int:
    """The cores this process may use."""
    if _ONE_CORE[0]:
        return 1
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
    context = _fork_context()
    # Many chunks, so neither end waits long for the other: whoever finishes first waits for the
    # other's last chunk (at 10,000 page dumps, 16 chunks left a core idle for 0.2-0.3 s).
    size = -(-len(items) // (jobs * 32))
    bounds = [(start, min(start + size, len(items))) for start in range(0, len(items), size)]
    ends = context.Array("i", [0, len(bounds)])
    parts: list[list[Any] | None] = [None] * len(bounds)
    _SHARED = (function, items, bounds, ends)
    # Everything alive now is left out of garbage collection until the map ends: a collection in
    # a worker would write to every inherited object, copying the parent's memory page by page.
    gc.freeze()
    try:
        with fork_pool(jobs - 1) as pool, quick_handoff():
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


HANDOFF_SECONDS = 0.0002
"""The GIL switch interval while threads of this process pass data along (see quick_handoff)."""


def in_threads(work: Callable[[Sequence[T]], R], items: Sequence[T], threads: int, minimum: int) -> list[R]:
    """[work(part) for part in `threads` consecutive parts of `items`], the parts done at once
    in a pool of threads, for work whose time is the kernel's (creating, writing, renaming
    files: the GIL is let go around each system call). Fewer than `minimum` items: the parts
    one after the other, in this thread."""
    size = -(-len(items) // threads) if items else 1
    parts = [items[start:start + size] for start in range(0, len(items), size)]
    if len(items) < minimum:
        return [work(part) for part in parts]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(threads) as pool, quick_handoff():
        return list(pool.map(work, parts))


@contextlib.contextmanager
def quick_handoff() -> Iterator[None]:
    """Threads of this process take the GIL from one another sooner inside the block.

    A thread back from a system call waits for the running thread to let go of the GIL, up
    to the switch interval (5 ms by default). A pool's result thread reads a worker's answer
    off a pipe 64 KB per call while this process's own share of the work runs: at 5 ms a
    read, the worker, blocked on the full pipe, idles for seconds in a cold build. Writer
    threads are held up the same way.
    """
    before = sys.getswitchinterval()
    sys.setswitchinterval(min(before, HANDOFF_SECONDS))
    try:
        yield
    finally:
        sys.setswitchinterval(before)


def fork_pays(jobs: int, count: int, minimum: int) -> bool:
    """Whether `count` items are worth forking `jobs` processes for, and forking is safe: not
    inside a worker, not beside other threads (a fork copies only the calling thread; locks
    held by the others would stay held in the child), and a platform that forks."""
    if not (jobs > 1 and count > 0 and count >= minimum and threading.active_count() == 1):
        return False
    # A pool's worker has multiprocessing imported (its parent made the pool with it): where it
    # is not, this is no worker, and it is not imported to say so (fork_one, in every rebuild).
    multiprocessing = sys.modules.get("multiprocessing")
    in_worker = multiprocessing is not None and multiprocessing.current_process().daemon
    return not in_worker and hasattr(os, "fork")


def _fork_context() -> Any:
    """multiprocessing's fork context. multiprocessing is imported here, where a pool is wanted,
    not at start-up: a rebuild that makes none skips 9 ms of imports."""
    import multiprocessing

    return multiprocessing.get_context("fork")


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
        pool = _fork_context().Pool(processes)
    finally:
        if handler is not None:
            signal.signal(signal.SIGTERM, handler)
    _widen_results_pipe(pool)
    with pool:
        yield pool


RESULTS_PIPE_BYTES = 1 << 20
"""What the pipe carrying a pool's results holds (Linux's default: 64 KB; an unprivileged
process may ask for up to 1 MB, /proc/sys/fs/pipe-max-size)."""


def _widen_results_pipe(pool: Any) -> None:
    """Let a worker write a whole chunk's results (a megabyte of drafts, say) and go on to
    the next chunk, instead of waiting, blocked on the full pipe, for this process to read
    them 64 KB at a time between the slices of its own share of the work.

    Cold build of 10,000 page dumps: the normalizer's worker was busy 87-89 % of its life
    before, 91-94 % after (two alternating pairs and one more run). Nothing else changes: a
    narrower pipe where Linux refuses (or elsewhere) is only slower.
    """
    try:
        import fcntl

        fcntl.fcntl(pool._outqueue._writer.fileno(), fcntl.F_SETPIPE_SZ, RESULTS_PIPE_BYTES)
    except (ImportError, AttributeError, OSError):
        pass


class Forked(Generic[R]):
    """`function()`, computed in a forked process while this one goes on with other work.

    `result()` waits for it and returns it, or raises what it raised. Should the
    process die without answering (killed, out of memory), `result()` computes
    `function()` here instead: the answer is the same either way, only later.
    The process may go on after answering (see answer_first): `join()` waits for it to end.
    """

    def __init__(self, function: Callable[[], R], pid: int, reader: int) -> None:
        self._function = function
        self._pid = pid
        self._reader = reader
        self._done: tuple[bool, Any] | None = None
        self._ended = False

    def result(self) -> R:
        if self._done is None:
            chunks: list[bytes] = []
            with os.fdopen(self._reader, "rb") as pipe:
                while chunk := pipe.read(1 << 20):
                    chunks.append(chunk)
            try:
                self._done = pickle.loads(b"".join(chunks)) if chunks else None
            except Exception:  # noqa: BLE001 - a torn answer counts as none
                self._done = None
            if self._done is None:
                self.join()
                try:
                    self._done = (True, self._function())
                except Exception as error:  # noqa: BLE001 - raised below, as the child would have
                    self._done = (False, error)
        done: tuple[bool, Any] = self._done
        ok, value = done
        if not ok:
            raise value  # what function() raised
        return cast(R, value)

    def join(self) -> None:
        """Wait for the process to end (after its answer, it may still do what answer_first was given)."""
        if not self._ended:
            self._ended = True
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self._pid, 0)

    def finish(self) -> None:
        """Wait for the process to end, its answer left unread (if it is still in the pipe, it
        is read and dropped: an answer bigger than the pipe holds would keep the process waiting)."""
        if self._done is None:
            with os.fdopen(self._reader, "rb") as pipe:
                while pipe.read(1 << 20):
                    pass
            self._done = (False, RuntimeError("not taken"))
        self.join()

    def cancel(self) -> None:
        """Stop the process if it still runs (its answer is not wanted any more); once answered,
        it is left to finish (join)."""
        if self._done is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._pid, signal.SIGKILL)
            self.join()
            os.close(self._reader)
            self._done = (False, RuntimeError("cancelled"))


def fork_one(function: Callable[[], R], jobs: int | None = None) -> Forked[R] | None:
    """`function()` started in a forked process, or None when that does not pay or is not safe
    (one core, a worker process, other threads running: see fork_pays). Its result must be
    picklable; it may not use the caller's open pipes or sockets. It runs in that one process
    (default_jobs() is 1 there): the caller means to keep the other cores busy itself. What it
    hands to answer_first runs there after the answer is sent."""
    global _AFTER_ANSWER
    jobs = default_jobs() if jobs is None else jobs
    if not fork_pays(jobs, 1, 1):
        return None
    parent = os.getpid()
    reader, writer = os.pipe()
    # As in parallel_map: the child's collections would copy the memory it shares with this process.
    gc.freeze()
    try:
        pid = os.fork()
    except BaseException:
        gc.unfreeze()
        os.close(reader)
        os.close(writer)
        raise
    if pid == 0:  # the child: answer through the pipe, then leave without running the parent's exit code
        try:
            _die_with(parent)
            os.close(reader)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            _ONE_CORE[0] = True
            after: list[Callable[[], object]] = []
            _AFTER_ANSWER = after
            answer: tuple[bool, Any]
            try:
                answer = (True, function())
            except BaseException as error:  # noqa: BLE001 - handed to the parent
                answer = (False, error)
                after.clear()
            _AFTER_ANSWER = None
            try:
                data = pickle.dumps(answer, pickle.HIGHEST_PROTOCOL)
            except Exception as error:  # noqa: BLE001 - an answer that does not pickle
                what = "its result" if answer[0] else f"what it raised ({type(answer[1]).__name__}: {answer[1]})"
                data = pickle.dumps((False, RuntimeError(f"{function!r} in a forked process: {what} "
                                                         f"could not be sent back ({error})")))
            with os.fdopen(writer, "wb") as pipe:
                pipe.write(data)
            for then in after:  # the parent has its answer (the pipe is closed) and goes on
                then()
        finally:
            os._exit(0)
    gc.unfreeze()
    os.close(writer)
    return Forked(function, pid, reader)


def _die_with(parent: int) -> None:
    """In a child: be killed when `parent` dies (Linux), so that a killed build leaves no process
    behind still writing to its caches."""
    from .libc import c_function

    prctl = c_function("prctl")
    if prctl is None:  # not Linux: the child ends when its work does
        return
    prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the parent died before the request was made
        os._exit(1)
