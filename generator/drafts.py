"""Sources -> drafts, re-normalizing only the sources that changed.  [pure, but for the build cache]

`normalize_all` costs a few milliseconds a page: a minute for 10,000 page
dumps, on every build. Yet a source's drafts depend only on its own text, the
configuration that applies to it, the normalizer's code, and one thing shared
by all sources: the lines that recur across many of them (menus, footers),
which are noise. So each source is keyed by

    normalizer code | its settings | its path and digest | the recurring lines it contains

and its drafts (and problem) are kept in the build cache under that key. The
recurring lines are counted afresh on every build from each source's short
lines, which are cached by digest too; a new source that makes a line
recurring changes the key of exactly the sources holding that line. Drafts
of all sources are then merged (duplicates) as `normalize_all` does, so the
result is the same list, in the same order, as `normalize_all(sources)`.

Lines that recur are short by construction (noise.short_line_keys), so only
a source's short lines can be recurring noise in it: the key needs no more.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import cache, partial
from pathlib import Path
from typing import Any, NamedTuple

from . import __version__
from .cache import BuildCache, no_collection
from .config import Config
from .models import Entry, Problem, SourceDocument, SourceKind
from .parallel import fork_one, parallel_map

CACHE_NAME = "drafts"


@cache
def normalizer_version() -> str:
    """A hash of the normalizer's code: an edit of it (or a new release) voids every cached draft."""
    package = Path(__file__).resolve().parent
    digest = hashlib.sha256(__version__.encode())
    for path in sorted([*(package / "normalize").glob("*.py"), package / "models.py", package / "drafts.py"]):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def source_key(doc: SourceDocument, config: Config, recurring_here: Sequence[str]) -> str:
    """Everything a source's drafts depend on, hashed (the configuration beyond its hints is in the
    build cache's own key)."""
    parts = (normalizer_version(), repr(config.hints_for(doc.path)), doc.path, doc.kind.value, doc.digest,
             *sorted(recurring_here))
    return hashlib.sha256("\x00".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


class MergedDrafts(Sequence[Entry]):
    """The drafts with duplicates merged, made when first read: a sync that replays its last
    plan (nothing changed) never reads them, and loading and merging tens of thousands of
    drafts costs seconds."""

    def __init__(self, unmerged: Callable[[], list[Entry]]) -> None:
        self._unmerged: Callable[[], list[Entry]] | None = unmerged
        self._merged: list[Entry] | None = None

    def unmerged(self) -> list[Entry]:
        """The drafts before merging (read once: call this instead of reading the merged ones)."""
        assert self._unmerged is not None, "already merged"
        found, self._unmerged = self._unmerged(), None
        return found

    def _items(self) -> list[Entry]:
        if self._merged is None:
            from .normalize.dedupe import merge_duplicates

            assert self._unmerged is not None
            self._merged, self._unmerged = merge_duplicates(self._unmerged()), None
        return self._merged

    def __len__(self) -> int:
        return len(self._items())

    def __getitem__(self, index: Any) -> Any:
        return self._items()[index]

    def __iter__(self) -> Iterator[Entry]:
        return iter(self._items())

    def __eq__(self, other: object) -> bool:
        return list(self) == list(other) if isinstance(other, Sequence) else NotImplemented

    __hash__ = None  # type: ignore[assignment]


def _saved() -> None:
    """Drafts saved already (or not to be)."""


class Drafts(NamedTuple):
    """What normalize_cached made."""

    entries: Sequence[Entry]
    """Merged as normalize_all merges them (on first use)."""
    problems: list[Problem]
    key: str
    """A hash of every source's key: equal keys, equal drafts."""
    saved: Callable[[], None] = _saved
    """Waits until the drafts are in the build cache (another process may be saving them)."""
    afresh: Sequence[Entry] = ()
    """Every draft, in source order and before duplicates are merged, when this call normalized
    every source (none came from the cache); else empty."""
    beside: bool = False
    """True when `drafted` (see normalize_cached) started work in another process."""


SAVE_BESIDE_MIN = 1000
"""Fresh drafts from which a cold normalize has them saved in another process."""


SUMMARY_NAME = f"{CACHE_NAME}-summary"


def sources_digest(sources: Sequence[SourceDocument]) -> str:
    """A hash of the normalizer's code and every source's path, kind and digest: all the drafts
    depend on, besides the configuration (in the build cache's key)."""
    listed = "\n".join(sorted(f"{doc.path}\x00{doc.kind.value}\x00{doc.digest}" for doc in sources))
    return hashlib.sha256(f"{normalizer_version()}\n{listed}".encode("utf-8", "surrogatepass")).hexdigest()


Drafted = Callable[[Sequence[Entry], Callable[[], None]], bool]
"""Told every draft made afresh and how to save them to the cache; True when it started work in
another process, which then saves them too (after its own work: see parallel.answer_first)."""


def short_keys_of(text: str) -> frozenset[str]:
    """A source's short line keys (normalize.noise.short_line_keys; the normalizer is imported
    when first needed): what a caller reading the sources may work out as it reads them (see
    ingest.read_sources's `extra`) and hand to normalize_cached as `short_keys`."""
    from .normalize.noise import short_line_keys

    return short_line_keys(text)


def normalize_cached(sources: Sequence[SourceDocument], config: Config, store: BuildCache | None,
                     jobs: int | None = None, drafted: Drafted | None = None,
                     short_keys: Mapping[str, frozenset[str]] | None = None) -> Drafts:
    """`normalize_all(sources, config)`, reusing the cached drafts of every source whose key is unchanged.

    `drafted` is called when every source was normalized afresh (none came from the cache).
    `short_keys`: short_keys_of the text of sources (by path), when the caller has them.

    The cache is in three parts: per source its digest, short lines, key and problem
    (`drafts`), its drafts (`drafts-entries`, the bulk, read only when the drafts are:
    see MergedDrafts), and the key and problems of the whole last result
    (`drafts-summary`): when no source changed, that is all a build reads.
    """
    if not sources:
        return Drafts([], [], hashlib.sha256(b"").hexdigest())  # and the normalizer is not even imported
    if store is None:
        return _normalize_cached(sources, config, None, jobs, short_keys=short_keys)
    digest = sources_digest(sources)
    summary = store.load(SUMMARY_NAME, keep=True)
    if summary.get("sources") == digest:
        # The same sources as last time: the same drafts, made (from the cache) only if read.
        def unmerged() -> list[Entry]:
            made = _normalize_cached(sources, config, store, jobs, short_keys=short_keys).entries
            assert isinstance(made, MergedDrafts)
            return made.unmerged()

        return Drafts(MergedDrafts(unmerged), list(summary["problems"]), summary["key"])
    drafts = _normalize_cached(sources, config, store, jobs, drafted, short_keys)
    store.save(SUMMARY_NAME, {"sources": digest, "key": drafts.key, "problems": drafts.problems})
    return drafts


def _normalize_cached(sources: Sequence[SourceDocument], config: Config, store: BuildCache | None,
                      jobs: int | None = None, drafted: Drafted | None = None,
                      short_keys: Mapping[str, frozenset[str]] | None = None) -> Drafts:
    from .ingest import read_again
    from .normalize import normalize_source
    from .normalize.noise import noise_keys, recurring_keys, short_line_keys

    ordered = sorted(sources, key=lambda d: d.path)
    if store is not None:
        memo, held = store.load_sharded(CACHE_NAME, keep=True)
    else:
        memo, held = {}, {}
    # path -> {"digest", "short", "key", "problem"}
    records: dict[str, dict[str, Any]] = {}
    given = short_keys if short_keys is not None else {}
    for doc in ordered:
        old = memo.get(doc.path)
        record = records[doc.path] = (dict(old) if old is not None and old["digest"] == doc.digest
                                      else {"digest": doc.digest})
        if "short" not in record and doc.read and doc.path in given:
            record["short"] = given[doc.path]  # worked out as the source was read

    def with_text(doc: SourceDocument) -> SourceDocument:
        return read_again(doc, config.sources_dir, config.root)

    # Sources whose short lines are not known are read now, once: normalizing them reuses the text.
    unknown = [with_text(doc) for doc in ordered if "short" not in records[doc.path]]
    read_now = {doc.path: doc for doc in unknown}
    ordered = [read_now.get(doc.path, doc) for doc in ordered]
    with no_collection():  # the normalizer makes no reference cycles, and its results are all kept
        shorts = parallel_map(short_line_keys, [d.text for d in unknown], jobs)
    for doc, keys in zip(unknown, shorts):
        records[doc.path]["short"] = keys
    recurring = recurring_keys([records[d.path]["short"] for d in ordered if d.kind is SourceKind.TEXT])
    noise = noise_keys(config.normalize.noise) | recurring
    normalize_source_ = partial(normalize_source, config=config, noise=noise)

    def normalize_one(doc: SourceDocument) -> tuple[list[Entry], Problem | None]:
        made = normalize_source_(with_text(doc))
        for entry in made[0]:
            entry.word_count  # counted here, in the worker, and kept: the front matter and the page need it
        return made

    stale: list[SourceDocument] = []
    for doc in ordered:
        record = records[doc.path]
        key = source_key(doc, config, sorted(record["short"] & recurring))
        if record.get("key") != key:
            record.update(key=key, problem=None)
            stale.append(doc)
    fresh: dict[str, tuple[Entry, ...]] = {}
    with no_collection():
        made = parallel_map(normalize_one, stale, jobs)
    for doc, (found, problem) in zip(stale, made):
        records[doc.path]["problem"] = problem
        fresh[doc.path] = tuple(found)
    problems = [records[doc.path]["problem"] for doc in ordered if records[doc.path]["problem"] is not None]
    afresh = [entry for doc in ordered for entry in fresh[doc.path]] if len(fresh) == len(ordered) else []
    saving = None
    beside = False
    if store is not None and (stale or unknown or set(memo) != set(records)):
        gone = [path for path in memo if path not in records]
        unchanged_shards = held if not (stale or unknown) else _changed(held, stale, unknown)

        def save() -> None:
            # Drafts first: killed in between, the index still says "stale" and they are made again.
            _save_entries(store, fresh, gone)
            store.save_sharded(CACHE_NAME, records, unchanged_shards)

        # Every source normalized afresh: the process `drafted` starts saves them after its own
        # work, else, for many of them, one of their own (pickling them takes a second at 10,000
        # sources, which another process spends while this one syncs content/; nothing here reads
        # the cache back: every draft is in `fresh`). One process fewer beside the sync: 12.73 s
        # against 12.89 s, CPU 23.4 against 23.8 s (5 alternating cold builds of 10,000 page dumps).
        beside = drafted is not None and bool(afresh) and drafted(afresh, save)
        if not beside:
            saving = fork_one(save, jobs) if len(fresh) == len(ordered) >= SAVE_BESIDE_MIN else None
            if saving is None:
                save()
    elif drafted is not None and afresh:
        beside = drafted(afresh, _saved)

    def unmerged() -> list[Entry]:
        saved = _load_entries(store) if store is not None and len(fresh) < len(ordered) else {}
        entries: list[Entry] = []
        for doc in ordered:
            found = fresh.get(doc.path)
            if found is None:
                found = saved.get(doc.path)
            if found is None:  # the cache lost them (a file removed by hand): normalize again
                found = tuple(normalize_one(doc)[0])
            entries.extend(found)
        return entries

    key = hashlib.sha256("\n".join(records[doc.path]["key"] for doc in ordered).encode()).hexdigest()
    saved = _saved
    if saving is not None:
        saver = saving

        def saved() -> None:
            saver.result()  # answered once the drafts are saved
            saver.join()  # and then it ends: reaped here, not left a zombie until this process exits

    return Drafts(MergedDrafts(unmerged), problems, key, saved, afresh, beside)


ENTRIES_NAME = f"{CACHE_NAME}-entries"


def _load_entries(store: BuildCache) -> dict[str, tuple[Entry, ...]]:
    return store.load_sharded(ENTRIES_NAME, keep=True)[0]


def _save_entries(store: BuildCache, fresh: dict[str, tuple[Entry, ...]], gone: Sequence[str]) -> None:
    """Put the fresh drafts in their shards and drop those of sources gone; other shards are not read."""
    from .cache import shard_of

    removed = frozenset(gone)
    by_shard: dict[str, dict[str, tuple[Entry, ...]]] = {shard_of(path): {} for path in removed}
    for path, found in fresh.items():
        by_shard.setdefault(shard_of(path), {})[path] = found
    for shard, fresh_here in sorted(by_shard.items()):
        name = f"{ENTRIES_NAME}-{shard}"
        part = {path: found for path, found in store.load(name, keep=True).items() if path not in removed}
        part.update(fresh_here)
        store.save(name, part)


def _changed(held: dict[str, frozenset[str]], *docs: Sequence[SourceDocument]) -> dict[str, frozenset[str]]:
    """`held` without the shards of changed sources: save_sharded rewrites a shard whose keys
    changed, and a source re-normalized under its old path keeps its key but not its value."""
    from .cache import shard_of

    dirty = {shard_of(doc.path) for group in docs for doc in group}
    return {shard: keys for shard, keys in held.items() if shard not in dirty}
