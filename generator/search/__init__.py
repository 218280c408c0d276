"""Entries -> the in-browser search: sharded lunr index, document store, client assets.  [pure]

`build_search(entries, config)` returns every file under `search/` (index
shards, document store, facets, term list, manifest, lunr.js and the
lunr-languages files copied from the installed mkdocs package, our client
scripts), each named with a content hash, plus `assets`, the logical name ->
root-relative path map the templates use. It writes nothing to the site;
its only side effect is the build cache (config.cache_dir, `cache=False` to
skip it), which makes rebuilds fast and never changes a byte of the output:

- `search-docs-<x>` + `search-terms`: each entry's analysis (terms as ids into
  one vocabulary, frequencies, field lengths, snippet) keyed by a hash of its
  fields, so a rebuild analyses only new or edited entries;
- `search-texts`: each term's shard text with a signature of its postings, so
  a rebuild serializes only terms whose postings changed;
- `search-output` (+ `search-output-key`): the last index files, keyed by a
  hash of every input, returned as they are when nothing changed;
- `search-urls`: entry URLs.

Every cache is tied to `code_version()` (this package's source, urls.py and
the versions of lunr, mkdocs, numpy and snowballstemmer). A cold build of
more than PARALLEL_FROM entries analyses them in forked worker processes.

How it fits together: text.py is the analysis (shared with the browser),
index.py builds lunr's inverted index and field vectors (equal to lunr.py's),
shards.py cuts them into small files, assets/search-core.js reassembles just
the part a query needs into a lunr.Index, assets/search.js is the page.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import multiprocessing
import os
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType

import numpy as np

from ..cache import BuildCache
from ..config import Config
from ..models import Entry, OutputFile, Problem, Severity
from ..urls import entry_url
from . import shards, text, vendor
from .index import FIELDS, Analyzer, Index, Vocabulary, index_from_terms

__all__ = ["FIELDS", "SearchOutput", "build_search"]

ASSETS_DIR = Path(__file__).resolve().parent / "assets"
OUTPUT_DIR = "search"
INDEX_DIR = "search/index"
SNIPPET_CHARS = 280
CACHE_FORMAT = "search-1"
DOC_BUCKETS = 16
"""Files the per-document analysis cache is spread over (an edit rewrites one)."""
PARALLEL_FROM = 500
"""Documents to analyse before worker processes pay for themselves."""


@dataclass(frozen=True)
class SearchOutput:
    """Everything the search adds to the site."""

    files: tuple[OutputFile, ...]
    """Files to write, paths relative to the site root (all under search/)."""
    assets: Mapping[str, str]
    """Logical name ("lunr.js", "search.js", "manifest", ...) -> root-relative path."""
    problems: tuple[Problem, ...]
    """Entries whose language has no stemmer, and the like."""


_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_TAG = re.compile(r"<[^>]{0,200}>")
_MARKS = re.compile(r"(^|\s)(?:#{1,6}|>|[-*+]|\d+\.)\s+|[*_`]{1,3}|\[\^[^\]]*\]")
_SPACES = re.compile(r"\s+")


def plain_text(markdown: str) -> str:
    """Markdown -> text for indexing: link targets and tags dropped (the analysis
    ignores the remaining punctuation)."""
    text_ = _IMAGE.sub(r"\1", markdown) if "![" in markdown else markdown
    text_ = _LINK.sub(r"\1", text_) if "](" in text_ else text_
    return _TAG.sub(" ", text_) if "<" in text_ else text_


def snippet_of(summary: str, body: str) -> str:
    """The text a result shows: the summary, else the start of the body, cut at a word.

    The summary is plain text (entry pages show it as written), so only the
    body, which is Markdown, loses its emphasis marks."""
    raw = summary if summary.strip() else _MARKS.sub(r"\1", body[: SNIPPET_CHARS * 3])
    source = _SPACES.sub(" ", raw[: SNIPPET_CHARS * 3]).strip()
    if len(source) <= SNIPPET_CHARS:
        return source
    cut = source.rfind(" ", 0, SNIPPET_CHARS)
    return source[: cut if cut > SNIPPET_CHARS // 2 else SNIPPET_CHARS].rstrip(" ,;:") + "…"


def _order_key(entry: Entry, url: str | None = None) -> tuple[int, str]:
    """Newest first (ties in score keep this order); undated last; URL breaks ties."""
    return (-(entry.date.toordinal() if entry.date else 0), entry_url(entry) if url is None else url)


def _hashed(name: str, data: bytes) -> str:
    stem, _, extension = name.rpartition(".")
    return f"{OUTPUT_DIR}/{stem}.{hashlib.sha256(data).hexdigest()[:10]}.{extension}"


def _date(value: dt.date | None) -> str:
    return value.isoformat() if value else ""


def _doc_key(entry: Entry, language: str) -> str:
    """A hash of everything a document's analysis and snippet depend on."""
    parts = (language, entry.title, "\x1f".join(entry.authors), "\x1f".join(entry.tags),
             entry.publication or "", entry.summary, entry.body)
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8", "surrogatepass")
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.hexdigest()[:32]


