"""Source documents -> Entry drafts and problems. Pure.

`normalize_all` is the normalizer's one entry point: every `SourceDocument`
(page dump, saved HTML page, Markdown file) becomes zero or more `Entry`
objects (slug and path are left to the content store). Cross-source work
happens here: lines recurring across many sources are noise, and the same
article met twice is merged into one entry listing every source. The
per-source hints of archive.toml win over every heuristic.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from ..config import Config
from ..models import (
    ARTICLE,
    TEASER,
    Entry,
    Problem,
    Severity,
    SourceDocument,
    SourceHints,
    SourceKind,
    SourceRef,
)
from ..parallel import parallel_map
from .body import build_body
from .dedupe import merge_duplicates
from .html import extract_html
from .language import detect_language
from .lines import split_lines
from .markdown_source import markdown_entry
from .noise import noise_keys, recurring_keys, short_line_keys
from .tags import merge_tags, vocabulary_tags
from .text import clean_summary, text_entries

__all__ = ["normalize_all", "normalize_document", "normalize_source"]


def normalize_all(sources: Sequence[SourceDocument], config: Config,
                  jobs: int | None = None) -> tuple[list[Entry], list[Problem]]:
    """Every source -> entries (duplicates merged) and the problems met on the way.

    Never raises: a source that breaks the normalizer gives a Problem naming it.
    Deterministic: the same sources and config give the same entries in the same order,
    whatever the number of worker processes (`jobs`, default: the cores; many sources only).
    """
    ordered = sorted(sources, key=lambda d: d.path)
    # Lines recurring across many sources: each source's short lines are read where the pages are
    # normalized (in parallel), then counted once.
    recurring = recurring_keys(parallel_map(short_line_keys, [d.text for d in ordered if d.kind is SourceKind.TEXT],
                                            jobs))
    noise = noise_keys(config.normalize.noise) | recurring
    entries: list[Entry] = []
    problems: list[Problem] = []
    # Sources are independent once the cross-source noise is known: they may be done in parallel.
    for found, problem in parallel_map(partial(normalize_source, config=config, noise=noise), ordered, jobs):
        entries.extend(found)
        if problem is not None:
            problems.append(problem)
    return merge_duplicates(entries), problems


def normalize_source(doc: SourceDocument, config: Config,
                     noise: frozenset[str]) -> tuple[list[Entry], Problem | None]:
    """normalize_document that never raises: a source that breaks it gives a Problem naming it."""
    try:
        return normalize_document(doc, config, noise)
    except Exception as error:  # noqa: BLE001 - one odd page must not stop the archive
        shown = f"{config.paths.sources}/{doc.path}"
        return [], Problem(shown, f"could not be normalized ({type(error).__name__}: {error})")


def normalize_document(doc: SourceDocument, config: Config,
                       noise: frozenset[str] = frozenset()) -> tuple[list[Entry], Problem | None]:
    """One source -> its entries, or a Problem when it holds no recognizable article."""
    shown = f"{config.paths.sources}/{doc.path}"
    hints = config.hints_for(doc.path)
    entries: list[Entry]
    if doc.kind is SourceKind.MARKDOWN:
        entry, error = markdown_entry(doc.text, shown)
        if error is not None:
            return [], Problem(shown, f"invalid front matter: {error}")
        entries = [entry] if entry is not None else text_entries(_strip_md_headings(doc.text), shown, hints, noise)
    elif doc.kind is SourceKind.HTML:
        entries = _html_entries(doc.text, shown)
    else:
        entries = text_entries(doc.text, shown, hints, noise)
    if not entries:
        return [], Problem(shown, "no recognizable article (no headline followed by text, "
                                  "byline or date was found)", Severity.WARNING)
    publication = _publication(doc.text, config)
    return [_finish(e, hints, config, publication) for e in entries], None


def _strip_md_headings(text: str) -> str:
    return "\n".join(line.lstrip("#").strip() if line.startswith("#") else line for line in text.split("\n"))


def _publication(text: str, config: Config) -> str | None:
    for needle, name in sorted(config.normalize.publications.items()):
        if needle and needle in text:
            return name
    return None


def _finish(entry: Entry, hints: SourceHints, config: Config, found_publication: str | None) -> Entry:
    """Apply the user's hints, the vocabulary and defaults to one entry."""
    confidence = dict(entry.confidence)
    publication = hints.publication or entry.publication or found_publication
    confidence["publication"] = max(confidence.get("publication", 0.0),
                                    1.0 if hints.publication else (0.8 if publication else 0.0))
    kind = hints.kind or entry.kind
    authors = entry.authors or hints.authors
    if hints.authors and not entry.authors:
        confidence["authors"] = 1.0
    language = hints.language or entry.language
    confidence["language"] = max(confidence.get("language", 0.0),
                                 1.0 if hints.language else (0.7 if language else 0.0))
    vocabulary = config.normalize.vocabulary
    found = vocabulary_tags(" ".join((entry.title, entry.summary, entry.body)), vocabulary) if vocabulary else []
    tags = merge_tags(hints.tags, entry.tags, found)
    return entry.with_changes(
        kind=kind, authors=authors, publication=publication, language=language,
        tags=tags, url=hints.url or entry.url, body=entry.body if kind == ARTICLE or entry.body else "",
        confidence=confidence,
    )


def _html_entries(html: str, shown: str) -> list[Entry]:
    extract = extract_html(html)
    if extract is None:
        return []
    lines = split_lines(extract.text)
    body = build_body(lines, 0, len(lines))
    title = (extract.title or "").strip()
    if not title or not body.markdown:
        return []
    confidence = {"title": 0.9, "date": 0.9 if extract.date else 0.0,
                  "authors": 0.8 if extract.authors else 0.3, "body": 0.8,
                  "summary": 0.6 if extract.description else 0.0}
    return [Entry(
        title=title, kind=ARTICLE if body.markdown else TEASER, date=extract.date,
        authors=extract.authors, publication=extract.sitename, summary=clean_summary(extract.description or ""),
        tags=extract.tags, language=detect_language(body.markdown), translator=body.translator,
        original_publication=body.original_publication, image_credit=body.image_credit,
        url=extract.url, body=body.markdown, sources=(SourceRef(shown, (1, html.count("\n") + 1)),),
        confidence=confidence,
    )]
