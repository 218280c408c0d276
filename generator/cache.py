"""The build cache under `.archive-cache/`: named pickled mappings, one file each.

Every cache file is keyed by the tool's version and the configuration, so a
new release or an edited archive.toml never reuses stale work; entries inside
are keyed by content hashes by their users. A missing, corrupt or foreign
cache is simply empty: the cache can only make a build faster, never different.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import os
import pickle
import sys
import zlib
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from . import __version__
from ._compiled import package_files
from .config import Config

CACHE_FORMAT = 1
SHARDS = tuple(f"{number:02x}" for number in range(64))
"""Suffixes of a sharded cache's files: an edit rewrites the one shard its key falls in (at
10,000 entries a shard of the entries cache is a megabyte: rewriting it is most of what an
edit costs to save, and 64 files load about as fast as 16)."""

# Mappings loaded with keep=True, by file: (size, mtime_ns) when loaded or saved, the mapping.
# A long-running `archive serve` builds again and again in one process; re-reading
# tens of megabytes of pickles on every save would cost more than the rebuild.
_KEPT: dict[Path, tuple[tuple[int, int, int], dict[str, Any]]] = {}


def shard_of(key: str) -> str:
    """The shard a key belongs to (stable across runs, unlike hash())."""
    return SHARDS[zlib.crc32(key.encode("utf-8", "surrogatepass")) % len(SHARDS)]


def file_stamp(path: Path) -> tuple[int, int, int] | None:
    """(size, mtime_ns, inode) of the file at `path`, None when there is none: what tells a
    cache file saved again (by any process) from the one read before."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return (info.st_size, info.st_mtime_ns, info.st_ino)


@functools.cache
def code_fingerprint() -> str:
    """A hash of this package's files (code, scripts, styles) and of the state of the
    directories packages are installed in: another checkout, or any package installed,
    upgraded or removed, builds anew."""
    digest = hashlib.sha256(f"{sys.version}|".encode())
    for relative, path in package_files(Path(__file__).resolve().parent):
        if relative.endswith((".pyc", ".pyo")):
            continue
        digest.update(f"{relative}\0".encode("utf-8", "surrogatepass"))
        try:
            with open(path, "rb") as handle:
                digest.update(handle.read())
        except OSError:  # (a dangling link, say): its name is hashed, and the build goes on
            digest.update(b"\0unreadable")
    # Installing a package adds its metadata folder to one of these: the folder's mtime moves.
    for entry in sys.path:
        if os.path.basename(entry.rstrip("/")) not in ("site-packages", "dist-packages"):
            continue  # the working directory, a checkout: their mtime moves with any file
        try:
            digest.update(f"|{entry}|{os.stat(entry or '.').st_mtime_ns}".encode("utf-8", "surrogatepass"))
        except OSError:
            continue
    return digest.hexdigest()


_FREEZING = [0]
"""Blocks of `frozen_loads` under way in this process (builds)."""


@contextlib.contextmanager
def frozen_loads() -> Iterator[None]:
    """Inside the block, what a cache load unpickles is left out of later cycle collections;
    on leaving it, everything is collectable again (gc.unfreeze). `build` runs in one.

    A one-entry rebuild loads tens of megabytes of cached objects that live until it ends:
    the young collections that follow would walk them all again (50 ms of a rebuild at
    10,000 entries). gc.freeze takes everything alive at the time, garbage not yet collected
    too, which then waits for the end of the block: one build's worth at most. Loads outside
    such a block (archive check, tests) freeze nothing.
    """
    _FREEZING[0] += 1
    try:
        yield
    finally:
        _FREEZING[0] -= 1
        if not _FREEZING[0]:
            gc.unfreeze()


