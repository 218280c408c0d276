"""The renderer's memory between builds: its RenderMemo and a manifest of site/.  [reads site/, writes the cache]

A page is reused only if its context fingerprint is unchanged *and* the file
the previous build wrote for it is still there untouched. The memo records
fingerprints, not page bytes (they would double the site's size on disk):
the file in site/ is kept as it is (`vouch`; the write links it into the new
tree without reading it), trusted only while the file's size, modification
time and inode are those the manifest recorded right after the write. A
hand-edited or deleted output file is therefore rendered again, and a memo is
only ever saved together with the site it describes (after a successful
write), so it can never vouch for a page that was not written. The manifest
after a write is the previous one for the kept files plus a stat of the
others (`manifest_after`), not a walk of the whole tree.

Bodies and fragments (tens of megabytes) are kept in a blob file each, with
a small index of where every value lies (`_Stored`): a build reads only the
values it uses, and a rebuild after one edit appends the few new ones and
rewrites only the index. Values no longer used stay in the blob until they
are half of it; then it is written again with only the used ones.
"""

from __future__ import annotations

import mmap
import os
import pickle
import time
import weakref
from array import array
from collections import ChainMap
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .cache import BuildCache, file_stamp
from .config import Config
from .models import Problem
from .render import RenderMemo
from .write import walk_files

Stat = tuple[int, int, int]


@dataclass(frozen=True)
class RenderState:
    """What the last successful build left: its memo, its inputs and its site's manifest."""

    memo: RenderMemo = field(default_factory=RenderMemo)
    inputs: str = ""
    """Digest of the content files the site was built from."""
    manifest: Mapping[str, Stat] = field(default_factory=dict)
    """Every file of site/ -> (size, mtime_ns, inode) right after the write."""
    problems: tuple[Problem, ...] = ()
    """The render's problems, repeated when the site is reused whole."""
    structure: str = ""
    """Token of the saved structure part of the memo (see _STRUCTURE) that goes with it."""
    saved: Stat | None = None
    """(size, mtime_ns, inode) of the file it was loaded from (None: not known to be one file)."""


@dataclass(frozen=True)
class SiteCheck:
    """How site/ compares with the manifest of the saved render state (see check_site)."""

    saved: Stat
    """The state's RenderState.saved: a check is valid for that state only."""
    touched: frozenset[str] | None = None
    """Paths of the manifest whose file in site/ is not the one recorded (or is gone); None: not looked at."""
    added: bool | None = None
    """Whether site/ holds files the manifest does not; None: not looked at."""


TOUCHED, ADDED = "touched", "added"


def check_site(config: Config, look: str) -> SiteCheck | None:
    """site/ against the manifest of the saved render state, for the files it `look`s at
    (TOUCHED: the stat of every file of the manifest; ADDED: the names of every file there
    is); None without a state or a site/.

    Made in processes forked as a build starts (see build): at 10,000 entries, site/ is
    16,000 files in 5,000 folders, whose stats took a twentieth of a second of the one core a
    rebuild runs on, and walking its folders (which only a build with nothing to do needs:
    files added) twice that."""
    state = load_state(config, bodies=False)
    if state.saved is None or not state.manifest or not config.output_dir.is_dir():
        return None
    try:
        if look == ADDED:
            present = frozenset(path for path, _ in walk_files(config.output_dir))
            return SiteCheck(state.saved, added=not present <= state.manifest.keys())
        unchanged = vouch(state, config.output_dir)
        return SiteCheck(state.saved, touched=frozenset(path for path in state.manifest if not unchanged(path)))
    except OSError:
        return None


def _valid(check: SiteCheck | None, state: RenderState) -> SiteCheck | None:
    return check if check is not None and state.saved is not None and check.saved == state.saved else None


