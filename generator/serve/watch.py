"""What to watch, which events matter, and the watchdog glue.

`WatchPlan` (pure) says which directories and which single file (archive.toml)
are watched and decides whether a changed path is a real edit: hidden files
(the content store's manifest, journal and `.*.new` temp files, editor swap
files, `.site.staging-*`, caches), editor backups, the output directory and
the cache directory never are. `Watcher` feeds the accepted paths of
watchdog's events to a callback, with inotify or, with `poll=True`, by
polling (network and container file systems), saying of each path whether
the event leaves it settled (see `server.Debouncer`): with inotify a file is
settled once closed after writing or renamed into place; when polling, a
file seen changed is (it was complete enough to be seen); a deleted or
renamed-away path never is (an editor may be about to write it again).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from watchdog.events import (
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserver

# Opened and closed-without-writing events come from every read (our own build
# reads all of content/): listening to them would rebuild forever. Closed after
# writing is how a save says it is complete.
EVENT_TYPES: list[type[FileSystemEvent]] = [
    FileCreatedEvent, FileModifiedEvent, FileClosedEvent, FileDeletedEvent, FileMovedEvent,
    DirMovedEvent, DirCreatedEvent, DirDeletedEvent,
]
_BACKUP_SUFFIXES = ("~", ".swp", ".swo", ".swx", ".tmp", ".part", ".crdownload", ".pyc", ".bak")
_SCRATCH_NAMES = frozenset({"4913", "__pycache__"})  # 4913: vim probes a directory with it


def _under(path: Path, root: Path) -> Path | None:
    """`path` relative to `root`, or None when it is not inside."""
    try:
        return path.relative_to(root)
    except ValueError:
        return None


def is_scratch(relative: Path) -> bool:
    """Hidden files, editor temp files and backups: never an edit of the archive."""
    for part in relative.parts:
        if part.startswith(".") or part in _SCRATCH_NAMES or (part.startswith("#") and part.endswith("#")):
            return True
    return relative.name.endswith(_BACKUP_SUFFIXES)


@dataclass(frozen=True)
class WatchPlan:
    """The directories watched recursively, archive.toml, and what is never an edit."""

    dirs: tuple[Path, ...]
    """Sources, content and theme directories (absolute)."""
    config_file: Path
    """archive.toml; its directory is watched without recursion."""
    exclude: tuple[Path, ...] = ()
    """Output and cache directories: written by builds, never edits."""

    def accepts(self, path: Path) -> bool:
        """Is a change of `path` an edit worth a rebuild?"""
        if path == self.config_file:
            return True
        if any(_under(path, excluded) is not None for excluded in self.exclude):
            return False
        if path in self.dirs:
            return True  # a watched directory (re)appeared or moved
        for directory in self.dirs:
            relative = _under(path, directory)
            if relative is not None:
                return not is_scratch(relative)
        return False

    @property
    def existing_dirs(self) -> tuple[Path, ...]:
        """Watched directories that exist now; nested ones are covered by their parent."""
        present = sorted({d for d in self.dirs if d.is_dir()}, key=lambda d: (len(d.parts), str(d)))
        kept: list[Path] = []
        for directory in present:
            if not any(_under(directory, outer) is not None for outer in kept):
                kept.append(directory)
        return tuple(kept)


def settles(event_type: str, is_directory: bool, *, destination: bool, poll: bool) -> bool:
    """Does this event leave its path settled: is the writer done with it?"""
    if is_directory or event_type == "closed":
        return True
    if event_type == "moved":
        return destination  # renamed into place: complete; renamed away: may come back
    if event_type in ("created", "modified"):
        return poll  # inotify reports the close that ends the writing; a poll sees a finished state
    return False  # deleted


class _Forward(FileSystemEventHandler):
    def __init__(self, watcher: Watcher) -> None:
        self.watcher = watcher

    def on_any_event(self, event: FileSystemEvent) -> None:
        for raw, destination in ((event.src_path, False), (event.dest_path, True)):
            if not raw:
                continue
            path = Path(os.path.abspath(os.fsdecode(raw)))
            # The files inside a created or deleted directory report their own
            # events; only a watched directory itself (re)appearing matters.
            if event.is_directory and event.event_type != "moved" and path not in self.watcher.plan.dirs:
                continue
            self.watcher.offer(path, settles(event.event_type, event.is_directory, destination=destination,
                                             poll=self.watcher.poll), edit=event.event_type != "closed")


class Watcher:
    """Runs a watchdog observer over a WatchPlan; `notify(path, settled, edit)` for each accepted path
    (`edit` is false for a close after writing, which only settles a path; see `server.Debouncer`)."""

    def __init__(self, plan: WatchPlan, notify: Callable[[Path, bool, bool], None], *, poll: bool = False,
                 poll_interval: float = 0.5) -> None:
        self.plan = plan
        self.notify = notify
        self.poll = poll
        self._observer: BaseObserver = PollingObserver(timeout=poll_interval) if poll else Observer()
        self._handler = _Forward(self)
        self._scheduled: tuple[Path, ...] = ()

    def offer(self, path: Path, settled: bool = True, edit: bool = True) -> None:
        if self.plan.accepts(path):
            self.notify(path, settled, edit)

    def start(self) -> None:
        self._schedule()
        self._observer.start()

    def update(self, plan: WatchPlan) -> None:
        """Watch a new plan (after archive.toml changed, or a watched directory appeared)."""
        wanted = (*plan.existing_dirs, plan.config_file.parent)
        self.plan = plan
        if wanted != self._scheduled:
            self._observer.unschedule_all()
            self._schedule()

    def _schedule(self) -> None:
        dirs = self.plan.existing_dirs
        for directory in dirs:
            self._observer.schedule(self._handler, str(directory), recursive=True, event_filter=EVENT_TYPES)
        root = self.plan.config_file.parent
        if root.is_dir():
            # Not recursive: only archive.toml and the (re)appearance of a watched directory.
            self._observer.schedule(self._handler, str(root), recursive=False, event_filter=EVENT_TYPES)
        self._scheduled = (*dirs, root)

    def stop(self) -> None:
        if self._observer.is_alive():
            # Events still arriving while the inotify threads wind down make watchdog log a
            # warning per thread ("queue_events() called when the thread is inactive"): noise.
            logging.getLogger("watchdog.observers.inotify_buffer").setLevel(logging.ERROR)
            logging.getLogger("watchdog.observers.api").setLevel(logging.ERROR)
            logging.getLogger("watchdog").setLevel(logging.ERROR)
            self._observer.stop()
            self._observer.join(timeout=10)
