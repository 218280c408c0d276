"""An InvertedIndex and stored fields -> data files the browser loads on demand, pure.

Every data file is a script, `archiveSearchLoaded("<key>", {...});`, because
`fetch` of JSON fails from file:// while a <script> works everywhere; the
key is the file name up to its first dot (the rest is a content hash, so the
files can be cached forever).

- index shards (key "s<n>"): consecutive terms in JavaScript sort order, cut
  when a shard would pass SHARD_BYTES, so one query word costs one small
  file; a frequent term gets a shard of its own. Per term: its lunr
  `_index` and, per field, the documents that have it with their
  field-vector value (delta-coded doc numbers, value x 1000);
- the term list ("terms"), fetched only for wildcard and fuzzy queries;
- the document store ("d<n>"): the fields a result shows, DOC_CHUNK
  documents per file, so the first page of results costs a few small files;
- facets ("facets"): author/tag/publication/year of every document, for the
  filters, fetched after the first results are shown;
- the manifest: fields, pipeline, languages and stop words, the first term
  of every shard and every file name.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .index import InvertedIndex, js_order

SHARD_BYTES = 40_000
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


def dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def data_file(key: str, data: Any, encoded: str | None = None) -> tuple[str, bytes]:
    """(key, bytes) of a self-registering data script; `encoded` is `data` already as JSON."""
    body = f"archiveSearchLoaded({json.dumps(key)},{encoded if encoded is not None else dumps(data)});\n"
    return key, body.encode()


def build_hash(files: Sequence[tuple[str, bytes]]) -> str:
    """One content hash for all data files: it goes in every name, so the manifest
    lists counts, not thousands of incompressible per-file hashes."""
    digest = hashlib.sha256()
    for key, body in files:
        digest.update(key.encode() + b"\0" + hashlib.sha256(body).digest())
    return digest.hexdigest()[:10]


def file_name(key: str, digest: str) -> str:
    return f"{key}.{digest}.js"


def shard_index(index: InvertedIndex) -> tuple[list[str], list[tuple[str, bytes]]]:
    """The index shards: (first term of each shard, [(file name, bytes)])."""
    order = sorted(range(len(index.terms)), key=lambda n: js_order(index.terms[n]))
    firsts: list[str] = []
    files: list[tuple[str, bytes]] = []
    terms: list[str] = []
    entries: list[str] = []
    size = 0

    def close() -> None:
        firsts.append(terms[0])
        encoded = '{"t":' + dumps(terms) + ',"p":[' + ",".join(entries) + "]}"
        files.append(data_file(f"s{len(files)}", None, encoded))

    for number in order:
        entry: list[Any] = [number]
        for pairs in index.postings[number]:
            flat: list[int] = []
            previous = 0
            for doc, milli in pairs:
                flat.append(doc - previous)
                flat.append(milli)
                previous = doc
            entry.append(flat)
        encoded = dumps(entry)
        grows = len(encoded) + len(index.terms[number]) * 3 + 4
        if terms and size + grows > SHARD_BYTES:
            close()
            terms, entries, size = [], [], 0
        terms.append(index.terms[number])
        entries.append(encoded)
        size += grows
    if terms:
        close()
    return firsts, files


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


def terms_file(index: InvertedIndex) -> tuple[str, bytes]:
    return data_file("terms", {"terms": sorted(index.terms, key=js_order)})


def manifest_file(index: InvertedIndex, languages: Sequence[str], lunr_languages: dict[str, str],
                  stop_words: dict[str, list[str]], firsts: list[str], doc_files: int,
                  digest: str) -> tuple[str, bytes]:
    """The manifest, named by its own content hash (the page links to it)."""
    key, body = data_file("manifest", {
        "version": 1,
        "fields": list(index.fields),
        "pipeline": list(index.pipeline),
        "languages": list(languages),
        "lunrLanguages": lunr_languages,
        "stopWords": stop_words,
        "docCount": len(index.refs),
        "pageSize": PAGE_SIZE,
        "hash": digest,
        "shards": {"first": firsts},
        "docs": {"size": DOC_CHUNK, "count": doc_files},
    })
    return file_name(key, hashlib.sha256(body).hexdigest()[:10]), body
