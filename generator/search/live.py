"""A rebuild after a few edits, from the last build's state: changed entries -> the new search files.  [pure]

`rebuild(...)` takes the entries, their content files' text hashes and the
state the last build left in the build cache, and returns the search output
when the edit is one it can apply in place, else None (the caller then
builds the whole index, search/__init__.py). It applies an edit when:

- the same content files are there, at most MAX_CHANGED of them changed,
  each keeps its place in the document order, its language, snippet and
  every field a result shows (so the document store is unchanged);
- no term that a changed document no longer has was first met there while a
  later document has it (its key would move to that document);
- the shards keep their number.

Terms new to the archive, or gone from it, change the term list; a term's
key (encode.KEY_SPAN: its first document and place there) changes only when
that place is in an edited document.

Then only the terms whose postings changed (their frequency in an edited
document) get new entries: their postings come from the term store
(`search-postings-<n>`, each term's (field, document, frequency) list as the
full build that wrote it saw them) with the documents edited since patched in
(the live state keeps their postings), and only the shards holding them are
written again (the other terms of those shards come from the last shard
files, kept in `search-files-<n>` by path). An edit that changes a
document's field lengths rewrites its length file and the manifest's totals:
the shards hold frequencies, and the browser scores them with the lengths
(so lunr's average field length, which every score depends on, is not baked
into every shard). The result is byte for byte what a cold build gives;
tests/unit/test_search_incremental.py checks it.

The state: `search-live` (written by a full build: documents, field lengths,
term keys, holders, the term list in JavaScript order,
the shard cut, the manifest's data) and `search-live-delta` (small, written by
each edit applied here: what changed since). The summary
(`search-output-key`) names the generation and step it belongs to, and is
saved last, so a build stopped half-way leaves a state the next build does
not trust.

This module stays off numpy (its import costs more than such a rebuild).
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import json
import os
import zlib
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from ..cache import BuildCache
from ..models import Entry, OutputFile
from .analysis import Analyzer, Record, Vocabulary
from .encode import (
    INDEX_DIR,
    KEY_SPAN,
    SHARD_BYTES,
    build_hash,
    entry_size,
    file_name,
    js_order,
    lengths_file,
    manifest_bytes,
    shard_file,
    shard_hash,
    terms_file,
)
from .fields import FIELDS

TERM_BUCKETS = 256
"""Files the term store is spread over (an edit rewrites those of its terms)."""
FILE_CHUNKS = 256
"""Files the last build's output files are kept in, by path (an edit rewrites those of its new files)."""
MAX_CHANGED = 8
"""Changed entries a rebuild applies in place; more, and the whole index is built."""
MAX_POSTINGS = 300_000
"""Postings of changed terms a rebuild recomputes in place; more, and the whole index is built."""
MAX_WORDS = 50_000
"""Words (with their terms) kept in the live state from edited documents: a document edited
again is analysed without stemming its words again."""
MAX_PATCHED = 128
"""Documents edited since the term store was written whose postings the live state keeps
(beyond, a full build writes the term store again)."""
MAX_RECORDS = 64
"""Analyses kept in the live state for documents edited since the last full build."""

Postings = tuple[bytes, bytes, bytes]
"""A term's postings: fields, documents and frequencies as int32 bytes, ordered by field then document."""


def term_bucket(term: str) -> int:
    return zlib.crc32(term.encode("utf-8", "surrogatepass")) % TERM_BUCKETS


def file_chunk(path: str) -> int:
    return zlib.crc32(path.encode("utf-8", "surrogatepass")) % FILE_CHUNKS


def ints(data: bytes) -> array[int]:
    values = array("i")
    values.frombytes(data)
    return values


def meta_hash(stored: tuple[Any, ...], snippet: str, raw_language: str | None) -> bytes:
    """A hash of what a document shows in results and where it sorts (its stored fields and
    snippet), and of its language as written (its problem, if any)."""
    return hashlib.blake2b(repr((stored, snippet, raw_language)).encode("utf-8", "surrogatepass"),
                           digest_size=8).digest()


def token() -> str:
    return os.urandom(8).hex()


# --- the last build's output files, kept by path in FILE_CHUNKS files ---

