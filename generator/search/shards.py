"""An InvertedIndex and stored fields -> data files the browser loads on demand, pure.

Every data file is a script, `archiveSearchLoaded("<key>", {...});`, because
`fetch` of JSON fails from file:// while a <script> works everywhere; the
key is the file name up to its first dot (the rest is a content hash, so the
files can be cached forever).

- index shards (key "s<n>"): consecutive terms in JavaScript sort order, cut
  when a shard would pass SHARD_BYTES, so one query word costs one small
  file; a frequent term gets a shard of its own. Per term: its key (the
  browser's lunr `_index`, in lunr's term order: encode.KEY_SPAN) and, per field, the documents that have it with the term's
  frequency there (delta-coded doc numbers). The browser turns them into
  lunr's field-vector values with the field lengths: so an edit that changes
  a document's length (and every score, through the average) rewrites only
  the shards of the terms it changed, a length file and the manifest;
- field lengths ("l<n>"): every document's field lengths, LENGTH_CHUNK
  documents per file;
- the term list ("terms"), fetched only for wildcard and fuzzy queries;
- the document store ("d<n>"): the fields a result shows, DOC_CHUNK
  documents per file, so the first page of results costs a few small files;
- facets ("facets"): author/tag/publication/year of every document, for the
  filters, fetched after the first results are shown;
- the manifest: fields, pipeline, languages and stop words, the first term
  of every shard and every file name.
"""

from __future__ import annotations

import multiprocessing
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt

from ..parallel import default_jobs
from .encode import LENGTH_CHUNK, SHARD_BYTES, data_file, entry_size, lengths_file, shard_file
from .encode import terms_file as encode_terms_file
from .fields import FIELDS
from .index import Index, Ints, stable_order

DOC_CHUNK = 4
PAGE_SIZE = 10


@dataclass(frozen=True)
class StoredDoc:
    """What a search result shows without fetching the entry's page."""

    title: str
    url: str
    date: str
    authors: tuple[str, ...]
    publication: str
    snippet: str
    tags: tuple[str, ...]
    language: str
    year: str


@lru_cache(maxsize=4)
def _number_words(limit: int) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64], npt.NDArray[np.int64]]:
    """For every int below `limit`, its decimal digits and a comma as ASCII packed into
    a little-endian uint64 (first character in the lowest byte), shifted by 0-7 bytes:
    (low[shift, n], the bytes that stay in the uint64; high[shift, n], those that
    spill into the next one) and the text's length[n]."""
    x = np.arange(limit, dtype=np.int64)
    digits = np.ones(limit, dtype=np.int64)
    power = 10
    while power < limit:
        digits += x >= power
        power *= 10
    words = np.zeros(limit, dtype=np.uint64)
    place = x.copy()
    for right in range(int(digits.max()) if limit else 0):
        position = digits - 1 - right  # byte of this digit, counted from the left
        char = (place % 10 + 48).astype(np.uint64) << (8 * np.maximum(position, 0)).astype(np.uint64)
        words |= np.where(position >= 0, char, np.uint64(0))
        place //= 10
    words |= np.uint64(44) << (8 * digits).astype(np.uint64)
    low = np.stack([words << np.uint64(8 * shift) for shift in range(8)])
    high = np.stack([np.zeros_like(words)] + [words >> np.uint64(64 - 8 * shift) for shift in range(1, 8)])
    return low, high, digits + 1


NUMBER_TABLE_LIMIT = 1 << 20
"""Largest value (exclusive) the shard text tables cover; past it, plain str()."""
NUMBER_CHUNK = 1 << 20
"""Values turned into text at a time."""


