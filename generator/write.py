"""The only writer of site/: make the whole new tree beside it, then swap it in at once.

A build never writes into the live output directory. It makes the new tree in
another directory, hard-linking every file whose bytes did not change from
the live tree (so unchanged files keep their inode and modification time),
then exchanges the two directories with one `renameat2(RENAME_EXCHANGE)` call
where Linux offers it (two renames elsewhere). A build that fails or is
killed before the swap leaves the previous site exactly as it was.

Making a tree of 20,000 files and 15,000 directories from nothing costs
seconds, and so does deleting the retired one. So, given a `spare` directory
(in the build cache, on the output's file system), the retired tree is kept
there after the swap together with a record of the paths where it may differ
from the live tree, and the next build brings that spare up to date in place:
it touches only the files that changed in the last two builds, and rewrites
nothing else. A file in both trees is the same inode unless the record names
it, so a spare file is never written in place (it is unlinked and made anew).
The record is deleted before the spare is touched: a build killed midway
leaves a spare without a record, which the next build throws away and makes
from nothing. Without a spare, the new tree is staged in a sibling directory
(`.site.staging-*`) and the retired tree is deleted; leftovers of an
interrupted build are swept away by the next one.

Callers may pass `same`: paths whose live file they know to hold exactly the
new bytes (the renderer checks a manifest), which are linked without being
read or compared.
"""

from __future__ import annotations

import ctypes
import functools
import os
import pickle
import shutil
import stat
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .libc import c_function
from .models import OutputFile, Problem
from .parallel import in_threads
from .urls import safe_relative

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100
SPARE_FORMAT = 1
_TREE = "tree"
WRITERS = 4
"""Threads writing a new tree (file creation overlaps in the kernel)."""
PARALLEL_WRITES = 2_000
"""Files below which one thread writes them all."""
_RECORD = "record.pickle"


@dataclass(frozen=True)
class WriteReport:
    """What writing the site changed."""

    written: int
    """Files whose bytes are new or changed."""
    unchanged: int
    """Files carried over untouched from the previous build."""
    removed: int
    """Files of the previous build that no longer exist."""


def find_collisions(files: Sequence[OutputFile], claimed: Iterable[str] = ()) -> tuple[list[OutputFile], list[Problem]]:
    """Drop unsafe paths and second claims on one path, before anything is written.

    `claimed` are (safe) paths already taken by files that are not in `files`.
    """
    kept: list[OutputFile] = []
    problems: list[Problem] = []
    seen: set[str] = {path.casefold() for path in claimed}
    for item in files:
        try:
            path = safe_relative(item.path)
        except ValueError as error:
            problems.append(Problem(item.path, f"refused to write outside the site: {error}"))
            continue
        key = path.casefold()  # case-insensitive hosts would merge these
        if key in seen:
            problems.append(Problem(item.path, "two pages claim this path; the second was skipped"))
            continue
        seen.add(key)
        kept.append(item if path == item.path else OutputFile(path, item.data))
    return kept, problems


