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

Bodies and fragments are saved in shards by hash prefix, so a rebuild after
one edit rewrites two small cache files instead of all of them.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from .cache import SHARDS, BuildCache
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
    shards: Mapping[str, Mapping[str, frozenset[str]]] = field(default_factory=dict)
    """Cache name -> shard -> the keys it held, to rewrite only shards that changed."""


def _by_prefix(key: str) -> str:
    """A hex digest's shard: its first digit."""
    return key[:1] if key[:1] in SHARDS else "0"


def load_state(config: Config, bodies: bool = True) -> RenderState:
    """The saved state, or an empty one (everything is rendered) when there is none usable.

    Without `bodies`, the memo's bodies and fragments (the bulk of it) are left
    out: enough to tell whether the site is already up to date; `with_bodies`
    adds them.
    """
    cache = BuildCache(config)
    head = cache.load("render")
    try:
        memo = RenderMemo(key=head["key"], pages=head["pages"],
                          others=tuple(head["others"]), order=tuple(head["order"]), versions=head["versions"],
                          shapes=head["shapes"], taxonomies=head["taxonomies"],
                          taxonomy_problems=tuple(head["taxonomy_problems"]),
                          taxonomy_signatures=head.get("taxonomy_signatures", {}),
                          related=head.get("related", b""), teasers=head.get("teasers", 0),
                          undated=tuple(head.get("undated", ())))
        state = RenderState(memo, head["inputs"], head["manifest"], tuple(head["problems"]))
    except (KeyError, TypeError):
        return RenderState()
    return with_bodies(config, state) if bodies else state


def with_bodies(config: Config, state: RenderState) -> RenderState:
    """`state` with its memo's bodies and fragments loaded."""
    if not state.memo.key:
        return state
    cache = BuildCache(config)
    markdown, markdown_keys = cache.load_sharded("render-markdown")
    fragments, fragment_keys = cache.load_sharded("render-fragments")
    memo = replace(state.memo, markdown=markdown, fragments=fragments)
    return replace(state, memo=memo, shards={"render-markdown": markdown_keys, "render-fragments": fragment_keys})


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


def vouch(state: RenderState, output_dir: Path) -> Callable[[str], bool]:
    """`unchanged` for render_site: True while a file of site/ is the one the last build wrote (by its stat)."""

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


def site_unchanged(state: RenderState, output_dir: Path) -> bool:
    """True when site/ is exactly the tree the manifest recorded (no file added, removed or touched)."""
    if not state.manifest or not output_dir.is_dir():
        return False
    try:
        return manifest_of(output_dir) == state.manifest
    except OSError:
        return False


def save_state(config: Config, old: RenderState, memo: RenderMemo, inputs: str,
               problems: tuple[Problem, ...], output_dir: Path,
               manifest: Mapping[str, Stat] | None = None) -> None:
    """Record a render whose files were just written to output_dir (whose `manifest`, if known)."""
    cache = BuildCache(config)
    for prefix, values in (("render-markdown", memo.markdown), ("render-fragments", memo.fragments)):
        held = old.shards.get(prefix, {}) if old.memo.key == memo.key else {}
        cache.save_sharded(prefix, values, held, shard=_by_prefix)
    cache.save("render", {"key": memo.key, "pages": dict(memo.pages), "inputs": inputs, "others": list(memo.others),
                          "order": list(memo.order), "versions": dict(memo.versions), "shapes": dict(memo.shapes),
                          "taxonomies": dict(memo.taxonomies), "taxonomy_problems": list(memo.taxonomy_problems),
                          "taxonomy_signatures": dict(memo.taxonomy_signatures),
                          "related": memo.related, "teasers": memo.teasers, "undated": list(memo.undated),
                          "manifest": dict(manifest) if manifest is not None else manifest_of(output_dir), "problems": list(problems)})