class _Stored(Mapping[str, Any]):
    """A mapping saved by `_save_store`: its keys in memory, each value read (and unpickled)
    from the blob file when asked for. Only ever read: a render adds to a ChainMap over it."""

    def __init__(self, blob: Path, size: int, keys: list[str], spans: array) -> None:  # type: ignore[type-arg]
        self.blob = blob
        self.size = size
        """Bytes of the blob this index describes (it may have grown since)."""
        self.spans = spans
        """(offset, length) of every value, in the order of `keys`."""
        self.index = dict(zip(keys, range(len(keys))))
        self._map: mmap.mmap | None = None

    def __getitem__(self, key: str) -> Any:
        at = self.index[key]
        if self._map is None:
            with open(self.blob, "rb") as handle:
                self._map = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
            weakref.finalize(self, self._map.close)
        offset, length = self.spans[2 * at], self.spans[2 * at + 1]
        return pickle.loads(self._map[offset:offset + length])  # noqa: S301 - our own file, in the cache

    def __contains__(self, key: object) -> bool:
        return key in self.index

    def __iter__(self) -> Iterator[str]:
        return iter(self.index)

    def __len__(self) -> int:
        return len(self.index)


def _load_store(cache: BuildCache, name: str) -> Mapping[str, Any]:
    """The mapping `_save_store` saved under `name`, or an empty one."""
    head = cache.load(name)
    try:
        blob = cache.directory / head["blob"]
        size, keys, spans = head["size"], head["keys"], array("q", head["spans"])
        if len(spans) != 2 * len(keys) or os.stat(blob).st_size < size or (keys and size == 0):
            return {}
    except (KeyError, TypeError, ValueError, OSError):
        return {}
    return _Stored(blob, size, keys, spans)


def _save_store(cache: BuildCache, name: str, values: Mapping[str, Any], old: Mapping[str, Any] | None) -> None:
    """Save `values` under `name`. With `old` (a `_Stored`, or a ChainMap ending in one, whose
    values are still right), the values it holds are not written again: new ones are
    appended to its blob, unless the blob would then be more than half unused."""
    stored = old.maps[-1] if isinstance(old, ChainMap) else old
    if not isinstance(stored, _Stored):
        stored = None
    if stored is not None and isinstance(values, ChainMap) and values.maps[-1] is stored:
        # A rebuild's: the stored values and a few more, appended (nothing becomes unused).
        extra = [key for part in values.maps[:-1] for key in part if key not in stored.index]
        _append_store(cache, name, stored, dict(zip(extra, map(values.__getitem__, extra))))
        return
    keys = list(values)
    spans = array("q", bytes(16 * len(keys)))
    fresh: list[int] = []
    live = 0
    for at, key in enumerate(keys):
        where = stored.index.get(key) if stored is not None else None
        if stored is None or where is None:
            fresh.append(at)
        else:
            spans[2 * at], spans[2 * at + 1] = stored.spans[2 * where], stored.spans[2 * where + 1]
            live += spans[2 * at + 1]
    try:
        cache.directory.mkdir(parents=True, exist_ok=True)
        if stored is not None and (not keys or live * 2 >= stored.size):
            blob, size, mode = stored.blob, os.stat(stored.blob).st_size, "ab"
        else:
            blob, size, mode = cache.directory / f"{name}-{os.getpid()}-{time.time_ns()}.blob", 0, "wb"
            fresh = list(range(len(keys)))
    except OSError:
        return
    written = _write_values(blob, mode, size, (values[keys[at]] for at in fresh))
    if written is None:
        return
    size = written[1]
    for at, (offset, length) in zip(fresh, written[0]):
        spans[2 * at], spans[2 * at + 1] = offset, length
    cache.save(name, {"blob": blob.name, "size": size, "keys": keys, "spans": spans.tobytes()})
    if mode == "wb":  # the blob it replaces, and the shards of older versions
        for other in [*cache.directory.glob(f"{name}-*.blob"), *cache.directory.glob(f"{name}-?.pickle")]:
            if other.name != blob.name:
                other.unlink(missing_ok=True)


def _write_values(blob: Path, mode: str, size: int,
                  values: Iterable[Any]) -> tuple[list[tuple[int, int]], int] | None:
    """Pickle `values` one after another into `blob` (opened with `mode`; `size` bytes long
    before): each one's (offset, length) and the blob's new size, or None when that failed."""
    spans: list[tuple[int, int]] = []
    try:
        with open(blob, mode) as handle:
            for value in values:
                data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
                handle.write(data)
                spans.append((size, len(data)))
                size += len(data)
    except (OSError, pickle.PickleError, TypeError, AttributeError):
        return None
    return spans, size