@functools.cache
def _renameat2() -> Any | None:
    """The C library's renameat2 with its argument types, or None (not Linux)."""
    renameat2 = c_function("renameat2") if hasattr(os, "O_DIRECTORY") else None
    if renameat2 is not None:
        renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    return renameat2


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two directories; False when the platform cannot."""
    renameat2 = _renameat2()
    if renameat2 is None:
        return False
    return bool(renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0)


class Staged(OutputFile):
    """A file already written into the staging tree by the process that made it (see
    `begin_staging`): its bytes are on disk, not here (`data` is empty)."""


def begin_staging(output_dir: Path) -> Path | None:
    """The tree write_site will fill and swap in, made now so that the processes that render
    the pages write them there themselves, or None when write_site must be left to choose
    (a site/ exists: the new tree is made from the live one or the spare).

    A cold build's pages then never travel back to this process (hundreds of megabytes
    through pipes at 10,000 entries) nor wait for it to write them all at the end.
    Pass the tree to write_site as `staged`; remove it with `abandon_staging` if the
    build does not get that far.
    """
    output_dir = output_dir.absolute()
    sweep_leftovers(output_dir)
    if output_dir.exists():
        return None
    output_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = _staging_tree(output_dir)
    staging.mkdir()
    return staging


def abandon_staging(staging: Path | None) -> None:
    """Remove a staging tree that write_site did not take (None: begin_staging made none)."""
    if staging is not None:
        shutil.rmtree(staging, ignore_errors=True)


def _staging_tree(output_dir: Path) -> Path:
    """Where this process makes the new tree of `output_dir` (sweep_leftovers knows the name)."""
    return output_dir.parent / f".{output_dir.name}.staging-{os.getpid()}"


def stage_file(staging: str, file: OutputFile, created: set[str]) -> Staged:
    """Write `file` (a new path, safe) into the staging tree; `created` holds the folders this
    process knows exist ("" at least). Safe beside other processes staging other files."""
    _make_parent(staging, file.path, created)
    _write_new(os.path.join(staging, file.path), file.data)
    return Staged(file.path, b"")


def sweep_leftovers(output_dir: Path) -> None:
    """Remove staging and retired trees that an interrupted build left behind."""
    parent = output_dir.parent
    if not parent.is_dir():
        return
    for leftover in parent.glob(f".{output_dir.name}.staging-*"):
        shutil.rmtree(leftover, ignore_errors=True)
    for leftover in parent.glob(f".{output_dir.name}.old-*"):
        shutil.rmtree(leftover, ignore_errors=True)


@dataclass(frozen=True)
class _Record:
    """What the spare tree is, relative to the live one."""

    live: frozenset[str]
    """Every file path of the live tree when it was swapped in."""
    differs: frozenset[str]
    """Paths where the spare may differ from the live tree; elsewhere they share the inode."""
    live_id: tuple[int, int] = (0, 0)
    """(device, inode) of the live directory: a site swapped in by anything else voids the record."""


def has_spare_record(spare: Path) -> bool:
    """Whether `spare` holds a record (its tree is then the retired one, brought up to date by the next write)."""
    return (spare / _RECORD).exists()


def _usable_spare(spare: Path | None, output_dir: Path) -> bool:
    """A spare must be on the output's file system (a rename cannot cross one)."""
    if spare is None:
        return False
    try:
        spare.mkdir(parents=True, exist_ok=True)
        return os.stat(spare).st_dev == os.stat(output_dir.parent).st_dev
    except OSError:
        return False


def _identity(directory: Path) -> tuple[int, int]:
    info = os.stat(directory)
    return (info.st_dev, info.st_ino)


def _take_record(spare: Path, output_dir: Path) -> _Record | None:
    """The spare's record, deleted from disk (the spare is about to change), or None."""
    path = spare / _RECORD
    try:
        with open(path, "rb") as handle:
            version, live, differs, live_id = pickle.load(handle)  # our own file, in the cache
    except (OSError, pickle.PickleError, EOFError, ValueError, TypeError, AttributeError, ImportError):
        return None
    finally:
        try:
            path.unlink()
        except OSError:
            pass
    if version != SPARE_FORMAT or not (spare / _TREE).is_dir() or tuple(live_id) != _identity(output_dir):
        return None
    return _Record(frozenset(live), frozenset(differs), tuple(live_id))