def load_files(store: BuildCache, paths: Sequence[str], load: Any) -> tuple[OutputFile, ...] | None:
    """The files at `paths` from the file chunks, in order; None when one is missing."""
    chunks: dict[int, Mapping[str, bytes]] = {}
    files = []
    for path in paths:
        number = file_chunk(path)
        chunk = chunks.get(number)
        if chunk is None:
            saved = load(store, f"search-files-{number:02x}")
            chunk = chunks[number] = saved.get("files") if isinstance(saved.get("files"), dict) else {}
        data = chunk.get(path)
        if data is None:
            return None
        files.append(OutputFile(path, data))
    return tuple(files)


def save_files(store: BuildCache, files: Iterable[OutputFile], previous: Sequence[str] | None,
               load: Any, save: Any) -> None:
    """Keep `files` in the file chunks, rewriting only the chunks whose paths changed since
    `previous` (the paths the chunks held; None: rewrite them all). Paths name their
    content (a hash), so a chunk with the same paths holds the same bytes."""
    wanted: dict[int, dict[str, bytes]] = {}
    for file in files:
        wanted.setdefault(file_chunk(file.path), {})[file.path] = file.data
    held: dict[int, set[str]] = {}
    for path in previous or ():
        held.setdefault(file_chunk(path), set()).add(path)
    for number in range(FILE_CHUNKS):
        new = wanted.get(number, {})
        if previous is None or held.get(number, set()) != new.keys():
            save(store, f"search-files-{number:02x}", {"files": new})


class LazyFiles(Sequence[OutputFile]):
    """Output files read from the file chunks on first use; `rebuild` makes them when the
    chunks do not have them all (a cache changed in between): always those of the build."""

    def __init__(self, store: BuildCache, paths: Sequence[str], load: Any, rebuild: Any,
                 fresh: Mapping[str, bytes] | None = None) -> None:
        self._store, self._paths, self._load, self._rebuild = store, paths, load, rebuild
        self._fresh = fresh or {}
        self._files: Sequence[OutputFile] | None = None

    def _read(self, paths: Sequence[str]) -> list[OutputFile] | None:
        """The files at `paths`: fresh ones as made, the others from the chunks (None: not all there)."""
        loaded = load_files(self._store, [p for p in paths if p not in self._fresh], self._load)
        if loaded is None:
            return None
        known = {f.path: f for f in loaded}
        return [known[p] if p in known else OutputFile(p, self._fresh[p]) for p in paths]

    def _get(self) -> Sequence[OutputFile]:
        if self._files is None:
            read = self._read(self._paths)
            self._files = self._rebuild() if read is None else tuple(read)
        return self._files

    def split(self, kept: Callable[[str], bool]) -> tuple[list[str], list[OutputFile]]:
        """(the paths `kept` holds, the other files), reading only the others' bytes (build.py
        links the files site/ already holds: their names are their content's hash)."""
        if self._files is not None:
            paths = [file.path for file in self._files if kept(file.path)]
            held = set(paths)
            return paths, [file for file in self._files if file.path not in held]
        paths = [path for path in self._paths if kept(path)]
        held = set(paths)
        others = self._read([path for path in self._paths if path not in held])
        if others is None:
            others = [file for file in self._get() if file.path not in held]
        return paths, others

    def __len__(self) -> int:
        return len(self._paths) if self._files is None else len(self._files)

    def __getitem__(self, item):  # type: ignore[no-untyped-def]
        return self._get()[item]

    def __iter__(self) -> Iterator[OutputFile]:
        return iter(self._get())


# --- shard entries, as shards.py makes them ---

def term_text(postings: Postings) -> str:
    """A term's shard text (shards._texts_of) from its postings: per field, the documents
    (delta-coded) with the term's frequency there."""
    parts = ["[]"] * len(FIELDS)
    fields, docs, tfs = ints(postings[0]), ints(postings[1]), ints(postings[2])
    current = -1
    values: list[int] = []
    previous_doc = 0
    for field, doc, tf in zip(fields, docs, tfs):
        if field != current:
            if current >= 0:
                parts[current] = "[" + ",".join(map(str, values)) + "]"
            current, values, previous_doc = field, [], 0
        values.append(doc - previous_doc)
        values.append(tf)
        previous_doc = doc
    if current >= 0:
        parts[current] = "[" + ",".join(map(str, values)) + "]"
    return ",".join(parts)