def _append_store(cache: BuildCache, name: str, stored: _Stored, extra: Mapping[str, Any]) -> None:
    """Save `stored` plus `extra` (keys it does not hold) by appending these to its blob."""
    if not extra:
        return  # the saved index still says it all
    keys = [*stored.index, *extra]
    spans = array("q", stored.spans)
    try:
        size = os.stat(stored.blob).st_size
    except OSError:
        return
    written = _write_values(stored.blob, "ab", size, extra.values())
    if written is None:
        return
    size = written[1]
    for offset, length in written[0]:
        spans.extend((offset, length))
    cache.save(name, {"blob": stored.blob.name, "size": size, "keys": keys, "spans": spans.tobytes()})


def load_state(config: Config, bodies: bool = True) -> RenderState:
    """The saved state, or an empty one (everything is rendered) when there is none usable.

    Without `bodies`, the memo's bodies and fragments (the bulk of it) are left
    out: enough to tell whether the site is already up to date; `with_bodies`
    adds them.
    """
    cache = BuildCache(config)
    before = file_stamp(cache.path_of("render"))
    head = cache.load("render")
    after = file_stamp(cache.path_of("render"))
    try:
        memo = RenderMemo(key=head["key"], pages=head["pages"], others=tuple(head["others"]),
                          versions=head["versions"])
        state = RenderState(memo, head["inputs"], head["manifest"], tuple(head["problems"]), head["structure"],
                            before if before == after else None)
    except (KeyError, TypeError):
        return RenderState()
    return with_bodies(config, state) if bodies else state


def with_bodies(config: Config, state: RenderState) -> RenderState:
    """`state` with the rest of its memo loaded: what the archive's structure gave (order,
    taxonomies ...) and the bodies and fragments (read one by one when used)."""
    if not state.memo.key:
        return state
    cache = BuildCache(config)
    structure = cache.load("render-structure")
    try:
        if structure["token"] != state.structure:
            raise KeyError("token")  # not the structure of this memo's render
        memo = replace(state.memo, order=tuple(structure["order"]), shapes=structure["shapes"],
                       taxonomies=structure["taxonomies"], taxonomy_problems=tuple(structure["taxonomy_problems"]),
                       taxonomy_signatures=structure["taxonomy_signatures"], related=structure["related"],
                       teasers=structure["teasers"], undated=tuple(structure["undated"]))
    except (KeyError, TypeError):
        memo = state.memo  # no order: a full render (whose pages and bodies may still be reused)
    memo = replace(memo, markdown=_load_store(cache, "render-markdown"),
                   fragments=_load_store(cache, "render-fragments"))
    return replace(state, memo=memo)


_STRUCTURE = ("order", "shapes", "taxonomies", "taxonomy_problems", "taxonomy_signatures", "related", "teasers",
              "undated")
"""RenderMemo fields that change only when the archive's structure does: saved apart, and only then."""


def manifest_of(output_dir: Path) -> dict[str, Stat]:
    """(size, mtime_ns, inode) of every file under output_dir, by relative path."""
    manifest: dict[str, Stat] = {}
    for path, item in walk_files(output_dir):
        info = item.stat(follow_symlinks=False)
        manifest[path] = (info.st_size, info.st_mtime_ns, info.st_ino)
    return manifest


def previous_reader(state: RenderState, output_dir: Path) -> Callable[[str], bytes | None]:
    """`previous` for render_site: a file's bytes while site/ still holds what the last build wrote."""

    root = str(output_dir)

    def previous(path: str) -> bytes | None:
        recorded = state.manifest.get(path)
        if recorded is None:
            return None
        try:
            descriptor = os.open(os.path.join(root, path), os.O_RDONLY)
        except OSError:
            return None
        try:
            info = os.fstat(descriptor)
            if (info.st_size, info.st_mtime_ns, info.st_ino) != recorded:
                return None
            data = os.read(descriptor, recorded[0] + 1)
        except OSError:
            return None
        finally:
            os.close(descriptor)
        return data if len(data) == recorded[0] else None

    return previous


