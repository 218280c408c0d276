"""fork_one: a function computed in one forked process while the caller works on; its answer,
its exception, or (should the process die) the same answer computed by the caller."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time

import pytest

from generator import parallel
from generator.parallel import answer_first, default_jobs, fork_one

pytestmark = pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods() or default_jobs() < 2,
                                reason="needs fork and two cores")


@pytest.fixture(autouse=True)
def _no_other_threads() -> None:
    # Not a skip: conftest runs these before the browser tests, whose threads last the session.
    assert threading.active_count() == 1, f"threads running: {threading.enumerate()}"


def _where() -> tuple[int, int]:
    return os.getpid(), default_jobs()


def test_the_function_runs_in_another_process_on_one_core() -> None:
    forked = fork_one(_where)
    assert forked is not None
    pid, jobs = forked.result()
    assert pid != os.getpid() and jobs == 1  # it must not spread further: the caller uses the other cores
    assert default_jobs() > 1  # and this process is not limited by it
    assert forked.result() == (pid, jobs)  # asked twice, the same answer
    forked.join()  # (reaped: a zombie left here would fail a later test's check that builds leave none)


def test_large_answers_arrive_whole() -> None:
    data = bytes(range(256)) * 40_000  # 10 MB, far past a pipe's buffer
    forked = fork_one(lambda: [data, data[::-1]])
    assert forked is not None
    assert forked.result() == [data, data[::-1]]
    forked.join()


def _fails() -> None:
    raise ValueError("no such entry: content/a.md")


def test_what_the_function_raises_is_raised_by_result() -> None:
    forked = fork_one(_fails)
    assert forked is not None
    with pytest.raises(ValueError, match="no such entry: content/a.md"):
        forked.result()
    forked.join()


def test_an_answer_that_cannot_be_sent_is_a_clear_error() -> None:
    forked = fork_one(lambda: threading.Lock())
    assert forked is not None
    with pytest.raises(RuntimeError, match="could not be sent back"):
        forked.result()
    forked.join()


def test_a_process_that_dies_without_answering_leaves_the_work_to_the_caller() -> None:
    parent = os.getpid()

    def dies_in_the_child() -> int:
        if os.getpid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)  # as the out-of-memory killer would
        return os.getpid()

    forked = fork_one(dies_in_the_child)
    assert forked is not None
    assert forked.result() == parent


def test_cancel_stops_the_process_and_reaps_it() -> None:
    forked = fork_one(lambda: time.sleep(60))
    assert forked is not None
    pid = forked._pid
    started = time.monotonic()
    forked.cancel()
    assert time.monotonic() - started < 10
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # already reaped: no zombie left behind
    with pytest.raises(RuntimeError, match="cancelled"):
        forked.result()


def test_work_handed_to_answer_first_runs_after_the_answer_is_in(tmp_path) -> None:  # type: ignore[no-untyped-def]
    go_on, release = os.pipe()
    done = tmp_path / "saved"

    def then() -> None:
        os.read(go_on, 1)  # until the parent, answer in hand, lets it go on
        done.write_text("saved")

    def answer() -> int:
        assert answer_first(then)
        return 42

    forked = fork_one(answer)
    assert forked is not None
    try:
        assert forked.result() == 42  # would wait for ever if the answer waited for `then`
        assert not done.exists()
        os.write(release, b"x")
        forked.join()
        assert done.read_text() == "saved"
        forked.join()  # once reaped, joining again is nothing
        forked.cancel()  # an answered process is not killed: nothing to do
    finally:
        os.close(go_on)
        os.close(release)


def test_answer_first_outside_a_forked_process_leaves_the_work_to_the_caller() -> None:
    ran: list[int] = []
    assert not answer_first(lambda: ran.append(1))
    assert not ran


def test_work_handed_to_answer_first_is_dropped_when_the_function_raises(tmp_path) -> None:  # type: ignore[no-untyped-def]
    done = tmp_path / "saved"

    def fails_after_asking() -> None:
        answer_first(lambda: done.write_text("saved"))
        raise ValueError("broken entry")

    forked = fork_one(fails_after_asking)
    assert forked is not None
    with pytest.raises(ValueError, match="broken entry"):
        forked.result()
    forked.join()
    assert not done.exists()


def test_no_fork_while_other_threads_run() -> None:
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert fork_one(_where) is None  # a fork copies only this thread; the caller does the work itself
    finally:
        stop.set()
        other.join()


def test_the_process_dies_with_its_parent(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A build killed while its forked process works leaves nothing behind writing to its caches."""
    import subprocess
    import sys
    import textwrap

    marker = tmp_path / "pid"
    script = textwrap.dedent(f"""
        import os, time
        from generator.parallel import fork_one
        def work():
            open({str(marker)!r}, "w").write(str(os.getpid()))
            time.sleep(60)
        forked = fork_one(work)
        assert forked is not None
        time.sleep(60)
    """)
    parent = subprocess.Popen([sys.executable, "-c", script])
    deadline = time.monotonic() + 30
    while not (marker.exists() and marker.read_text()) and time.monotonic() < deadline:
        time.sleep(0.05)
    child = int(marker.read_text())
    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        with open(f"/proc/{child}/stat") as stat:
            if stat.read().split(")")[-1].split()[0] == "Z":  # a zombie: dead, waiting for init to reap it
                break
        time.sleep(0.05)
    else:
        os.kill(child, signal.SIGKILL)
        raise AssertionError("the forked process outlived its parent")


def test_quick_handoff_shortens_the_switch_interval_only_inside() -> None:
    import sys

    before = sys.getswitchinterval()
    with parallel.quick_handoff():
        assert sys.getswitchinterval() == pytest.approx(min(before, parallel.HANDOFF_SECONDS))
    assert sys.getswitchinterval() == before


@pytest.mark.skipif(not hasattr(__import__("fcntl"), "F_GETPIPE_SZ"), reason="Linux only")
def test_a_pool_writes_its_results_into_a_wide_pipe() -> None:
    # A worker writes a whole chunk's results and goes on, instead of waiting on a 64 KB pipe.
    import fcntl

    with parallel.fork_pool(1) as pool:
        width = fcntl.fcntl(pool._outqueue._writer.fileno(), fcntl.F_GETPIPE_SZ)
        assert pool.map(abs, [-1, -2]) == [1, 2]
    assert width == parallel.RESULTS_PIPE_BYTES