def shard_entries(data: bytes) -> list[str]:
    """The term entries of a shard file (shards.shard_file), as they were written."""
    body = data.decode("utf-8")
    start = body.index(",") + 1
    parsed = json.loads(body[start:body.rindex(")")])
    return [json.dumps(entry, separators=(",", ":")) for entry in parsed["p"]]


def recut(starts: Sequence[int], grows: Sequence[int], changed: Sequence[int], limit: int) -> list[int] | None:
    """Shard starts after the terms at `changed` (sorted ranks) changed size: the greedy cut of
    shards.shard_index, redone only where it can differ. None when the shard count changes."""
    total = len(grows)
    count = len(starts)
    result: list[int] = []
    rank, number = 0, 0
    while rank < total:
        if number < count and starts[number] == rank:
            end = starts[number + 1] if number + 1 < count else total
            # The cut from `rank` looks at sizes up to and including the next shard's first term.
            at = bisect.bisect_left(changed, rank)
            if at == len(changed) or changed[at] > end:
                result.append(rank)
                rank, number = end, number + 1
                continue
        result.append(rank)
        size = 0
        start = rank
        while rank < total:
            grow = grows[rank]
            if rank > start and size + grow > limit:
                break
            size += grow
            rank += 1
        number += 1
    return result if len(result) == count else None


# --- the in-place rebuild ---

class Context:
    """What the rebuild borrows from the full build (search/__init__.py), so both make the same things."""

    def __init__(self, *, code: str, load: Any, save: Any, fields: Any, stored: Any, language: Any,
                 version_key: Any, url: Any, doc_bucket: Any) -> None:
        self.code = code
        """code_version()."""
        self.load, self.save = load, save
        """(store, name) -> mapping; (store, name, mapping): the build cache, memoized."""
        self.fields = fields
        """entry -> (field texts, snippet)."""
        self.stored = stored
        """(entry, url, language) -> the stored fields (the document store's row, and its sort key)."""
        self.language = language
        """entry -> analysis language."""
        self.version_key = version_key
        """(language, path, version) -> the document's analysis cache key."""
        self.url = url
        """entry -> its URL."""
        self.doc_bucket = doc_bucket
        """analysis cache key -> the name of the cache file holding it."""


def _cells(record: Record) -> dict[tuple[int, int], int]:
    """(term id, field) -> frequency, of one analysed document."""
    ids, frequencies = ints(record[1]), ints(record[2])
    cells: dict[tuple[int, int], int] = {}
    at = 0
    for field, count in enumerate(record[3]):
        for term_id, tf in zip(ids[at:at + count], frequencies[at:at + count]):
            cells[term_id, field] = tf
        at += count
    return cells


def patch_of(cells: Mapping[tuple[int, int], int]) -> dict[int, list[tuple[int, int]]]:
    """One document's postings by term: term id -> [(field, frequency)]."""
    by_term: dict[int, list[tuple[int, int]]] = {}
    for (term_id, field), tf in cells.items():
        by_term.setdefault(term_id, []).append((field, tf))
    return by_term


def record_patch(record: Record) -> dict[int, list[tuple[int, int]]]:
    """patch_of an analysed document."""
    return patch_of(_cells(record))


def _distinct(ids: Iterable[int]) -> list[int]:
    return list(dict.fromkeys(ids))


last_refusal = ""
"""Why the last `rebuild` built nothing (the step that refused), for tests."""


Rebuilt = tuple[dict[str, Any], dict[str, bytes]]
"""The new summary (paths, assets, problems, live state) and the new files' bytes."""


def _refuse(reason: str) -> Rebuilt | None:
    """None, noting why (a full build follows)."""
    global last_refusal
    last_refusal = reason
    return None