def _save_record(spare: Path, record: _Record) -> None:
    temp = spare / f"{_RECORD}.tmp-{os.getpid()}"
    with open(temp, "wb") as handle:
        pickle.dump((SPARE_FORMAT, sorted(record.live), sorted(record.differs), record.live_id), handle,
                    protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(temp, spare / _RECORD)


def write_site(files: Sequence[OutputFile], output_dir: Path, same: Collection[str] = (),
               spare: Path | None = None, staged: Path | None = None) -> WriteReport:
    """Replace output_dir by exactly `files` plus the live files at `same`, atomically.

    Paths must be safe already. `spare` is a directory this function may keep
    the retired tree in (see the module docstring); it is made if missing.
    `staged`: the tree begin_staging made, which holds the `Staged` files of
    `files` already (and only those).
    """
    output_dir = output_dir.absolute()
    if staged is not None:
        return _fresh(files, output_dir, same, staged, keep=None, made=True)
    if any(isinstance(item, Staged) for item in files):
        raise ValueError("write_site: staged files without their staging tree")
    sweep_leftovers(output_dir)
    output_dir.parent.mkdir(parents=True, exist_ok=True)
    if output_dir.exists() and not output_dir.is_dir():
        raise NotADirectoryError(f"{output_dir} exists and is not a directory")
    live_exists = output_dir.is_dir()
    if spare is not None and live_exists and _usable_spare(spare, output_dir):
        spare = spare.absolute()
        record = _take_record(spare, output_dir)
        if record is not None:
            return _update_spare(files, output_dir, same, spare, record)
        shutil.rmtree(spare / _TREE, ignore_errors=True)  # unrecorded: half-updated by a killed build
        return _fresh(files, output_dir, same, spare / _TREE, keep=spare)
    return _fresh(files, output_dir, same, _staging_tree(output_dir), keep=None)


def _fresh(files: Sequence[OutputFile], output_dir: Path, same: Collection[str], work: Path,
           keep: Path | None, made: bool = False) -> WriteReport:
    """Make the new tree from nothing in `work` (`made`: begin_staging made it, and it holds
    the Staged files), swap it in; keep the retired tree in `keep`."""
    if not made:
        work.mkdir()
    written: set[str] = set()
    created_dirs: set[str] = {""}
    root, live = str(work), str(output_dir)
    try:
        def place(chunk: Sequence[OutputFile | str]) -> list[str]:
            new_files: list[str] = []
            for item in chunk:
                if isinstance(item, Staged):
                    new_files.append(item.path)
                    continue
                path = item if isinstance(item, str) else item.path
                # (the folders too: a thread that finds one made by another goes on)
                _make_parent(root, path, created_dirs)
                if isinstance(item, str):  # a live file known to be the new one
                    os.link(os.path.join(live, item), os.path.join(root, item))
                elif _same_bytes(os.path.join(live, item.path), item.data):
                    os.link(os.path.join(live, item.path), os.path.join(root, item.path))
                else:
                    _write_new(os.path.join(root, item.path), item.data)
                    new_files.append(item.path)
            return new_files

        # Creating folders, files and links is mostly time in the kernel, which threads overlap (the
        # GIL is released around each system call): a site of 20,000 files is made sooner.
        work_items: list[OutputFile | str] = [*files, *same]
        for new_files in in_threads(place, work_items, WRITERS, PARALLEL_WRITES):
            written.update(new_files)
        old = _file_paths(output_dir)
        new = frozenset([*(item.path for item in files), *same])
        _swap(work, output_dir)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    if keep is not None:
        if old is not None:
            _save_record(keep, _Record(new, frozenset(written | (old - new)), _identity(output_dir)))
    else:
        shutil.rmtree(work, ignore_errors=True)  # the retired tree, after the exchange
    return WriteReport(written=len(written), unchanged=len(new) - len(written),
                       removed=len(old - new) if old is not None else 0)


def mirror_spare(output_dir: Path, spare: Path) -> bool:
    """Make `spare` hold a copy of the live tree, every file hard-linked to the live one, with a
    record that says so, unless it has a record already or there is no live tree. True when made.

    A cold build leaves no spare (there was no tree to retire), so the first rebuild after it
    would make its whole new tree from nothing: at 10,000 entries 16,000 links and 5,000
    folders, half a second of its second. A rebuild calls this in another process while it
    renders, and write_site then only updates the spare (see _update_spare). Should the live
    tree be swapped in the meantime, the record it saves is void (its live_id)."""
    output_dir = output_dir.absolute()
    if not output_dir.is_dir() or not _usable_spare(spare, output_dir) or has_spare_record(spare):
        return False
    live_id = _identity(output_dir)
    paths = sorted(_file_paths(output_dir) or ())
    work = spare.absolute() / _TREE
    shutil.rmtree(work, ignore_errors=True)  # a spare without its record: a build killed midway
    work.mkdir()
    root, live, created = str(work), str(output_dir), {""}

    def link(chunk: Sequence[str]) -> None:
        for path in chunk:
            _make_parent(root, path, created)
            os.link(os.path.join(live, path), os.path.join(root, path))

    in_threads(link, paths, WRITERS, PARALLEL_WRITES)
    _save_record(spare, _Record(frozenset(paths), frozenset(), live_id))
    return True


def _update_spare(files: Sequence[OutputFile], output_dir: Path, same: Collection[str], spare: Path,
                  record: _Record) -> WriteReport:
    """Bring the spare tree (the live tree except at record.differs) to the new tree, swap it in."""
    work = spare / _TREE
    root, live = str(work), str(output_dir)
    differs = record.differs
    written: set[str] = set()
    # On failure the record is already gone: the next build throws this spare away.
    new = frozenset([*(item.path for item in files), *same])
    for path in (record.live | differs) - new:
        if _remove(os.path.join(root, path)):
            _prune_dirs(root, path)
    for path in same:
        if path in differs or path not in record.live:
            _replace_with_link(root, live, path)
    for item in files:
        path = item.path
        if _same_bytes(os.path.join(live, path), item.data):
            # Equal to the live file, which the spare shares unless the record says otherwise.
            if path in differs or path not in record.live:
                _replace_with_link(root, live, path)
        else:
            _remove(os.path.join(root, path))
            _write_new_making_dirs(root, path, item.data)
            written.add(path)
    _swap(work, output_dir)
    _save_record(spare, _Record(new, frozenset(written | (record.live - new)), _identity(output_dir)))
    return WriteReport(written=len(written), unchanged=len(new) - len(written), removed=len(record.live - new))


def _swap(work: Path, output_dir: Path) -> None:
    """Put `work` at output_dir; the previous output_dir ends at `work` (exchange) or is renamed aside."""
    if not output_dir.exists():
        os.rename(work, output_dir)
        return
    if _exchange(work, output_dir):
        return
    aside = output_dir.parent / f".{output_dir.name}.old-{os.getpid()}"
    os.rename(output_dir, aside)
    os.rename(work, output_dir)
    os.rename(aside, work)


def _make_parent(root: str, path: str, created: set[str]) -> None:
    """Make the folder of `path` under `root`; `created` holds the folders known to exist ("" too)."""
    directory = os.path.dirname(path)
    if directory not in created:
        _make_folder(root, directory, created)


def _make_folder(root: str, directory: str, created: set[str]) -> None:
    # One mkdir per new folder, its parent first: os.makedirs would stat every ancestor each time.
    parent = os.path.dirname(directory)
    if parent not in created:
        _make_folder(root, parent, created)
    try:
        os.mkdir(os.path.join(root, directory))
    except FileExistsError:
        pass
    created.add(directory)


def _write_new(target: str, data: bytes) -> None:
    write_file(target, data, os.O_EXCL, 0o644)


def write_file(target: str | Path, data: bytes, flags: int, mode: int) -> None:
    """`data` as the file at `target`, opened for writing with `flags` (O_EXCL: a new file;
    O_TRUNC: replace one) and `mode`. With os.write: for thousands of small files a file
    object costs more than the writes themselves."""
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | flags, mode)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(descriptor, view):]
    finally:
        os.close(descriptor)