def vouch(state: RenderState, output_dir: Path, check: SiteCheck | None = None) -> Callable[[str], bool]:
    """`unchanged` for render_site: True while a file of site/ is the one the last build wrote (by its
    stat). `check`: check_site's, when made (its answers are used if made for this state)."""
    valid = _valid(check, state)
    if valid is not None and valid.touched is not None:
        manifest, touched = state.manifest, valid.touched
        return lambda path: path in manifest and path not in touched

    root = str(output_dir)
    try:
        # Paths looked up from an open site/ directory: the kernel walks a few components, not the whole path.
        directory: int | None = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        directory = None

    def unchanged(path: str) -> bool:
        recorded = state.manifest.get(path)
        if recorded is None or directory is None:
            return False
        try:
            info = os.stat(path, dir_fd=directory, follow_symlinks=False)
        except (OSError, ValueError):
            return False
        return (info.st_size, info.st_mtime_ns, info.st_ino) == recorded

    if directory is not None:
        weakref.finalize(unchanged, os.close, directory)
    return unchanged


def manifest_after(old: Mapping[str, Stat], same: Iterable[str], written: Iterable[str],
                   output_dir: Path) -> dict[str, Stat]:
    """The manifest of site/ right after a write that kept the files at `same` (vouched for by
    `old`) and wrote or linked those at `written`: only the latter are looked at."""
    manifest = {path: old[path] for path in same}
    root = str(output_dir)
    for path in written:
        info = os.stat(os.path.join(root, path), follow_symlinks=False)
        manifest[path] = (info.st_size, info.st_mtime_ns, info.st_ino)
    return manifest


def site_unchanged(state: RenderState, output_dir: Path, check: SiteCheck | None = None) -> bool:
    """True when site/ is exactly the tree the manifest recorded (no file added, removed or
    touched). `check`: check_site's, when made (used if made for this state)."""
    if not state.manifest or not output_dir.is_dir():
        return False
    valid = _valid(check, state)
    if valid is not None and valid.touched is not None and valid.added is not None:
        return not valid.touched and not valid.added
    try:
        return manifest_of(output_dir) == state.manifest
    except OSError:
        return False


def save_memo(config: Config, old: RenderState, memo: RenderMemo) -> str:
    """Save what a render made that does not depend on site/ (bodies, fragments, structure);
    returns the structure's token, for save_state. Done before the site is written, or by
    save_state itself."""
    cache = BuildCache(config)
    same_key = old.memo.key == memo.key  # fragments made under another key are other values
    _save_store(cache, "render-markdown", memo.markdown, old.memo.markdown if same_key else None)
    _save_store(cache, "render-fragments", memo.fragments, old.memo.fragments if same_key else None)
    structure = old.structure
    if not structure or any(getattr(memo, name) != getattr(old.memo, name) for name in _STRUCTURE):
        # (Equal when a rebuild reused them: the same objects, compared by identity first.)
        structure = f"{os.getpid()}-{time.time_ns()}"
        cache.save("render-structure", {"token": structure, **{name: getattr(memo, name) for name in _STRUCTURE}})
    return structure


def save_state(config: Config, old: RenderState, memo: RenderMemo, inputs: str,
               problems: tuple[Problem, ...], output_dir: Path,
               manifest: Mapping[str, Stat] | None = None, structure: str | None = None) -> None:
    """Record a render whose files were just written to output_dir (whose `manifest`, if known).
    `structure`: what save_memo returned for this render, when it was called already."""
    cache = BuildCache(config)
    if structure is None:
        structure = save_memo(config, old, memo)
    cache.save("render", {"key": memo.key, "pages": dict(memo.pages), "inputs": inputs, "others": list(memo.others),
                          "versions": dict(memo.versions), "structure": structure,
                          "manifest": dict(manifest) if manifest is not None else manifest_of(output_dir),
                          "problems": list(problems)})