def rebuild(entries: Sequence[Entry], versions: Mapping[str, str], store: BuildCache, summary: Mapping[str, Any],
            context: Context) -> Rebuilt | None:
    """The new summary (paths, assets, problems) and the new files' bytes, or None when the
    edit is not one this applies in place (see the module docstring); saves the state it changed."""
    load, save = context.load, context.save
    base = load(store, "search-live")
    if base.get("code") != context.code or not base.get("paths"):
        return _refuse("no state")
    delta = load(store, "search-live-delta")
    if delta.get("generation") != base["generation"] or summary.get("live") != (base["generation"], delta.get("step")):
        return _refuse("state out of step")
    doc_paths: list[str] = base["paths"]
    if len(entries) != len(doc_paths):
        return _refuse("documents added or removed")
    # The documents' content files, their text hashes now and at the last build.
    now = {entry.path: versions[entry.path] for entry in entries}
    if len(now) != len(doc_paths):
        return _refuse("paths repeat")
    then = dict(zip(doc_paths, base["versions"]))
    then.update(delta["versions"])
    if now.keys() != then.keys():
        return _refuse("documents added or removed")
    edited = {path for path, version in now.items() if then[path] != version}
    if not edited or len(edited) > MAX_CHANGED:
        return _refuse("nothing or too much changed")
    position_of = {path: position for position, path in enumerate(doc_paths) if path in edited}
    metas: bytes = base["metas"]
    changed = [(entry, (position_of[entry.path], then[entry.path],
                        metas[position_of[entry.path] * 8:position_of[entry.path] * 8 + 8],
                        base["languages"][position_of[entry.path]]))
               for entry in entries if entry.path in edited]
    overrides: Mapping[str, str] = delta["versions"]
    terms_state = load(store, "search-terms")
    if terms_state.get("generation") != base["terms_generation"] or not isinstance(terms_state.get("terms"), list):
        return _refuse("vocabulary")
    vocabulary = Vocabulary(terms_state["terms"])
    known_terms = len(vocabulary.terms)
    analyzer = Analyzer(vocabulary)
    analyzer.learn(delta.get("words") or {})
    base_keys = array("q")
    base_keys.frombytes(base["keys"])
    keys: dict[int, int] = dict(delta["keys"])
    initial_keys: dict[int, int] = {}  # the keys this edit changes, as they were

    def key_of(term_id: int) -> int:
        """The term's key (encode.KEY_SPAN), -1 for a term no document has."""
        found = keys.get(term_id)
        if found is not None:
            return found
        return base_keys[term_id] if term_id < len(base_keys) else -1

    def set_key(term_id: int, key: int) -> None:
        initial_keys.setdefault(term_id, key_of(term_id))
        keys[term_id] = key

    base_holders = ints(base["holders"])
    holders: dict[int, int] = dict(delta["holders"])

    def holders_of(term_id: int) -> int:
        found = holders.get(term_id)
        if found is not None:
            return found
        return base_holders[term_id] if term_id < len(base_holders) else 0

    lengths = ints(base["lengths"])
    field_count = len(FIELDS)
    new_lengths: dict[int, tuple[int, ...]] = dict(delta.get("lengths") or {})
    totals: list[int] = list(delta.get("totals") or base["totals"])

    def length_of(position: int) -> tuple[int, ...]:
        found = new_lengths.get(position)
        return found if found is not None else tuple(lengths[position * field_count:(position + 1) * field_count])

    lengths_before = dict(new_lengths)
    records: dict[str, Record] = dict(delta["records"])
    new_cells: dict[int, dict[tuple[int, int], int]] = {}
    stale: set[int] = set()
    left: list[tuple[int, int]] = []  # (position, term) of terms an edited document no longer has
    new_versions = dict(overrides)
    for entry, (position, old_version, old_meta, language) in changed:
        if context.language(entry) != language:
            return _refuse("language")
        fields, snippet = context.fields(entry)
        if meta_hash(context.stored(entry, context.url(entry), language), snippet, entry.language) != old_meta:
            return _refuse("shown fields")
        ids, frequencies, counts, field_lengths = analyzer.terms(language, fields)
        if field_lengths != length_of(position):
            for field, (old_length, new_length) in enumerate(zip(length_of(position), field_lengths)):
                totals[field] += new_length - old_length
            new_lengths[position] = field_lengths
        old_key = context.version_key(language, entry.path, old_version)
        old = records.get(old_key)
        if old is None:
            bucket = load(store, context.doc_bucket(old_key))
            if bucket.get("generation") != base["terms_generation"] or not isinstance(bucket.get("docs"), dict):
                return _refuse("analysis cache")
            old = bucket["docs"].get(old_key)
            if old is None:
                return _refuse("analysis cache")
        # A term's key follows its first occurrence: those first met here (or, now, here rather
        # than in a later document, or new) get this document's place for them.
        seen: set[int] = set()
        for offset, term_id in enumerate(ids):
            if term_id not in seen:
                seen.add(term_id)
                term_key = key_of(term_id)
                if term_key < 0 or term_key // KEY_SPAN >= position:
                    set_key(term_id, position * KEY_SPAN + offset)
        left.extend((position, term_id) for term_id in _distinct(ints(old[1])) if term_id not in seen)
        record: Record = (snippet, array("i", ids).tobytes(), array("i", frequencies).tobytes(), counts,
                          field_lengths)
        records.pop(old_key, None)
        records[context.version_key(language, entry.path, versions[entry.path])] = record
        new_versions[entry.path] = versions[entry.path]
        before, after = _cells(old), _cells(record)
        for cell in before.keys() | after.keys():
            if before.get(cell) != after.get(cell):
                stale.add(cell[0])
                holders[cell[0]] = holders_of(cell[0]) + (cell in after) - (cell in before)
        new_cells[position] = after
    if len(records) > MAX_RECORDS:
        return _refuse("too many edits since the last full build")
    gone_terms: set[int] = set()
    for position, term_id in left:
        term_key = key_of(term_id)
        if term_key >= 0 and term_key // KEY_SPAN == position:
            if holders_of(term_id) != 0:
                # Its first occurrence moves to a later document, whose analysis is not here.
                return _refuse("term keys")
            set_key(term_id, -1)
            gone_terms.add(term_id)
    come_terms = {term_id for term_id, key in initial_keys.items() if key < 0 and key_of(term_id) >= 0}
    # A term whose key changed gets a new entry even where its postings did not change.
    stale.update(term_id for term_id, key in initial_keys.items() if key_of(term_id) not in (key, -1))

    # The changed terms' postings: the term store's (as the last full build that wrote it saw
    # them) but for the documents edited since (the patch), and the ones edited now.
    patch: dict[int, dict[int, list[tuple[int, int]]]] = {**base["patch"], **delta["patch"]}
    for position, cells in new_cells.items():
        patch[position] = patch_of(cells)
    if len(patch) > MAX_PATCHED:
        return _refuse("too many edits since the term store was written")
    tokens = base["buckets"]
    term_of = vocabulary.terms
    buckets: dict[int, Mapping[str, Postings]] = {}
    postings: dict[int, Postings] = {}
    total = 0
    for term_id in sorted(stale - gone_terms):
        number = term_bucket(term_of[term_id])
        bucket = buckets.get(number)
        if bucket is None:
            saved = load(store, f"search-postings-{number:02x}")
            if saved.get("token") != tokens.get(number) or not isinstance(saved.get("terms"), dict):
                return _refuse("term store")
            bucket = buckets[number] = saved["terms"]
        rows: list[tuple[int, int, int]] = []
        found = bucket.get(term_of[term_id])
        if found is not None:
            rows = [row for row in zip(ints(found[0]), ints(found[1]), ints(found[2])) if row[1] not in patch]
        elif term_id not in come_terms and not any(term_id in by_term for by_term in patch.values()):
            return _refuse("term store")
        for position, by_term in patch.items():
            rows.extend((field, position, tf) for field, tf in by_term.get(term_id, ()))
        rows.sort()
        total += len(rows)
        if total > MAX_POSTINGS:
            return _refuse("too many postings")
        postings[term_id] = (array("i", [r[0] for r in rows]).tobytes(), array("i", [r[1] for r in rows]).tobytes(),
                             array("i", [r[2] for r in rows]).tobytes())

    # The term list in JavaScript order, without the terms gone, with the new ones in their place.
    ranked: list[str] = delta.get("ranked") or base["ranked"]
    grows = ints(delta.get("grows") or base["grows"])
    starts: list[int] = delta.get("starts") or base["starts"]
    shard_paths: list[str] = delta.get("shard_paths") or base["shard_paths"]
    old_ends = [*starts[1:], len(ranked)]
    touched: set[int] = set()  # new ranks around which the shards are cut again
    dirty: set[int] = set()  # shards (by number) that lost a term
    back: list[int] | None = None  # per new rank, the old one (-1: a new term); None: ranks stay
    if gone_terms or come_terms:
        gone_ranks = set()
        for term_id in gone_terms:
            rank = bisect.bisect_left(ranked, js_order(term_of[term_id]), key=js_order)
            if rank == len(ranked) or ranked[rank] != term_of[term_id]:
                return _refuse("term list")
            gone_ranks.add(rank)
            dirty.add(bisect.bisect_right(starts, rank) - 1)
        inserts = sorted((bisect.bisect_left(ranked, js_order(term_of[t]), key=js_order), js_order(term_of[t]),
                          term_of[t]) for t in come_terms)
        new_ranked: list[str] = []
        new_grows = array("i")
        back = []
        new_of = [0] * (len(ranked) + 1)  # per old rank, the new one (a gone term's: its successor's)
        at = 0
        for rank in range(len(ranked) + 1):
            while at < len(inserts) and inserts[at][0] == rank:
                new_ranked.append(inserts[at][2])
                new_grows.append(0)
                back.append(-1)
                at += 1
            new_of[rank] = len(new_ranked)
            if rank == len(ranked):
                break
            if rank in gone_ranks:
                touched.update(r for r in (len(new_ranked) - 1, len(new_ranked)) if r >= 0)
                continue
            new_ranked.append(ranked[rank])
            new_grows.append(grows[rank])
            back.append(rank)
        ranked, grows = new_ranked, new_grows
        touched = {r for r in touched if r < len(ranked)}
        mapped = [new_of[start] for start in starts]
        mapped[0] = 0
        if any(a >= b for a, b in itertools.pairwise(mapped)) or mapped[-1] >= max(len(ranked), 1):
            return _refuse("shard count")
        starts = mapped
        old_ends = [*starts[1:], len(ranked)]

    def rank_of(term: str) -> int:
        return bisect.bisect_left(ranked, js_order(term), key=js_order)

    # Their entries, and the shards that hold them.
    fresh_entries: dict[int, str] = {}
    for term_id, found in postings.items():
        entry_text = f"[{key_of(term_id)},{term_text(found)}]"
        rank = rank_of(term_of[term_id])
        fresh_entries[rank] = entry_text
        grows[rank] = entry_size(entry_text, ranked[rank])
    touched.update(fresh_entries)
    changed_ranks = sorted(touched)
    new_starts = recut(starts, grows, changed_ranks, SHARD_BYTES)
    if new_starts is None:
        return _refuse("shard count")
    ends = [*new_starts[1:], len(ranked)]
    old_chunks: dict[int, dict[str, bytes]] = {}
    old_entries: dict[int, list[str]] = {}
    old_starts: list[int] = delta.get("starts") or base["starts"]

    def entry_at(rank: int) -> str:
        if rank in fresh_entries:
            return fresh_entries[rank]
        before = back[rank] if back is not None else rank
        shard = bisect.bisect_right(old_starts, before) - 1
        if shard not in old_entries:
            path = shard_paths[shard]
            chunk = old_chunks.get(file_chunk(path))
            if chunk is None:
                saved = load(store, f"search-files-{file_chunk(path):02x}")
                chunk = old_chunks[file_chunk(path)] = saved.get("files") or {}
            data = chunk.get(path)
            if data is None:
                raise LookupError(path)
            old_entries[shard] = shard_entries(data)
        return old_entries[shard][before - old_starts[shard]]

    new_paths = list(shard_paths)
    fresh_files: dict[str, bytes] = {}
    try:
        for shard, (start, end) in enumerate(zip(new_starts, ends)):
            at = bisect.bisect_left(changed_ranks, start)
            if (start, end) == (starts[shard], old_ends[shard]) and shard not in dirty and (
                    at == len(changed_ranks) or changed_ranks[at] >= end):
                continue
            key, data = shard_file(shard, ranked[start:end], [entry_at(r) for r in range(start, end)])
            path = f"{INDEX_DIR}/{file_name(key, shard_hash(data))}"
            new_paths[shard] = path
            fresh_files[path] = data
    except LookupError:
        return _refuse("last files")
    paths = list(summary["paths"])
    manifest = dict(delta.get("manifest") or base["manifest"])
    if back is not None:
        key, data = terms_file(ranked)
        digest = build_hash([(key, data)])
        terms_path = f"{INDEX_DIR}/{file_name(key, digest)}"
        fresh_files[terms_path] = data
        manifest["hash"] = digest
        removed = [paths[-2]] if paths[-2] != terms_path else []
        paths[-2] = terms_path
    else:
        removed = []
    manifest["shards"] = {"first": [ranked[s] for s in new_starts],
                          "hashes": "".join(p.rsplit(".", 2)[1] for p in new_paths)}
    # The length files of documents whose field lengths changed, and the totals (the averages).
    first_shard: int = base["first_shard"]
    chunk_size: int = manifest["lengths"]["size"]
    first_length = first_shard + len(new_paths)
    length_hashes = manifest["lengths"]["hashes"]
    changed_chunks = sorted({position // chunk_size for position, value in new_lengths.items()
                             if lengths_before.get(position) != value})
    for chunk in changed_chunks:
        end = min((chunk + 1) * chunk_size, len(doc_paths))
        key, data = lengths_file(chunk, [n for position in range(chunk * chunk_size, end)
                                         for n in length_of(position)])
        digest = shard_hash(data)
        path = f"{INDEX_DIR}/{file_name(key, digest)}"
        fresh_files[path] = data
        if paths[first_length + chunk] != path:
            removed.append(paths[first_length + chunk])
        paths[first_length + chunk] = path
        length_hashes = length_hashes[:chunk * len(digest)] + digest + length_hashes[(chunk + 1) * len(digest):]
    manifest["lengths"] = {**manifest["lengths"], "hashes": length_hashes, "totals": totals}
    manifest_name, manifest_data = manifest_bytes(manifest)
    manifest_path = f"{INDEX_DIR}/{manifest_name}"
    fresh_files[manifest_path] = manifest_data
    paths[first_shard:first_shard + len(new_paths)] = new_paths
    removed += [old for old, new in zip(shard_paths, new_paths) if old != new]
    if paths[-1] != manifest_path:
        removed.append(paths[-1])
    paths[-1] = manifest_path
    assets = {**summary["assets"], "manifest": manifest_path}

    # Saved in an order that a build stopped half-way leaves detectable: the summary last.
    save(store, "search-output-key", {})
    if len(vocabulary.terms) != known_terms:
        save(store, "search-terms", {**terms_state, "terms": vocabulary.terms})
    touched_chunks: dict[int, dict[str, bytes]] = {}
    for path in [*fresh_files, *removed]:
        number = file_chunk(path)
        if number not in touched_chunks:
            saved = old_chunks.get(number)
            if saved is None:
                saved = load(store, f"search-files-{number:02x}").get("files") or {}
            touched_chunks[number] = dict(saved)
    for path in removed:
        touched_chunks[file_chunk(path)].pop(path, None)
    for path, data in fresh_files.items():
        touched_chunks[file_chunk(path)][path] = data
    for number, files in touched_chunks.items():
        save(store, f"search-files-{number:02x}", {"files": files})
    step = delta["step"] + 1
    words = analyzer.words()
    if sum(map(len, words.values())) > MAX_WORDS:
        words = {}
    moved = back is not None or delta.get("ranked") is not None
    save(store, "search-live-delta", {
        "generation": base["generation"], "step": step, "versions": new_versions, "records": records,
        "holders": holders, "keys": keys, "ranked": ranked if moved else None, "grows": grows.tobytes(),
        "starts": new_starts, "shard_paths": new_paths, "manifest": manifest,
        "patch": {**delta["patch"], **{position: patch[position] for position in new_cells}}, "words": words,
        "lengths": new_lengths, "totals": totals,
    })
    new_summary = {"paths": paths, "assets": assets, "problems": summary["problems"],
                   "live": (base["generation"], step)}
    return new_summary, fresh_files