@contextlib.contextmanager
def no_collection() -> Iterator[None]:
    """No cycle collection inside the block, here and in the workers forked in it: for work that
    makes hundreds of thousands of objects and no garbage, where collections only walk the new
    objects again and again. Unpickling a cache (a third of the time of loading a 10,000-entry
    archive's entries) and normalizing (10,000 page dumps: a collection every 100,000 new drafts'
    objects, 40-70 ms each, not one object freed). When the block succeeds inside `frozen_loads`,
    what it made is frozen (before a collection can walk it)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
        if _FREEZING[0]:
            gc.freeze()
    finally:
        if enabled:
            gc.enable()


class BuildCache:
    """Load and save named caches for one configuration and one version of the code: what
    another version pickled (classes with other fields, other results) is never read."""

    def __init__(self, config: Config) -> None:
        self.directory = config.cache_dir
        self.key = hashlib.sha256(
            f"{__version__}|{CACHE_FORMAT}|{code_fingerprint()}|{config.site!r}|{config.paths!r}|"
            f"{config.normalize!r}".encode("utf-8", "surrogatepass")
        ).hexdigest()

    def _path(self, name: str) -> Path:
        return self.directory / f"{name}.pickle"

    def path_of(self, name: str) -> Path:
        """The file a mapping is saved in (to tell, by its stat, whether it was saved again)."""
        return self._path(name)

    def load(self, name: str, keep: bool = False) -> dict[str, Any]:
        """The saved mapping, or an empty one when there is none usable.

        With `keep`, the mapping stays in memory and the next load in this
        process returns the same object while the file is unchanged: the caller
        must save what it changes in it (or not change it).
        """
        path = self._path(name)
        if keep:
            kept = _KEPT.get(path)
            if kept is not None and kept[0] == file_stamp(path):
                return kept[1]
        try:
            with open(path, "rb") as handle, no_collection():
                key, data = pickle.load(handle)  # noqa: S301 - our own file, in the project
        except (OSError, pickle.PickleError, EOFError, ValueError, TypeError, AttributeError, ImportError):
            return {}
        if key != self.key or not isinstance(data, dict):
            return {}
        if keep:
            stamp = file_stamp(path)
            if stamp is not None:
                _KEPT[path] = (stamp, data)
        return data

    def drop(self, name: str) -> None:
        """Forget a saved mapping."""
        path = self._path(name)
        _KEPT.pop(path, None)
        try:
            path.unlink()
        except OSError:
            pass

    def save(self, name: str, data: dict[str, Any], encode: Callable[[Any], Any] | None = None) -> None:
        """Write atomically; a cache that cannot be written is skipped silently. `encode`: what
        each value is written as (a process that keeps `data` keeps it as it is)."""
        path = self._path(name)
        temp = path.with_suffix(f".tmp-{os.getpid()}")
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            # Pickled whole, then written in one call: pickle.dump would write it a frame (64 KiB)
            # at a time, each write letting go of the interpreter lock, and a save made beside
            # other threads (the site's writers) waits for it again after every frame.
            written = data if encode is None else {key: encode(value) for key, value in data.items()}
            pickled = pickle.dumps((self.key, written), protocol=pickle.HIGHEST_PROTOCOL)
            with open(temp, "wb") as handle:
                handle.write(pickled)
            os.replace(temp, path)
        except (OSError, pickle.PickleError, TypeError, AttributeError):
            temp.unlink(missing_ok=True)
            return
        if path in _KEPT:
            stamp = file_stamp(path)
            if stamp is None:
                del _KEPT[path]
            else:
                _KEPT[path] = (stamp, data)

    def load_sharded(self, name: str, keep: bool = False) -> tuple[dict[str, Any], dict[str, frozenset[str]]]:
        """A mapping saved by `save_sharded`, and the keys each shard held (pass them back to it)."""
        merged: dict[str, Any] = {}
        held: dict[str, frozenset[str]] = {}
        for shard in SHARDS:
            part = self.load(f"{name}-{shard}", keep=keep)
            merged.update(part)
            held[shard] = frozenset(part)
        return merged, held

    def save_sharded(self, name: str, data: Mapping[str, Any], held: Mapping[str, frozenset[str]],
                     shard: Callable[[str], str] = shard_of, encode: Callable[[Any], Any] | None = None) -> None:
        """Save `data` in SHARDS files, a key in shard `shard(key)`, rewriting only shards whose
        keys changed (pass `held={}` to rewrite them all); `encode`: as for `save`.

        Values must be determined by their keys (content-hash keys): a shard
        holding the same keys as when loaded is not written again.
        """
        parts: dict[str, dict[str, Any]] = {suffix: {} for suffix in SHARDS}
        for key, value in data.items():
            parts[shard(key)][key] = value
        for suffix, part in parts.items():
            if held.get(suffix) != frozenset(part):
                self.save(f"{name}-{suffix}", part, encode)