@cache
def code_version() -> str:
    """A hash of the code and package data the search files depend on: a cache
    made by other code (a new checkout, an upgraded stemmer) is never reused."""
    import importlib.util

    import lunr  # type: ignore[import-untyped]
    import mkdocs

    digest = hashlib.sha256(CACHE_FORMAT.encode())
    here = Path(__file__).resolve().parent
    for path in (*(here / name for name in ("__init__.py", "index.py", "shards.py", "text.py", "vendor.py")),
                 here.parent / "urls.py"):
        digest.update(path.read_bytes())
    spec = importlib.util.find_spec("snowballstemmer")
    stemmers = Path(spec.origin if spec and spec.origin else "snowballstemmer")
    stamp = stemmers.stat().st_mtime_ns if stemmers.exists() else 0
    digest.update(f"{lunr.__VERSION__}|{mkdocs.__version__}|{np.__version__}|{stemmers}|{stamp}".encode())
    return digest.hexdigest()[:32]


def _urls(entries: Sequence[Entry], store: BuildCache | None) -> list[str]:
    """entry_url of each entry, remembered in the build cache by what it depends on
    (slugifying every path segment costs tens of microseconds an entry)."""
    version = code_version()
    saved = store.load("search-urls") if store else {}
    known: dict[tuple[str, str, dt.date | None], str] = saved["urls"] if saved.get("code") == version else {}
    fresh: dict[tuple[str, str, dt.date | None], str] = {}
    urls = []
    for entry in entries:
        key = (entry.path, entry.slug, entry.date)
        url = known.get(key)
        if url is None:
            url = entry_url(entry)
        fresh[key] = url
        urls.append(url)
    if store and fresh.keys() != known.keys():
        store.save("search-urls", {"code": version, "urls": fresh})
    return urls


Record = tuple[str, bytes, bytes, tuple[int, ...], tuple[int, ...]]
"""A document's snippet and its analysis (index.Analysed): what the build cache keeps per document."""


def _fields(entry: Entry) -> tuple[tuple[str, ...], str]:
    """An entry's indexed field texts, and its snippet."""
    summary = plain_text(entry.summary)
    body = plain_text(entry.body)
    return ((entry.title, ", ".join(entry.authors), ", ".join(entry.tags), entry.publication or "",
             summary, body), snippet_of(entry.summary, body))


def _record(analyzer: Analyzer, entry: Entry, language: str) -> Record:
    fields, snippet = _fields(entry)
    return (snippet, *analyzer.analyse(language, fields))


# The work of a pool of forked processes: set before the pool starts, inherited, never pickled.
_JOB: tuple[Sequence[tuple[Entry, str]], Vocabulary] | None = None
_WORKER: Analyzer | None = None


def _analyse_slice(bounds: tuple[int, int]) -> tuple[list[str], list[Record]]:
    """In a worker: records for _JOB[bounds], and the terms this process added to the vocabulary."""
    global _WORKER
    assert _JOB is not None
    docs, vocabulary = _JOB
    if _WORKER is None:
        _WORKER = Analyzer(vocabulary)  # this process's own copy of the vocabulary grows from here
    base = len(_BASE)
    records = [_record(_WORKER, entry, language) for entry, language in docs[bounds[0]:bounds[1]]]
    return vocabulary.terms[base:], records


_BASE: list[str] = []


