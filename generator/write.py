"""The only writer of site/: stage the whole new tree, then swap it in at once.

A build never writes into the live output directory. It stages the new tree in
a sibling directory (`.site.staging-*`), hard-linking every file whose bytes
did not change from the live tree (so unchanged files keep their inode and
modification time, and a rebuild costs only what changed), then exchanges
the two directories with one `renameat2(RENAME_EXCHANGE)` call where Linux
offers it (two renames elsewhere). A build that fails or is killed before the
swap leaves the previous site exactly as it was; leftovers are swept away by
the next build.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .models import OutputFile, Problem
from .urls import safe_relative

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


@dataclass(frozen=True)
class WriteReport:
    """What writing the site changed."""

    written: int
    """Files whose bytes are new or changed."""
    unchanged: int
    """Files carried over untouched from the previous build."""
    removed: int
    """Files of the previous build that no longer exist."""


def find_collisions(files: Sequence[OutputFile]) -> tuple[list[OutputFile], list[Problem]]:
    """Drop unsafe paths and second claims on one path, before anything is written."""
    kept: list[OutputFile] = []
    problems: list[Problem] = []
    seen: set[str] = set()
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
        kept.append(OutputFile(path, item.data))
    return kept, problems


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two directories; False when the platform cannot."""
    libc_name = ctypes.util.find_library("c")
    if not libc_name or not hasattr(os, "O_DIRECTORY"):
        return False
    try:
        libc = ctypes.CDLL(libc_name, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return bool(result == 0)


def sweep_leftovers(output_dir: Path) -> None:
    """Remove staging and retired trees that an interrupted build left behind."""
    parent = output_dir.parent
    if not parent.is_dir():
        return
    for leftover in parent.glob(f".{output_dir.name}.staging-*"):
        shutil.rmtree(leftover, ignore_errors=True)
    for leftover in parent.glob(f".{output_dir.name}.old-*"):
        shutil.rmtree(leftover, ignore_errors=True)


def write_site(files: Sequence[OutputFile], output_dir: Path) -> WriteReport:
    """Replace output_dir by exactly `files`, atomically. Paths must be safe already."""
    output_dir = output_dir.absolute()
    sweep_leftovers(output_dir)
    output_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = output_dir.parent / f".{output_dir.name}.staging-{os.getpid()}"
    staging.mkdir()
    written = unchanged = 0
    created_dirs: set[Path] = set()
    try:
        for item in files:
            relative = safe_relative(item.path)
            target = staging / relative
            directory = target.parent
            if directory not in created_dirs:
                directory.mkdir(parents=True, exist_ok=True)
                created_dirs.add(directory)
            previous = output_dir / relative
            if _same_bytes(previous, item.data):
                os.link(previous, target)
                unchanged += 1
            else:
                target.write_bytes(item.data)
                written += 1
        old_count = _count_files(output_dir)
        if output_dir.exists() and not output_dir.is_dir():
            raise NotADirectoryError(f"{output_dir} exists and is not a directory")
        if output_dir.exists():
            if _exchange(staging, output_dir):
                retired = staging
            else:
                retired = output_dir.parent / f".{output_dir.name}.old-{os.getpid()}"
                os.rename(output_dir, retired)
                os.rename(staging, output_dir)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            os.rename(staging, output_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return WriteReport(written=written, unchanged=unchanged, removed=max(0, old_count - unchanged))


def _same_bytes(path: Path, data: bytes) -> bool:
    try:
        if path.is_symlink() or not path.is_file() or path.stat().st_size != len(data):
            return False
        return path.read_bytes() == data
    except OSError:
        return False


def _count_files(directory: Path) -> int:
    if not directory.is_dir():
        return 0
    return sum(len(names) for _, _, names in os.walk(directory))
