"""Entries -> the in-browser search: sharded lunr index, document store, client assets.  [pure]

`build_search(entries, config)` returns every file under `search/` (index
shards, document store, facets, term list, manifest, lunr.js and the
lunr-languages files copied from the installed mkdocs package, our client
scripts), each named with a content hash, plus `assets`, the logical name ->
root-relative path map the templates use. It writes nothing.

How it fits together: text.py is the analysis (shared with the browser),
index.py builds lunr's inverted index and field vectors (equal to lunr.py's),
shards.py cuts them into small files, assets/search-core.js reassembles just
the part a query needs into a lunr.Index, assets/search.js is the page.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from ..config import Config
from ..models import Entry, OutputFile, Problem, Severity
from ..urls import entry_url
from . import shards, text, vendor
from .index import FIELDS, Index, SearchDoc, build_index

__all__ = ["FIELDS", "SearchOutput", "build_search"]

ASSETS_DIR = Path(__file__).resolve().parent / "assets"
OUTPUT_DIR = "search"
INDEX_DIR = "search/index"
SNIPPET_CHARS = 280


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


def _order_key(entry: Entry) -> tuple[int, str]:
    # Newest first (ties in score keep this order); undated last; URL breaks ties.
    return (-(entry.date.toordinal() if entry.date else 0), entry_url(entry))


def _hashed(name: str, data: bytes) -> str:
    stem, _, extension = name.rpartition(".")
    return f"{OUTPUT_DIR}/{stem}.{hashlib.sha256(data).hexdigest()[:10]}.{extension}"


def _date(value: dt.date | None) -> str:
    return value.isoformat() if value else ""


def build_search(entries: Sequence[Entry], config: Config) -> SearchOutput:
    """Build the search index, document store and client assets for `entries`."""
    problems: list[Problem] = []
    ordered = sorted(entries, key=_order_key)
    default = text.language_of(config.site.language, "en")
    docs: list[SearchDoc] = []
    stored: list[shards.StoredDoc] = []
    for number, entry in enumerate(ordered):
        language = text.language_of(entry.language, default)
        wanted = (entry.language or "").lower().split("-")[0]
        if wanted and wanted != language:
            problems.append(Problem(
                path=f"content/{entry.path}" if entry.path else entry.slug,
                message=f"search has no stemmer for language {entry.language!r}; indexed as {language!r}",
                severity=Severity.NOTICE,
            ))
        summary = plain_text(entry.summary)
        body = plain_text(entry.body)
        docs.append(SearchDoc(
            ref=str(number),
            language=language,
            fields=(entry.title, ", ".join(entry.authors), ", ".join(entry.tags),
                    entry.publication or "", summary, body),
        ))
        stored.append(shards.StoredDoc(
            title=entry.title, url=entry_url(entry), date=_date(entry.date), authors=entry.authors,
            publication=entry.publication or "", snippet=snippet_of(entry.summary, body), tags=entry.tags,
            language=language, year=str(entry.date.year) if entry.date else "",
        ))

    used = {doc.language for doc in docs} | {default}
    languages = sorted(used, key=lambda code: (code != "en", code))
    index = build_index(docs, languages)
    return _package(index, stored, languages, problems)


def _package(index: Index, stored: Sequence[shards.StoredDoc], languages: Sequence[str],
             problems: list[Problem]) -> SearchOutput:
    files: list[OutputFile] = []
    assets: dict[str, str] = {}

    def add_asset(name: str, data: bytes) -> None:
        path = _hashed(name, data)
        assets[name] = path
        files.append(OutputFile(path, data))

    add_asset("lunr.js", vendor.lunr_js())
    lunr_languages = {code: text.LUNR_LANGUAGE_FILE[code] for code in languages if code != "en"}
    if lunr_languages:
        add_asset("lunr.stemmer.support.js", vendor.language_js("stemmer.support"))
        for code in lunr_languages.values():
            add_asset(f"lunr.{code}.js", vendor.language_js(code))
    for name in ("search-core.js", "search.js"):
        add_asset(name, (ASSETS_DIR / name).read_bytes())

    firsts, shard_files = shards.shard_index(index)
    doc_files = shards.document_files(stored)
    data = [*shard_files, *doc_files, shards.facet_file(stored), shards.terms_file(index)]
    digest = shards.build_hash(data)
    stop_words = {code: sorted(text.stop_words(code)) for code in languages}
    manifest_name, manifest = shards.manifest_file(
        index, languages, lunr_languages, stop_words, firsts, len(doc_files), digest,
    )
    for key, body in data:
        files.append(OutputFile(f"{INDEX_DIR}/{shards.file_name(key, digest)}", body))
    files.append(OutputFile(f"{INDEX_DIR}/{manifest_name}", manifest))
    assets["manifest"] = f"{INDEX_DIR}/{manifest_name}"
    return SearchOutput(files=tuple(files), assets=MappingProxyType(assets), problems=tuple(problems))
