"""The watchdog glue on a real directory: edits arrive, the store's own files and reads do not.

These wait for events with a generous deadline (file systems are not
instantaneous) but never assert on how long anything took.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from generator.serve import Watcher, WatchPlan
from generator.serve.watch import settles

DEADLINE = 15.0


class Collector:
    def __init__(self) -> None:
        self.paths: list[Path] = []
        self.settled: dict[Path, bool] = {}
        self.cond = threading.Condition()

    def __call__(self, path: Path, settled: bool, edit: bool) -> None:
        with self.cond:
            if edit:
                self.paths.append(path)
            self.settled[path] = settled
            self.cond.notify_all()

    def wait_settled(self, path: Path) -> bool:
        with self.cond:
            return self.cond.wait_for(lambda: self.settled.get(path) is True, DEADLINE)

    def wait_for(self, path: Path) -> bool:
        with self.cond:
            return self.cond.wait_for(lambda: path in self.paths, DEADLINE)


@pytest.mark.parametrize("poll", [False, True], ids=["inotify", "poll"])
def test_watcher_reports_edits_and_ignores_scratch_files(tmp_path: Path, poll: bool) -> None:
    content = tmp_path / "content"
    (content / "2019").mkdir(parents=True)
    entry = content / "2019" / "a.md"
    entry.write_text("one")
    untouched = content / "2019" / "b.md"
    untouched.write_text("same")
    plan = WatchPlan(dirs=(content,), config_file=tmp_path / "archive.toml", exclude=(tmp_path / "site",))
    seen = Collector()
    watcher = Watcher(plan, seen, poll=poll, poll_interval=0.1)
    watcher.start()
    try:
        # Noise first: the store's temp file and manifest, an editor's swap file, a read.
        (content / "2019" / ".a.md.new").write_text("x")
        (content / ".archive-manifest.json").write_text("{}")
        (content / ".a.md.swp").write_text("x")
        entry.read_text()
        open(untouched, "a").close()  # opened for writing, nothing written: closed, not modified
        (tmp_path / "site").mkdir()
        (tmp_path / "site" / "index.html").write_text("x")
        # Then the edit and archive.toml.
        entry.write_text("two")
        assert seen.wait_for(entry)
        (tmp_path / "archive.toml").write_text("[site]\n")
        assert seen.wait_for(tmp_path / "archive.toml")
    finally:
        watcher.stop()
    assert {p.name for p in seen.paths} <= {"a.md", "archive.toml"}, seen.paths


def test_watcher_follows_a_new_plan(tmp_path: Path) -> None:
    first, second = tmp_path / "seeds", tmp_path / "other"
    first.mkdir()
    second.mkdir()
    seen = Collector()
    watcher = Watcher(WatchPlan(dirs=(first,), config_file=tmp_path / "archive.toml"), seen)
    watcher.start()
    try:
        watcher.update(WatchPlan(dirs=(second,), config_file=tmp_path / "archive.toml"))
        (second / "new.txt").write_text("x")
        assert seen.wait_for(second / "new.txt")
        (first / "old.txt").write_text("x")
        (second / "again.txt").write_text("x")
        assert seen.wait_for(second / "again.txt")
    finally:
        watcher.stop()
    assert first / "old.txt" not in seen.paths


def test_a_save_ends_settled_and_a_file_renamed_away_does_not(tmp_path: Path) -> None:
    content = tmp_path / "content"
    content.mkdir()
    entry = content / "a.md"
    entry.write_text("one")
    seen = Collector()
    watcher = Watcher(WatchPlan(dirs=(content,), config_file=tmp_path / "archive.toml"), seen)
    watcher.start()
    try:
        # Written in place: the close after writing is the last word.
        entry.write_text("two")
        assert seen.wait_settled(entry)
        # An editor's backup dance: the file renamed away first (not settled: it comes back) ...
        seen.settled.clear()
        entry.rename(content / "a.md~")
        with seen.cond:
            assert seen.cond.wait_for(lambda: entry in seen.settled, DEADLINE)
            assert seen.settled[entry] is False
        # ... then written anew, which settles it; an atomic rename into place settles at once.
        entry.write_text("three")
        assert seen.wait_settled(entry)
        seen.settled.clear()
        (content / ".a.md.tmp").write_text("four")
        (content / ".a.md.tmp").replace(entry)
        assert seen.wait_settled(entry)
    finally:
        watcher.stop()


def test_which_events_settle_a_path() -> None:
    assert settles("closed", False, destination=False, poll=False)
    assert settles("moved", False, destination=True, poll=False)
    assert not settles("moved", False, destination=False, poll=False)
    assert not settles("modified", False, destination=False, poll=False)  # the close is still to come
    assert settles("modified", False, destination=False, poll=True)  # polling sees no closes
    assert not settles("deleted", False, destination=False, poll=True)
    assert settles("created", True, destination=False, poll=False)  # a directory: its files report