def joined_numbers(values: npt.NDArray[np.int64]) -> tuple[str, npt.NDArray[np.int64]]:
    """("v0,v1,...,vn,", end offset of each value's text), for non-negative ints.

    About ten million numbers at 10,000 articles: str() on each would take
    seconds, so the text is made in numpy. Each value's characters (at most
    seven digits and a comma) are one uint64 from a table; the words are
    ORed into the output at their byte offsets, split over the two aligned
    uint64s each one straddles (the zero bytes past a comma leave the
    neighbours' bytes alone).
    """
    if not len(values):
        return "", np.zeros(0, dtype=np.int64)
    top = int(values.max())
    if top >= NUMBER_TABLE_LIMIT or int(values.min()) < 0 or sys.byteorder != "little":
        plain = [f"{v}," for v in values.tolist()]
        return "".join(plain), np.cumsum([len(p) for p in plain], dtype=np.int64)
    # Tables sized by powers of two, so that builds of one archive share them.
    low_table, high_table, length_table = _number_words(1 << max(top, 1).bit_length())
    width = low_table.shape[1]
    low_flat, high_flat = low_table.reshape(-1), high_table.reshape(-1)
    pieces: list[str] = []
    all_ends: list[npt.NDArray[np.int64]] = []
    offset = 0
    # In chunks: a few MB of temporaries at a time instead of hundreds, and faster for it.
    for chunk_start in range(0, len(values), NUMBER_CHUNK):
        chunk = values[chunk_start:chunk_start + NUMBER_CHUNK]
        lengths = length_table[chunk]
        ends = np.cumsum(lengths)
        starts = ends - lengths
        slot = starts >> 3
        flat = (starts & 7) * width + chunk
        low, high = low_flat[flat], high_flat[flat]
        total = int(ends[-1])
        out = np.zeros(total // 8 + 2, dtype=np.uint64)
        # Every text is at least 2 bytes, so values 4 apart never start in one uint64:
        # within each of these 4 interleaved subsets the slots are distinct.
        for first in range(4):
            where = slot[first::4]
            out[where] |= low[first::4]
            out[where + 1] |= high[first::4]
        pieces.append(out.view(np.uint8)[:total].tobytes().decode("ascii"))
        all_ends.append(ends + offset)
        offset += total
    return "".join(pieces), np.concatenate(all_ends)


TermTexts = dict[str, str]
"""term -> the text of its postings: the shard text of the last build, so that a
rebuild writes out only the terms whose postings changed (the caller knows which)."""


PARALLEL_POSTINGS = 1_000_000
"""Postings to write out before a second process pays for itself (a cold build)."""


POSTINGS_PER_PASS = 250_000
"""Postings _texts_of sorts and writes out at a time: its arrays (a few int64s per posting)
stay tens of megabytes, not hundreds, at 10,000 entries."""


def _holders(index: Index) -> npt.NDArray[np.int64]:
    """Per term number: its postings."""
    return np.bincount(index.term, minlength=len(index.terms))


def _texts_of(index: Index, stale: npt.NDArray[np.bool_],
              holders: npt.NDArray[np.int64] | None = None) -> dict[int, str]:
    """term number -> the text of its postings, for the terms marked in `stale` (`holders`:
    _holders(index), when the caller has it)."""
    holders = _holders(index) if holders is None else holders
    numbers = np.flatnonzero(stale)
    if not len(numbers):
        return {}
    passes = np.cumsum(holders[numbers]) // POSTINGS_PER_PASS
    pass_count = int(passes[-1]) + 1
    # The stale postings grouped by pass in one stable sort (each pass's in index order), so
    # that a pass gathers its own rows and not the whole index's again: at 10,000 entries, 20
    # passes each masking 5 million postings were most of this function's time.
    pass_of_term = np.full(len(stale), pass_count, dtype=np.int64)
    pass_of_term[numbers] = passes
    pass_of_posting = pass_of_term[index.term]
    grouped = stable_order(pass_of_posting, pass_count + 1)
    bounds = np.cumsum(np.bincount(pass_of_posting, minlength=pass_count + 1)).tolist()
    del pass_of_posting
    js_rank = np.zeros(len(index.terms), dtype=np.int64)
    js_rank[list(index.js_order)] = np.arange(len(index.terms))
    texts: dict[int, str] = {}
    start = 0
    for end in bounds[:pass_count]:
        texts.update(_texts_pass(index, grouped[start:end], js_rank))
        start = end
    return texts


def _texts_pass(index: Index, rows: Ints, js_rank: npt.NDArray[np.int64]) -> dict[int, str]:
    """_texts_of for the postings at `rows` (ascending): every posting of the terms they hold.
    `js_rank`: per term number, its place in JavaScript order."""
    field_count = len(index.fields)
    assert index.tf is not None
    term, field, doc, tf = index.term[rows], index.field[rows], index.doc[rows], index.tf[rows]
    # By term in JavaScript order, then field; documents stay in order (the sort is stable).
    order = stable_order(js_rank[term] * field_count + field, len(index.terms) * field_count)
    term, field, doc, tf = term[order], field[order], doc[order], tf[order]
    kept = len(doc)
    if not kept:
        return {}
    change = np.ones(kept, dtype=bool)
    change[1:] = (term[1:] != term[:-1]) | (field[1:] != field[:-1])
    firsts = np.flatnonzero(change)
    lasts = np.append(firsts[1:], kept) - 1
    delta = doc.astype(np.int64)
    delta[1:] -= doc[:-1]
    delta[firsts] = doc[firsts]
    values = np.empty(2 * kept, dtype=np.int64)
    values[0::2] = delta
    values[1::2] = tf
    text, ends = joined_numbers(values)
    begins = np.concatenate(([0], ends[:-1]))
    group_start = begins[2 * firsts].tolist()
    group_end = (ends[2 * lasts + 1] - 1).tolist()  # without the last comma
    texts: dict[int, str] = {}
    current = -1
    parts: list[str] = []
    for number, field_number, start, end in zip(term[firsts].tolist(), field[firsts].tolist(),
                                                group_start, group_end):
        if number != current:
            if current >= 0:
                texts[current] = ",".join(parts)
            current = number
            parts = ["[]"] * field_count
        parts[field_number] = f"[{text[start:end]}]"
    texts[current] = ",".join(parts)
    return texts


def _texts_in_child(index: Index, stale: npt.NDArray[np.bool_], holders: npt.NDArray[np.int64],
                    connection: Any) -> None:
    connection.send(_texts_of(index, stale, holders))
    connection.close()


def _stale_texts(index: Index, stale: npt.NDArray[np.bool_]) -> dict[int, str]:
    """`_texts_of`, split with a forked process when there is much to write (a cold build):
    the child takes the terms holding about half the postings, this process the rest."""
    holders = _holders(index)
    total = int(holders[stale].sum())
    # Forking while other threads run (the `archive serve` build thread) can leave the child
    # stuck on a lock another thread held: stay in one process then.
    if (total < PARALLEL_POSTINGS or default_jobs() < 2 or threading.active_count() > 1
            or "fork" not in multiprocessing.get_all_start_methods()):
        return _texts_of(index, stale, holders)
    numbers = np.flatnonzero(stale)
    half = int(np.searchsorted(np.cumsum(holders[numbers]), total // 2))
    theirs = np.zeros(len(stale), dtype=bool)
    theirs[numbers[: half + 1]] = True
    ours = stale & ~theirs
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_texts_in_child, args=(index, theirs, holders, sender), daemon=True)
    try:
        child.start()
    except OSError:
        return _texts_of(index, stale, holders)
    sender.close()
    texts = _texts_of(index, ours, holders)
    try:
        texts.update(receiver.recv())
    except (EOFError, OSError):  # the child died: do its half here
        texts.update(_texts_of(index, theirs, holders))
    finally:
        receiver.close()
        child.join()
    return texts


def term_entries(index: Index, previous: TermTexts | None = None,
                 stale: npt.NDArray[np.bool_] | None = None) -> tuple[list[str], TermTexts]:
    """Per term, in JavaScript order, its shard entry: `[key,[d,f,d,f...],...per field]` (the
    key is encode.KEY_SPAN's, the browser's `_index`)
    with document numbers delta-coded and the term's frequency in the field; and the
    TermTexts for the next build.

    `stale` marks the terms (by number) whose postings may differ from those
    `previous` was made from; only theirs (and those of terms missing from
    `previous`) are sorted and written out, the rest is reused text.
    """
    names = index.terms
    old = previous or {}
    todo = np.ones(len(names), dtype=bool) if stale is None else stale.copy()
    texts: TermTexts = {}
    for number in np.flatnonzero(~todo).tolist():
        known = old.get(names[number])
        if known is None:
            todo[number] = True
        else:
            texts[names[number]] = known
    if todo.any():
        for number, rest in _stale_texts(index, todo).items():
            texts[names[number]] = rest
    assert index.keys is not None
    keys = index.keys.tolist()
    entries = [f"[{keys[number]},{texts[names[number]]}]" for number in index.js_order]
    return entries, texts


@dataclass(frozen=True)
class Layout:
    """Where the shards are cut, for a rebuild that rewrites a few of them (live.py)."""

    starts: list[int]
    """Each shard's first term, as a position in JavaScript order."""
    grows: list[int]
    """Per term in JavaScript order, what it adds to its shard's size (the cut's measure)."""


def shard_index(index: Index, previous: TermTexts | None = None, stale: npt.NDArray[np.bool_] | None = None,
                layout: list[Layout] | None = None) -> tuple[list[str], list[tuple[str, bytes]], TermTexts]:
    """The index shards: (first term of each shard, [(file name, bytes)], TermTexts for the next build);
    `layout`, when given, receives the cut."""
    firsts: list[str] = []
    starts: list[int] = []
    grows_all: list[int] = []
    files: list[tuple[str, bytes]] = []
    terms: list[str] = []
    entries: list[str] = []
    size = 0

    def close() -> None:
        firsts.append(terms[0])
        files.append(shard_file(len(files), terms, entries))

    all_entries, texts = term_entries(index, previous, stale)
    for rank, (number, encoded) in enumerate(zip(index.js_order, all_entries)):
        grows = entry_size(encoded, index.terms[number])
        grows_all.append(grows)
        if terms and size + grows > SHARD_BYTES:
            close()
            terms, entries, size = [], [], 0
        if not terms:
            starts.append(rank)
        terms.append(index.terms[number])
        entries.append(encoded)
        size += grows
    if terms:
        close()
    if layout is not None:
        layout.append(Layout(starts, grows_all))
    return firsts, files, texts


def length_files(index: Index) -> list[tuple[str, bytes]]:
    """The documents' field lengths, LENGTH_CHUNK documents per file, in ref order."""
    assert index.lengths is not None
    flat = index.lengths.reshape(-1).tolist()
    width = len(index.fields) * LENGTH_CHUNK
    return [lengths_file(number, flat[start:start + width])
            for number, start in enumerate(range(0, len(flat), width))]


def document_files(docs: Sequence[StoredDoc]) -> list[tuple[str, bytes]]:
    """The document store, DOC_CHUNK documents per file, in ref order."""
    files = []
    for start in range(0, len(docs), DOC_CHUNK):
        rows = [
            [d.title, d.url, d.date, list(d.authors), d.publication, d.snippet, list(d.tags), d.language]
            for d in docs[start:start + DOC_CHUNK]
        ]
        files.append(data_file(f"d{start // DOC_CHUNK}", {"d": rows}))
    return files


def facet_file(docs: Sequence[StoredDoc]) -> tuple[str, bytes]:
    """Author, tag, publication and year of every document, as indexes into sorted value lists."""
    authors = sorted({a for d in docs for a in d.authors}, key=str.casefold)
    tags = sorted({t for d in docs for t in d.tags}, key=str.casefold)
    publications = sorted({d.publication for d in docs if d.publication}, key=str.casefold)
    years = sorted({d.year for d in docs if d.year}, reverse=True)
    a_index = {v: i for i, v in enumerate(authors)}
    t_index = {v: i for i, v in enumerate(tags)}
    p_index = {v: i for i, v in enumerate(publications)}
    y_index = {v: i for i, v in enumerate(years)}
    return data_file("facets", {
        "authors": authors, "tags": tags, "publications": publications, "years": years,
        "a": [[a_index[a] for a in d.authors] for d in docs],
        "t": [[t_index[t] for t in d.tags] for d in docs],
        "p": [p_index.get(d.publication, -1) for d in docs],
        "y": [y_index.get(d.year, -1) for d in docs],
    })


def terms_file(index: Index) -> tuple[str, bytes]:
    return encode_terms_file([index.terms[n] for n in index.js_order])


def manifest_data(index: Index, languages: Sequence[str], lunr_languages: dict[str, str],
                  stop_words: dict[str, list[str]], firsts: list[str], shard_hashes: list[str],
                  length_hashes: list[str], doc_files: int, digest: str, docs_digest: str) -> dict[str, Any]:
    assert index.lengths is not None
    return {
        "version": 1,
        "fields": list(index.fields),
        "pipeline": list(index.pipeline),
        "languages": list(languages),
        "lunrLanguages": lunr_languages,
        "stopWords": stop_words,
        "docCount": len(index.refs),
        "pageSize": PAGE_SIZE,
        "hash": digest,
        "docsHash": docs_digest,
        "shards": {"first": firsts, "hashes": "".join(shard_hashes)},
        "docs": {"size": DOC_CHUNK, "count": doc_files},
        # The browser scores each posting as lunr's Builder does (BM25 with these boosts and
        # the average field lengths, totals / docCount), from its frequency and field length.
        "boosts": [boost for _, boost in FIELDS],
        "lengths": {"size": LENGTH_CHUNK, "hashes": "".join(length_hashes),
                    "totals": index.lengths.sum(axis=0).tolist() if len(index.refs) else [0] * len(index.fields)},
    }