def _analyse_parallel(docs: Sequence[tuple[Entry, str]], vocabulary: Vocabulary, workers: int) -> list[Record]:
    """Records for many documents, analysed in `workers` forked processes; their new
    term ids are translated into `vocabulary`'s."""
    global _JOB, _BASE, _WORKER
    chunk = max(1, -(-len(docs) // (workers * 4)))
    bounds = [(start, min(start + chunk, len(docs))) for start in range(0, len(docs), chunk)]
    _JOB, _BASE, _WORKER = (docs, vocabulary), list(vocabulary.terms), None
    base = len(vocabulary.terms)
    records: list[Record] = []
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            for new_terms, part in pool.imap(_analyse_slice, bounds):
                # The worker's own ids past `base` -> ours, for the whole slice at once.
                table = np.concatenate((np.arange(base, dtype=np.int32),
                                        np.array([vocabulary.id(t) for t in new_terms], dtype=np.int32)))
                joined = table[np.frombuffer(b"".join(record[1] for record in part), dtype=np.int32)].tobytes()
                offset = 0
                for snippet, ids, frequencies, counts, lengths in part:
                    records.append((snippet, joined[offset:offset + len(ids)], frequencies, counts, lengths))
                    offset += len(ids)
    finally:
        _JOB, _BASE = None, []
    return records


def _analyse(docs: Sequence[tuple[Entry, str]], keys: Sequence[str], store: BuildCache | None,
             workers: int | None) -> tuple[list[str], list[Record]]:
    """(vocabulary, record per document), from the build cache where a document's key is there.

    The cache keeps one vocabulary and, in DOC_BUCKETS files by key, each
    document's record with its terms as ids into that vocabulary, so an edit
    rewrites one small bucket file (the vocabulary only when it grew).
    """
    version = code_version()
    state = store.load("search-terms") if store else {}
    if state.get("code") != version or not isinstance(state.get("terms"), list):
        state = {"code": version, "generation": os.urandom(8).hex(), "terms": []}
    vocabulary = Vocabulary(state["terms"])
    known = len(vocabulary.terms)
    buckets: list[dict[str, Record]] = []
    for number in range(DOC_BUCKETS if store else 0):
        saved = store.load(f"search-docs-{number:x}") if store else {}
        # A bucket saved with ids past the vocabulary that was saved is unusable.
        ok = (saved.get("generation") == state["generation"] and isinstance(saved.get("docs"), dict)
              and saved.get("terms", 1 << 62) <= known)
        buckets.append(saved["docs"] if ok else {})
    records: list[Record | None] = [None] * len(docs)
    missing: list[int] = []
    for position, key in enumerate(keys):
        found = buckets[int(key[0], 16) % DOC_BUCKETS].get(key) if buckets else None
        if found is None:
            missing.append(position)
        else:
            records[position] = found
    if missing:
        todo = [docs[p] for p in missing]
        cores = workers if workers is not None else (os.cpu_count() or 1)
        if (cores > 1 and len(todo) > PARALLEL_FROM and threading.active_count() == 1
                and "fork" in multiprocessing.get_all_start_methods()):  # forking beside threads can hang
            fresh = _analyse_parallel(todo, vocabulary, cores)
        else:
            analyzer = Analyzer(vocabulary)
            fresh = [_record(analyzer, entry, language) for entry, language in todo]
        for position, record in zip(missing, fresh):
            records[position] = record
    done = [r for r in records if r is not None]
    if store:
        wanted: list[dict[str, Record]] = [{} for _ in range(DOC_BUCKETS)]
        for key, record in zip(keys, done):
            wanted[int(key[0], 16) % DOC_BUCKETS][key] = record
        if len(vocabulary.terms) != known:
            store.save("search-terms", {**state, "terms": vocabulary.terms})
        for number, (old, new) in enumerate(zip(buckets, wanted)):
            if old.keys() != new.keys():
                store.save(f"search-docs-{number:x}",
                           {"generation": state["generation"], "terms": len(vocabulary.terms), "docs": new})
    return vocabulary.terms, done


def build_search(entries: Sequence[Entry], config: Config, *, cache: bool = True,
                 workers: int | None = None) -> SearchOutput:
    """Build the search index, document store and client assets for `entries`.

    With `cache`, the build cache under config.cache_dir keeps each
    document's analysis (keyed by a hash of its fields) and the last index
    files (keyed by a hash of every input): an unchanged archive reuses the
    files, an edited one re-analyses only the changed entries. A cold build
    of many entries analyses them in `workers` processes (default: one per
    core). The output is the same bytes either way.
    """
    problems: list[Problem] = []
    store = BuildCache(config) if cache else None
    all_urls = _urls(entries, store)
    order_keys = [_order_key(entry, url) for entry, url in zip(entries, all_urls)]
    positions = sorted(range(len(entries)), key=order_keys.__getitem__)
    ordered = [entries[p] for p in positions]
    urls = [all_urls[p] for p in positions]
    default = text.language_of(config.site.language, "en")
    docs: list[tuple[Entry, str]] = []
    for entry in ordered:
        language = text.language_of(entry.language, default)
        wanted = (entry.language or "").lower().split("-")[0]
        if wanted and wanted != language:
            problems.append(Problem(
                path=f"content/{entry.path}" if entry.path else entry.slug,
                message=f"search has no stemmer for language {entry.language!r}; indexed as {language!r}",
                severity=Severity.NOTICE,
            ))
        docs.append((entry, language))
    used = {language for _, language in docs} | {default}
    languages = sorted(used, key=lambda code: (code != "en", code))

    keys = [_doc_key(entry, language) for entry, language in docs]
    stored_meta = [
        (entry.title, url, _date(entry.date), entry.authors, entry.publication or "", entry.tags,
         language, str(entry.date.year) if entry.date else "")
        for (entry, language), url in zip(docs, urls)
    ]
    output_key = hashlib.sha256(repr((code_version(), languages, keys, stored_meta)).encode(
        "utf-8", "surrogatepass")).hexdigest()
    data: list[tuple[str, bytes]] | None = None
    if store and store.load("search-output-key").get("key") == output_key:
        saved = store.load("search-output")
        if saved.get("key") == output_key and isinstance(saved.get("data"), list):
            data = saved["data"]
    if data is None:
        vocabulary, records = _analyse(docs, keys, store, workers)
        index = index_from_terms([str(n) for n in range(len(docs))], [r[1:] for r in records],
                                 vocabulary, languages)
        stored = [
            shards.StoredDoc(title=title, url=url, date=date, authors=authors, publication=publication,
                             snippet=record[0], tags=tags, language=language, year=year)
            for (title, url, date, authors, publication, tags, language, year), record in zip(stored_meta, records)
        ]
        previous = store.load("search-texts") if store else {}
        reusable = previous.get("texts") if previous.get("code") == code_version() else None
        docs_key = hashlib.sha256(repr((code_version(), stored_meta, [r[0] for r in records])).encode(
            "utf-8", "surrogatepass")).hexdigest()
        saved_docs = store.load("search-store") if store else {}
        doc_data = saved_docs.get("files") if saved_docs.get("key") == docs_key else None
        data, texts, doc_data = _index_files(index, stored, languages, reusable, doc_data)
        if store:
            store.save("search-texts", {"code": code_version(), "texts": texts})
            if saved_docs.get("key") != docs_key:
                store.save("search-store", {"key": docs_key, "files": doc_data})
            store.save("search-output", {"key": output_key, "data": data})
            store.save("search-output-key", {"key": output_key})
    return _package(data, languages, problems)


def _index_files(
    index: Index, stored: Sequence[shards.StoredDoc], languages: Sequence[str],
    previous: shards.TermTexts | None = None, doc_data: list[tuple[str, bytes]] | None = None,
) -> tuple[list[tuple[str, bytes]], shards.TermTexts, list[tuple[str, bytes]]]:
    """The index data files and, last, the manifest: [(path, bytes)]; the shard text
    cache; the document store and facet files (`doc_data`, when given, are those of `stored`)."""
    lunr_languages = {code: text.LUNR_LANGUAGE_FILE[code] for code in languages if code != "en"}
    firsts, shard_files, texts = shards.shard_index(index, previous)
    if doc_data is None:
        doc_data = [*shards.document_files(stored), shards.facet_file(stored)]
    doc_files, facets = doc_data[:-1], doc_data[-1]
    terms = shards.terms_file(index)
    # Files are named by their own hash (shards) or by one per family (the document
    # store and facets; the term list), so an edit renames only what it changes.
    shard_hashes = [shards.shard_hash(body) for _, body in shard_files]
    digest = shards.build_hash([terms])
    docs_digest = shards.build_hash([*doc_files, facets])
    stop_words = {code: sorted(text.stop_words(code)) for code in languages}
    manifest_name, manifest = shards.manifest_file(
        index, languages, lunr_languages, stop_words, firsts, shard_hashes, len(doc_files), digest, docs_digest,
    )
    files = [(f"{INDEX_DIR}/{shards.file_name(key, hash_)}", body)
             for (key, body), hash_ in zip(shard_files, shard_hashes)]
    files += [(f"{INDEX_DIR}/{shards.file_name(key, docs_digest)}", body) for key, body in [*doc_files, facets]]
    files.append((f"{INDEX_DIR}/{shards.file_name(terms[0], digest)}", terms[1]))
    files.append((f"{INDEX_DIR}/{manifest_name}", manifest))
    return files, texts, doc_data


def _package(data: Sequence[tuple[str, bytes]], languages: Sequence[str], problems: list[Problem]) -> SearchOutput:
    files: list[OutputFile] = []
    assets: dict[str, str] = {}

    def add_asset(name: str, content: bytes) -> None:
        path = _hashed(name, content)
        assets[name] = path
        files.append(OutputFile(path, content))

    add_asset("lunr.js", vendor.lunr_js())
    lunr_languages = {code: text.LUNR_LANGUAGE_FILE[code] for code in languages if code != "en"}
    if lunr_languages:
        add_asset("lunr.stemmer.support.js", vendor.language_js("stemmer.support"))
        for code in lunr_languages.values():
            add_asset(f"lunr.{code}.js", vendor.language_js(code))
    for name in ("search-core.js", "search.js"):
        add_asset(name, (ASSETS_DIR / name).read_bytes())
    files.extend(OutputFile(path, body) for path, body in data)
    assets["manifest"] = data[-1][0]
    return SearchOutput(files=tuple(files), assets=MappingProxyType(assets), problems=tuple(problems))
