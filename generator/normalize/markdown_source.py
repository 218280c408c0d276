"""A Markdown source -> Entry. Pure.

With YAML front matter the file is taken as given (validated by
generator.frontmatter); without it, the text goes through the page-dump
pipeline like any other text.
"""

from __future__ import annotations

import dataclasses

from ..frontmatter import FrontMatterError, entry_from_metadata, split_front_matter
from ..models import Entry, SourceRef


def markdown_entry(text: str, source_file: str) -> tuple[Entry | None, str | None]:
    """(entry, None) for front-mattered Markdown, (None, error) for invalid front matter,
    (None, None) when there is no front matter at all."""
    try:
        data, body, body_line = split_front_matter(text)
        if not data:
            return None, None
        entry = entry_from_metadata(data, body)
    except FrontMatterError as error:
        return None, str(error)
    last = max(body_line, text.count("\n") + (0 if text.endswith("\n") else 1))
    ref = SourceRef(source_file, (1, last))
    sources = entry.sources if any(r.file == source_file for r in entry.sources) else (ref, *entry.sources)
    return dataclasses.replace(entry, sources=sources, slug="", path="", confidence=_given(entry)), None


def _given(entry: Entry) -> dict[str, float]:
    """Front matter is the author's word: what it gives is certain, what it leaves out is not guessed."""
    present = {
        "title": bool(entry.title), "date": entry.date is not None, "authors": bool(entry.authors),
        "summary": bool(entry.summary), "body": bool(entry.body), "publication": bool(entry.publication),
        "language": bool(entry.language), "tags": bool(entry.tags),
    }
    return {name: 1.0 if given else 0.7 for name, given in present.items()}