def _write_new_making_dirs(root: str, path: str, data: bytes) -> None:
    target = os.path.join(root, path)
    try:
        _write_new(target, data)
    except (FileNotFoundError, NotADirectoryError):
        _ensure_dir(root, os.path.dirname(path))
        _write_new(target, data)


def _ensure_dir(root: str, directory: str) -> None:
    """Make root/directory, removing any file of the spare that stands where a directory must be."""
    parts = directory.split("/") if directory else []
    for end in range(1, len(parts) + 1):
        current = os.path.join(root, *parts[:end])
        if os.path.isdir(current) and not os.path.islink(current):
            continue
        _remove(current)
        os.mkdir(current)


def _replace_with_link(root: str, live: str, path: str) -> None:
    target = os.path.join(root, path)
    _remove(target)
    try:
        os.link(os.path.join(live, path), target)
    except (FileNotFoundError, NotADirectoryError):
        if not os.path.exists(os.path.join(live, path)):
            raise
        _ensure_dir(root, os.path.dirname(path))
        os.link(os.path.join(live, path), target)


def _remove(target: str) -> bool:
    try:
        os.unlink(target)
    except FileNotFoundError:
        return False
    except IsADirectoryError:
        shutil.rmtree(target)
    except NotADirectoryError:
        return False
    return True


def _prune_dirs(root: str, path: str) -> None:
    """Remove the directories a removed file leaves empty (a cold build has none)."""
    directory = os.path.dirname(path)
    while directory:
        try:
            os.rmdir(os.path.join(root, directory))
        except OSError:
            return
        directory = os.path.dirname(directory)


def _same_bytes(path: str, data: bytes) -> bool:
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return False
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode) or info.st_size != len(data):
            return False
        return os.read(descriptor, len(data) + 1) == data
    except OSError:
        return False
    finally:
        os.close(descriptor)


def walk_files(directory: Path) -> Iterator[tuple[str, os.DirEntry[str]]]:
    """(relative path, entry) of every file under directory; symlinks are not followed."""
    pending = [(str(directory), "")]
    while pending:
        current, prefix = pending.pop()
        with os.scandir(current) as listing:
            for item in listing:
                if item.is_dir(follow_symlinks=False):
                    pending.append((item.path, f"{prefix}{item.name}/"))
                else:
                    yield prefix + item.name, item


def _file_paths(directory: Path) -> frozenset[str] | None:
    """Relative paths of every file under directory, or None when it does not exist."""
    if not directory.is_dir():
        return None
    return frozenset(path for path, _ in walk_files(directory))
