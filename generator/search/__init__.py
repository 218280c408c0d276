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
  fields (or of its content file's text, when the caller passes `versions`),
  so a rebuild analyses only new or edited entries;
- `search-texts`: each term's shard text, with the last build's document keys,
  terms and posting counts, so a rebuild serializes only the terms of the
  documents that changed;
- `search-files-<n>` (+ `search-output-key`, small: the key, every file's
  path, asset names and problems): the last build's files, by path in
  live.FILE_CHUNKS files (an edit rewrites the few holding its new files),
  returned as they are when nothing changed, and read only when used;
- `search-store`: the document store and facet files, rebuilt only when what
  they show changes;
- `search-urls`: entry URLs;
- `search-live`, `search-live-delta`, `search-postings-<n>`: the state with
  which live.py applies a small edit in place, without building the index
  (or importing numpy); any other change takes the full build.

The big ones are kept in memory between builds of one process (`archive
serve`) while their files are unchanged.

A cold build from page dumps may start the analysis early (`analyse_ahead`): a
forked process analyses the drafts while the build syncs them into content/, a
stretch in which the build keeps one core busy; the analysis of every entry
whose fields are a draft's is then taken from it.

Every cache is tied to `code_version()` (this package's source, urls.py and
the versions of lunr, mkdocs, numpy and snowballstemmer). A cold build of
more than PARALLEL_FROM entries analyses them in forked worker processes.

How it fits together: text.py is the analysis (shared with the browser),
analysis.py maps documents to term ids, index.py builds lunr's inverted index
and field vectors (equal to lunr.py's), shards.py cuts them into small files
(encode.py spells them), live.py patches them after a small edit, assets/search-core.js reassembles just
the part a query needs into a lunr.Index, assets/search.js is the page.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from ..cache import BuildCache, file_stamp
from ..config import Config
from ..models import Entry, OutputFile, Problem, Severity
from ..parallel import Forked, answer_first, default_jobs, fork_one, fork_pays, fork_pool, quick_handoff
from ..urls import entry_url
from . import encode, live, text, vendor
from .analysis import Analyzer, Record, Vocabulary
from .encode import INDEX_DIR
from .fields import FIELDS

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from . import shards
    from .index import Index

# numpy, index.py and shards.py are imported where a full build needs them: an edit applied in
# place (live.py) costs less than importing numpy.

__all__ = ["FIELDS", "SearchOutput", "build_search"]

ASSETS_DIR = Path(__file__).resolve().parent / "assets"
OUTPUT_DIR = "search"
SNIPPET_CHARS = 280
CACHE_FORMAT = "search-1"
DOC_BUCKETS = 16
"""Files the per-document analysis cache is spread over (an edit rewrites one)."""
PARALLEL_FROM = 500
"""Documents to analyse before worker processes pay for themselves."""
AHEAD_FROM = 1000
"""Drafts from which analysing them ahead (`analyse_ahead`) pays for its process."""


@dataclass(frozen=True)
class SearchOutput:
    """Everything the search adds to the site."""

    files: Sequence[OutputFile]
    """Files to write, paths relative to the site root (all under search/); read from the
    build cache on first use when nothing changed (a build that keeps site/ as it is never
    reads them)."""
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


def _version_key(language: str, path: str, version: str) -> str:
    """A document's key from its content file's text hash (which fixes every field)."""
    return hashlib.sha256(f"{language}\x1f{path}\x1f{version}".encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _quick_key(entries: Sequence[Entry], config: Config, versions: Mapping[str, str] | None) -> str | None:
    """A hash of every input from the content files' text hashes, without looking at the
    entries' text; None unless `versions` has every entry's file."""
    if versions is None:
        return None
    pairs = []
    for entry in entries:
        version = versions.get(entry.path) if entry.path else None
        if version is None:
            return None
        pairs.append(f"{entry.path}\x1f{version}")
    pairs.sort()
    digest = hashlib.sha256(f"{code_version()}\x1e{config.site.language}\x1e".encode())
    digest.update("\x1e".join(pairs).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


_MEMO: dict[Path, tuple[tuple[int, int, int], str, dict[str, Any]]] = {}
"""Big caches as last loaded or saved in this process, by file: (size, mtime_ns, inode), the
BuildCache key, the mapping. A long-running `archive serve` builds again after every save;
re-reading tens of megabytes each time would cost more than the rebuild. The mappings
are never changed in place (a new one is saved instead)."""


def _load(store: BuildCache, name: str) -> dict[str, Any]:
    """store.load(name), from this process's memory while the file is the one it saw."""
    path = store.directory / f"{name}.pickle"
    kept = _MEMO.get(path)
    stamp = file_stamp(path)
    if kept is not None and kept[0] == stamp and kept[1] == store.key:
        return kept[2]
    data = store.load(name)
    if stamp is not None and data:
        _MEMO[path] = (stamp, store.key, data)
    return data


def _save(store: BuildCache, name: str, data: dict[str, Any]) -> None:
    store.save(name, data)
    path = store.directory / f"{name}.pickle"
    stamp = file_stamp(path)
    if stamp is None:
        _MEMO.pop(path, None)
    else:
        _MEMO[path] = (stamp, store.key, data)


@cache
def code_version() -> str:
    """A hash of the code and package data the search files depend on: a cache
    made by other code (a new checkout, an upgraded stemmer) is never reused."""
    import importlib.util

    import lunr  # type: ignore[import-untyped]
    import mkdocs

    digest = hashlib.sha256(CACHE_FORMAT.encode())
    here = Path(__file__).resolve().parent
    for path in (*(here / name for name in ("__init__.py", "index.py", "shards.py", "text.py", "vendor.py",
                                            "live.py", "encode.py", "fields.py", "analysis.py")),
                 here.parent / "urls.py"):
        digest.update(path.read_bytes())
    spec = importlib.util.find_spec("snowballstemmer")
    stemmers = Path(spec.origin if spec and spec.origin else "snowballstemmer")
    stamp = stemmers.stat().st_mtime_ns if stemmers.exists() else 0
    # numpy's version without importing numpy (an edit applied in place never needs it).
    numpy_spec = importlib.util.find_spec("numpy")
    numpy_version = Path(numpy_spec.origin).with_name("version.py") if numpy_spec and numpy_spec.origin else None
    numpy_text = numpy_version.read_bytes() if numpy_version and numpy_version.exists() else b"?"
    digest.update(numpy_text)
    digest.update(f"{lunr.__VERSION__}|{mkdocs.__version__}|{stemmers}|{stamp}".encode())
    return digest.hexdigest()[:32]


def _urls(entries: Sequence[Entry], store: BuildCache | None) -> list[str]:
    """entry_url of each entry, remembered in the build cache by what it depends on
    (slugifying every path segment costs tens of microseconds an entry)."""
    version = code_version()
    saved = _load(store, "search-urls") if store else {}
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
        _save(store, "search-urls", {"code": version, "urls": fresh})
    return urls


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
    import numpy as np

    chunk = max(1, -(-len(docs) // (workers * 4)))
    bounds = [(start, min(start + chunk, len(docs))) for start in range(0, len(docs), chunk)]
    _JOB, _BASE, _WORKER = (docs, vocabulary), list(vocabulary.terms), None
    base = len(vocabulary.terms)
    records: list[Record] = []
    try:
        with fork_pool(workers) as pool, quick_handoff():
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


Ahead = tuple[list[str], dict[str, Record]]
"""What analyse_ahead's process answers: its vocabulary, and each draft's record by _doc_key."""

_AHEAD: list[Forked[Ahead | None]] = []
"""The analysis started by analyse_ahead, until _analyse takes it (in this process, or in a
forked one that inherited it: the search process of a cold build)."""


def analyse_ahead(drafts: Sequence[Entry], config: Config, then: Callable[[], None] | None = None) -> bool:
    """Start analysing `drafts` for the search index in a forked process (True when it did),
    when the build cache holds no analysis (a cold build) and there are enough of them; `_analyse` takes the
    records of every document whose fields are those of a draft that merging duplicates keeps
    (the versions it merges away are not analysed, and a merged entry that differs from the
    version it kept is analysed there). Call `drop_ahead` at the end of the build.

    A cold build from page dumps spends seconds merging the drafts and syncing them into
    content/ with one core, mostly; the analysis, a third of the search index's time, needs
    nothing these decide (a content file's place and URL are not analysed), so it runs beside them.

    `then`: run in that process once it has answered, even if the analysis failed (when it
    started; drop_ahead waits for it). A cold build saves the drafts' cache so: one process
    fewer on the cores while the drafts are synced.
    """
    drop_ahead()
    state = _load(BuildCache(config), "search-terms")
    if (state.get("code") == code_version() and state.get("terms")) or len(drafts) < AHEAD_FROM:
        return False  # not cold (most documents' analysis is in the cache), or too few to pay
    default = text.language_of(config.site.language, "en")
    docs = [(draft, text.language_of(draft.language, default)) for draft in drafts]
    started = fork_one(functools.partial(_analyse_carrying, docs, then))
    if started is not None:
        _AHEAD.append(started)
        if then is not None:
            _CARRYING.append(started)
    return started is not None


_CARRYING: list[Forked[Ahead | None]] = []
"""The analyses of _AHEAD that do more after answering (`then`): drop_ahead waits for them."""


def _analyse_carrying(docs: Sequence[tuple[Entry, str]], then: Callable[[], None] | None) -> Ahead | None:
    """_analyse_drafts(docs), in analyse_ahead's process, with `then` run after it answers; None
    when the analysis failed (`then` still runs: fork_one drops it when its function raises)."""
    if then is not None:
        answer_first(then)
    try:
        return _analyse_drafts(docs)
    except Exception:  # noqa: BLE001 - the analysis is made again where it is wanted
        return None


_DROPPED: list[Forked[Ahead | None]] = []
"""What the last drop_ahead let go of, freed by the next one. At the end of a cold build from
page dumps, the analysis holds the only references left to every draft (35,000 at 10,000 page
dumps): freeing them is 50 ms that a command-line build, whose process then ends without
freeing anything (cli.run), need not spend; `archive serve` frees them when it builds again."""


def drop_ahead() -> None:
    """Forget the analysis analyse_ahead started (its process is stopped if it still runs, and reaped);
    what it holds is kept until the next call (see _DROPPED)."""
    _DROPPED.clear()
    while _AHEAD:
        started = _AHEAD.pop()
        if started in _CARRYING:
            started.finish()  # it has more to do than answer (analyse_ahead's `then`)
        else:
            started.cancel()
        _DROPPED.append(started)
    _CARRYING.clear()


def _analyse_drafts(docs: Sequence[tuple[Entry, str]]) -> Ahead:
    from ..normalize.dedupe import kept_versions

    vocabulary = Vocabulary()
    analyzer = Analyzer(vocabulary)
    records: dict[str, Record] = {}
    # Only the version of each entry that merging duplicates keeps: the others (at 10,000 page
    # dumps, 25,000 teasers of articles there in full, a quarter of this analysis) never become
    # documents. A merged entry whose fields differ from its kept version's is analysed by _analyse.
    language_of = {id(entry): language for entry, language in docs}
    for entry in kept_versions([entry for entry, _ in docs]):
        language = language_of[id(entry)]
        key = _doc_key(entry, language)
        if key not in records:
            records[key] = _record(analyzer, entry, language)
    return vocabulary.terms, records


def _take_ahead(docs: Sequence[tuple[Entry, str]], positions: Sequence[int],
                vocabulary: Vocabulary) -> dict[int, Record]:
    """The records analyse_ahead made for docs[p] (p in `positions`), their term ids moved
    into `vocabulary`; {} when there are none (not started, failed, or taken already)."""
    if not _AHEAD:
        return {}
    started = _AHEAD.pop()
    try:
        answer = started.result()
    except Exception:  # noqa: BLE001 - an analysis that failed is made again here
        return {}
    finally:
        # It ends once it has answered (and done what it was given for after): reaped now, not
        # left a zombie until this process ends
        # (a search built beside the render, in a process the analysis is no child of, cannot:
        # this process's drop_ahead reaps it there).
        started.join()
    if answer is None:  # the analysis failed there
        return {}
    terms, by_key = answer
    found = [(p, record) for p in positions if (record := by_key.get(_doc_key(*docs[p]))) is not None]
    if not found:
        return {}
    import numpy as np

    ids = np.frombuffer(b"".join(record[1] for _, record in found), dtype=np.int32)
    # Only the terms these documents hold join the vocabulary (a count, not np.unique's sort: 0.1 s).
    used = np.flatnonzero(np.bincount(ids, minlength=len(terms)))
    table = np.zeros(len(terms), dtype=np.int32)
    table[used] = [vocabulary.id(terms[n]) for n in used.tolist()]
    moved = table[ids].tobytes()
    taken: dict[int, Record] = {}
    offset = 0
    for position, (snippet, old_ids, frequencies, counts, lengths) in found:
        taken[position] = (snippet, moved[offset:offset + len(old_ids)], frequencies, counts, lengths)
        offset += len(old_ids)
    return taken


def _analyse(docs: Sequence[tuple[Entry, str]], keys: Sequence[str], store: BuildCache | None,
             workers: int | None) -> tuple[list[str], list[Record]]:
    """(vocabulary, record per document), from the build cache where a document's key is there.

    The cache keeps one vocabulary and, in DOC_BUCKETS files by key, each
    document's record with its terms as ids into that vocabulary, so an edit
    rewrites one small bucket file (the vocabulary only when it grew).
    """
    version = code_version()
    state = _load(store, "search-terms") if store else {}
    if state.get("code") != version or not isinstance(state.get("terms"), list):
        state = {"code": version, "generation": live.token(), "terms": []}
    vocabulary = Vocabulary(state["terms"])
    known = len(vocabulary.terms)
    buckets: list[dict[str, Record]] = []
    for number in range(DOC_BUCKETS if store else 0):
        saved = _load(store, f"search-docs-{number:x}") if store else {}
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
        ahead = _take_ahead(docs, missing, vocabulary)
        for position, record in ahead.items():
            records[position] = record
        missing = [p for p in missing if p not in ahead]
    if missing:
        todo = [docs[p] for p in missing]
        cores = workers if workers is not None else default_jobs()
        if fork_pays(cores, len(todo), PARALLEL_FROM + 1):
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
            _save(store, "search-terms", {**state, "terms": vocabulary.terms})
        for number, (old, new) in enumerate(zip(buckets, wanted)):
            if old.keys() != new.keys():
                _save(store, f"search-docs-{number:x}",
                           {"generation": state["generation"], "terms": len(vocabulary.terms), "docs": new})
    return vocabulary.terms, done


def build_search(entries: Sequence[Entry], config: Config, *, cache: bool = True,
                 workers: int | None = None, versions: Mapping[str, str] | None = None,
                 saves: list[Callable[[], None]] | None = None) -> SearchOutput:
    """Build the search index, document store and client assets for `entries`.

    With `cache`, the build cache under config.cache_dir keeps each
    document's analysis (keyed by a hash of its fields) and the last index
    files (keyed by a hash of every input): an unchanged archive reuses the
    files, an edited one re-analyses only the changed entries. `versions`
    (content path -> hash of the file's text, for entries loaded from
    content/) stands in for hashing each entry's fields. A cold build of many
    entries analyses them in `workers` processes (default: one per core). The
    output is the same bytes either way. `saves`: a list that the saving of a
    fresh index's caches is appended to, for the caller to run (in order, before
    another build reads the cache) once it has passed the output on; without it,
    they are saved before this returns.
    """
    store = BuildCache(config) if cache else None
    quick = _quick_key(entries, config, versions)
    if store and quick and versions is not None:
        summary = store.load("search-output-key")
        if isinstance(summary.get("assets"), dict) and isinstance(summary.get("paths"), list):
            if summary.get("quick") == quick:
                return SearchOutput(files=_lazy_files(store, summary["paths"], entries, config),
                                    assets=MappingProxyType(summary["assets"]), problems=tuple(summary["problems"]))
            if summary.get("live"):
                done = live.rebuild(entries, versions, store, summary, _context(config))
                if done is not None:
                    new_summary, fresh = done
                    store.save("search-output-key", {**new_summary, "key": quick, "quick": quick})
                    return SearchOutput(files=_lazy_files(store, new_summary["paths"], entries, config, fresh),
                                        assets=MappingProxyType(new_summary["assets"]),
                                        problems=tuple(new_summary["problems"]))
    return _build(entries, config, store, workers, versions, quick, saves)


def _lazy_files(store: BuildCache, paths: Sequence[str], entries: Sequence[Entry], config: Config,
                fresh: Mapping[str, bytes] | None = None) -> live.LazyFiles:
    """The files of the last build (`fresh`: those just made), read from the build cache on first
    use (an unchanged build whose site/ is intact never uses them). Should the cache have
    changed in between, they are built again: the files are always those of `entries`."""
    return live.LazyFiles(store, paths, _load, lambda: build_search(entries, config, cache=False).files, fresh)


def _stored(entry: Entry, url: str, language: str) -> tuple[Any, ...]:
    """What the document store and facets show of an entry (its sort key follows from it)."""
    return (entry.title, url, _date(entry.date), entry.authors, entry.publication or "", entry.tags,
            language, str(entry.date.year) if entry.date else "")


def _doc_bucket(key: str) -> str:
    return f"search-docs-{int(key[0], 16) % DOC_BUCKETS:x}"


def _context(config: Config) -> live.Context:
    default = text.language_of(config.site.language, "en")
    return live.Context(code=code_version(), load=_load, save=_save, fields=_fields, stored=_stored,
                        language=lambda entry: text.language_of(entry.language, default),
                        version_key=_version_key, url=entry_url, doc_bucket=_doc_bucket)


def _build(entries: Sequence[Entry], config: Config, store: BuildCache | None, workers: int | None,
           versions: Mapping[str, str] | None, quick: str | None,
           saves: list[Callable[[], None]] | None = None) -> SearchOutput:
    problems: list[Problem] = []
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

    if quick is not None and versions is not None:
        keys = [_version_key(language, entry.path, versions[entry.path]) for entry, language in docs]
    else:
        keys = [_doc_key(entry, language) for entry, language in docs]
    stored_meta = [_stored(entry, url, language) for (entry, language), url in zip(docs, urls)]
    # `quick`, when there is one, stands for every input as well.
    output_key = quick or hashlib.sha256(repr((code_version(), languages, keys, stored_meta)).encode(
        "utf-8", "surrogatepass")).hexdigest()
    files: Sequence[OutputFile] | None = None
    summary = store.load("search-output-key") if store else {}
    old_paths = summary.get("paths") if isinstance(summary.get("paths"), list) else None
    if store and summary.get("key") == output_key and old_paths is not None:
        files = live.load_files(store, old_paths, _load)
    live_state: tuple[str, int] | None = summary.get("live")
    fresh_save: Callable[[], tuple[str, int] | None] | None = None
    if files is None:
        from . import shards
        from .index import index_from_terms

        vocabulary, records = _analyse(docs, keys, store, workers)
        index = index_from_terms([str(n) for n in range(len(docs))], [r[1:] for r in records],
                                 vocabulary, languages)
        previous = _load(store, "search-texts") if store else {}
        postings = _postings(keys, index)
        stale = _stale_terms(previous, postings, index) if previous.get("code") == code_version() else None
        reusable = previous.get("texts") if stale is not None else None
        docs_key = hashlib.sha256(repr((code_version(), stored_meta, [r[0] for r in records])).encode(
            "utf-8", "surrogatepass")).hexdigest()
        saved_docs = _load(store, "search-store") if store else {}
        doc_data = saved_docs.get("files") if saved_docs.get("key") == docs_key else None
        if doc_data is None:
            stored = [
                shards.StoredDoc(title=title, url=url, date=date, authors=authors, publication=publication,
                                 snippet=record[0], tags=tags, language=language, year=year)
                for (title, url, date, authors, publication, tags, language, year), record
                in zip(stored_meta, records)
            ]
            doc_data = [*shards.document_files(stored), shards.facet_file(stored)]
        made: dict[str, Any] = {}
        data, texts = _index_files(index, languages, doc_data, reusable, stale, made)
        files = _package(data, languages)
        if store:
            cache_store, package = store, files

            def save_fresh() -> tuple[str, int] | None:
                """The caches of the index just made; returns its live state (for the summary)."""
                # The summary goes last: a build stopped half-way leaves none, and the next one
                # trusts none of the file chunks and term store files.
                if summary:
                    cache_store.save("search-output-key", {})
                generation = live.token()
                previous_live = _load(cache_store, "search-live")
                trusted = (previous_live.get("generation") is not None and live_state is not None
                           and previous.get("live") == previous_live["generation"] == live_state[0])
                _save(cache_store, "search-texts", {"code": code_version(), "texts": texts, "live": generation,
                                                    **postings})
                if saved_docs.get("key") != docs_key:
                    _save(cache_store, "search-store", {"key": docs_key, "files": doc_data})
                live.save_files(cache_store, package, old_paths, _load, _save)
                if quick is not None and versions is not None:
                    old_keys = previous.get("keys")
                    edited = ([n for n, (new, old) in enumerate(zip(keys, old_keys)) if new != old]
                              if trusted and isinstance(old_keys, list) and len(old_keys) == len(keys) else None)
                    _save_live(cache_store, generation, docs, versions, records, index, vocabulary, stored_meta,
                               made, len(package) - len(data), edited, previous_live if trusted else {})
                    return (generation, 0)
                _save(cache_store, "search-live", {})
                return None

            fresh_save = save_fresh
    output = SearchOutput(files=files, assets=MappingProxyType(_assets(files)), problems=tuple(problems))

    def finish() -> None:
        state = live_state if fresh_save is None else fresh_save()
        new_summary = {"key": output_key, "quick": quick, "assets": dict(output.assets), "problems": output.problems,
                       "paths": [f.path for f in output.files], "live": state}
        if store and any(summary.get(name) != value for name, value in new_summary.items()):
            store.save("search-output-key", new_summary)

    if saves is None:
        finish()
    else:
        saves.append(finish)
    return output


def _save_live(store: BuildCache, generation: str, docs: Sequence[tuple[Entry, str]], versions: Mapping[str, str],
               records: Sequence[Record], index: Index, vocabulary: Sequence[str], stored_meta: Sequence[Any],
               made: Mapping[str, Any], first_shard: int, edited: Sequence[int] | None,
               previous: Mapping[str, Any]) -> None:
    """What live.rebuild needs to apply the next edit in place (see live.py): the term store,
    unless `previous`, the last state, can be trusted and few documents changed since it was
    written (`edited`: the positions whose document changed since the last full build; they
    join the state's patch over the term store), then the state itself."""
    import numpy as np

    assert index.tf is not None and index.numbers is not None and index.keys is not None
    field_count = len(FIELDS)
    term_count = len(index.terms)
    previous_delta = _load(store, "search-live-delta") if previous else {}
    if previous_delta.get("generation") != previous.get("generation"):
        previous, previous_delta = {}, {}
    # The term store is written again when documents moved or too many changed since it was;
    # else the documents edited since are kept as a patch over it.
    patched = (set() if not previous or edited is None
               else {*previous["patch"], *previous_delta.get("patch", {}), *edited})
    if (not previous or edited is None or len(patched) > live.MAX_PATCHED
            or not all((store.directory / f"search-postings-{number:02x}.pickle").exists()
                       for number in range(live.TERM_BUCKETS))):
        tokens = _save_term_store(store, index)
        patch = {}
    else:
        tokens = previous["buckets"]
        patch = {position: live.record_patch(records[position]) for position in sorted(patched)}
    holders = np.bincount(index.term, minlength=term_count)
    numbers = index.numbers
    # Per vocabulary id (an archive with no document left has no term: nothing to look up).
    present = numbers >= 0
    by_vocabulary = (np.where(present, holders[np.maximum(numbers, 0)], 0).astype(np.int32) if term_count
                     else np.zeros(len(numbers), dtype=np.int32))
    keys = (np.where(present, index.keys[np.maximum(numbers, 0)], -1).astype(np.int64) if term_count
            else np.full(len(numbers), -1, dtype=np.int64))
    assert index.lengths is not None
    lengths = index.lengths.astype(np.int32)  # (index_from_terms has them from the records)
    layout: shards.Layout = made["layout"]
    _save(store, "search-live", {
        "code": code_version(), "generation": generation,
        "terms_generation": _load(store, "search-terms").get("generation"), "vocab_size": len(vocabulary),
        "paths": [entry.path for entry, _ in docs], "versions": [versions[entry.path] for entry, _ in docs],
        "metas": _metas(docs, versions, stored_meta, records, previous, previous_delta),
        "languages": [language for _, language in docs],
        "lengths": lengths.tobytes(), "totals": lengths.sum(axis=0).tolist() if len(records) else [0] * field_count,
        "count": len(records),
        "keys": keys.tobytes(), "holders": by_vocabulary.tobytes(),
        "ranked": [index.terms[n] for n in index.js_order],
        "grows": np.array(layout.grows, dtype=np.int32).tobytes(), "starts": layout.starts,
        "shard_paths": made["shard_paths"], "first_shard": first_shard, "manifest": made["manifest"],
        "buckets": tokens, "patch": patch,
    })
    _save(store, "search-live-delta", {"generation": generation, "step": 0, "versions": {}, "records": {},
                                       "holders": {}, "keys": {}, "ranked": None,
                                       "grows": None, "starts": None, "shard_paths": None,
                                       "manifest": None, "patch": {}, "lengths": {}, "totals": None})


def _save_term_store(store: BuildCache, index: Index) -> dict[int, str]:
    """Every term's postings (live.Postings), in live.TERM_BUCKETS files; their tokens."""
    import numpy as np

    from .index import stable_order

    assert index.tf is not None
    field_count = len(FIELDS)
    term_count = len(index.terms)
    order = stable_order(index.term.astype(np.int64) * field_count + index.field, max(term_count * field_count, 1))
    fields = index.field[order].astype(np.int32)
    doc_numbers = index.doc[order].astype(np.int32, copy=False)
    frequencies = index.tf[order].astype(np.int32, copy=False)
    ends = np.cumsum(np.bincount(index.term, minlength=term_count)).tolist()
    wanted: dict[int, dict[str, live.Postings]] = {b: {} for b in range(live.TERM_BUCKETS)}
    start = 0
    for term, end in zip(index.terms, ends):
        wanted[live.term_bucket(term)][term] = (fields[start:end].tobytes(), doc_numbers[start:end].tobytes(),
                                               frequencies[start:end].tobytes())
        start = end
    tokens = {}
    for number, part in wanted.items():
        tokens[number] = live.token()
        _save(store, f"search-postings-{number:02x}", {"token": tokens[number], "terms": part})
    return tokens


def _metas(docs: Sequence[tuple[Entry, str]], versions: Mapping[str, str], stored_meta: Sequence[Any],
           records: Sequence[Record], previous: Mapping[str, Any], previous_delta: Mapping[str, Any]) -> bytes:
    """live.meta_hash of every document, in order; the last state's where the content file is
    the same (its text fixes every field, and the state is tied to the code and settings)."""
    known: dict[str, tuple[str, bytes]] = {}
    if previous:
        metas: bytes = previous["metas"]
        known = {path: (version, metas[n * 8:n * 8 + 8])
                 for n, (path, version) in enumerate(zip(previous["paths"], previous["versions"]))}
        for path, version in previous_delta.get("versions", {}).items():
            # An edit applied in place kept what the document shows (live.py checks it).
            if path in known:
                known[path] = (version, known[path][1])
    parts = []
    for (entry, _), meta, record in zip(docs, stored_meta, records):
        found = known.get(entry.path)
        if found is not None and found[0] == versions[entry.path]:
            parts.append(found[1])
        else:
            parts.append(live.meta_hash(meta, record[0], entry.language))
    return b"".join(parts)


def _postings(keys: Sequence[str], index: Index) -> dict[str, Any]:
    """What the next build needs to tell which terms' postings changed: the documents'
    keys in order, the terms, postings per document and per term."""
    import numpy as np

    return {"keys": list(keys), "terms": index.terms,
            "per_doc": np.bincount(index.doc, minlength=len(keys)).astype(np.int32),
            "per_term": np.bincount(index.term, minlength=len(index.terms)).astype(np.int32)}


def _stale_terms(previous: Mapping[str, Any], now: Mapping[str, Any], index: Index) -> npt.NDArray[np.bool_] | None:
    """Terms (by number) whose postings may differ from the previous build's, or None
    when all may (documents added or removed, or no document kept in place).

    Documents with the same key at the same position have the same postings
    (a term's frequency in a field depends on its document alone) but for the
    term numbers (a new term shifts those after it; the texts do not hold
    them): a term is stale when it occurs in a document whose key changed, or
    when its posting count changed (it left one, or it is new).
    """
    import numpy as np

    keys, old_keys, old_terms = now["keys"], previous.get("keys"), previous.get("terms")
    if not isinstance(old_keys, list) or len(old_keys) != len(keys) or not isinstance(old_terms, tuple):
        return None
    try:
        old_per_doc, old_per_term = previous["per_doc"], previous["per_term"]
        same = np.fromiter((a == b for a, b in zip(keys, old_keys)), dtype=bool, count=len(keys))
        if not same.any() or not np.array_equal(old_per_doc[same], now["per_doc"][same]):
            return None
        if old_terms != index.terms:
            # New terms, or terms gone: numbers may shift, texts (without the number) stay.
            # Postings per term, by the new numbers (-1: a new term, stale).
            numbers = {term: n for n, term in enumerate(index.terms)}
            mapped = np.full(len(index.terms), -1, dtype=np.int64)
            for old_number, term in enumerate(old_terms):
                found = numbers.get(term)
                if found is not None:
                    mapped[found] = old_per_term[old_number]
            old_per_term = mapped
        stale: npt.NDArray[np.bool_] = np.not_equal(old_per_term, now["per_term"])
        stale[index.term[~np.repeat(same, now["per_doc"])]] = True
    except (KeyError, TypeError, ValueError, IndexError):
        return None
    return stale


def _index_files(
    index: Index, languages: Sequence[str], doc_data: Sequence[tuple[str, bytes]],
    previous: shards.TermTexts | None = None, stale: npt.NDArray[np.bool_] | None = None,
    made: dict[str, Any] | None = None,
) -> tuple[list[tuple[str, bytes]], shards.TermTexts]:
    """The index data files (shards, length files, document store, facets, term list) and,
    last, the manifest: [(path, bytes)]; and the shard text cache. `doc_data` are the
    document store files and, last, the facets. `made` receives the shards' layout and paths
    and the manifest's data (live.py's state)."""
    from . import shards

    lunr_languages = {code: text.LUNR_LANGUAGE_FILE[code] for code in languages if code != "en"}
    layout: list[shards.Layout] = []
    firsts, shard_files, texts = shards.shard_index(index, previous, stale, layout)
    doc_files, facets = list(doc_data[:-1]), doc_data[-1]
    terms = shards.terms_file(index)
    # Files are named by their own hash (shards) or by one per family (the document
    # store and facets; the term list), so an edit renames only what it changes.
    length_files = shards.length_files(index)
    # Shards and length files are named by their own hash, so an edit renames only those it changes.
    shard_hashes = [encode.shard_hash(body) for _, body in shard_files]
    length_hashes = [encode.shard_hash(body) for _, body in length_files]
    digest = encode.build_hash([terms])
    docs_digest = encode.build_hash([*doc_files, facets])
    stop_words = {code: sorted(text.stop_words(code)) for code in languages}
    manifest_data = shards.manifest_data(
        index, languages, lunr_languages, stop_words, firsts, shard_hashes, length_hashes, len(doc_files), digest,
        docs_digest,
    )
    manifest_name, manifest = encode.manifest_bytes(manifest_data)
    files = [(f"{INDEX_DIR}/{encode.file_name(key, hash_)}", body)
             for (key, body), hash_ in zip([*shard_files, *length_files], [*shard_hashes, *length_hashes])]
    if made is not None:
        made.update(layout=layout[0], manifest=manifest_data, shard_paths=[path for path, _ in files[:len(shard_files)]])
    files += [(f"{INDEX_DIR}/{encode.file_name(key, docs_digest)}", body) for key, body in [*doc_files, facets]]
    files.append((f"{INDEX_DIR}/{encode.file_name(terms[0], digest)}", terms[1]))
    files.append((f"{INDEX_DIR}/{manifest_name}", manifest))
    return files, texts


def _package(data: Sequence[tuple[str, bytes]], languages: Sequence[str]) -> tuple[OutputFile, ...]:
    """Every file of search/: the client scripts (named by their hash), then the data files
    (`data`, the manifest last)."""
    files: list[OutputFile] = []

    def add_asset(name: str, content: bytes) -> None:
        files.append(OutputFile(_hashed(name, content), content))

    add_asset("lunr.js", vendor.lunr_js())
    lunr_languages = {code: text.LUNR_LANGUAGE_FILE[code] for code in languages if code != "en"}
    if lunr_languages:
        add_asset("lunr.stemmer.support.js", vendor.language_js("stemmer.support"))
        for code in lunr_languages.values():
            add_asset(f"lunr.{code}.js", vendor.language_js(code))
    for name in ("search-core.js", "search.js"):
        add_asset(name, (ASSETS_DIR / name).read_bytes())
    files.extend(OutputFile(path, body) for path, body in data)
    return tuple(files)


def _assets(files: Sequence[OutputFile]) -> dict[str, str]:
    """Logical name -> path of the client scripts and the manifest (the last file)."""
    assets: dict[str, str] = {}
    for file in files[:-1]:
        if file.path.startswith(f"{INDEX_DIR}/"):
            break
        # search/<stem>.<10 hex>.<extension>
        stem, _, rest = file.path[len(OUTPUT_DIR) + 1:].rpartition(".")
        assets[f"{stem.rpartition('.')[0]}.{rest}"] = file.path
    assets["manifest"] = files[-1].path
    return assets
