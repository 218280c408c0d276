"""A saved HTML page -> text and metadata, with trafilatura. Pure.

trafilatura finds the main text and the page's metadata (title, author,
date); the text then goes through the same cleaning as a page dump, with the
metadata preferred where the page declares it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .bylines import split_names
from .dates import parse_date


@dataclass(frozen=True)
class HtmlExtract:
    """What trafilatura found in a page."""

    title: str | None
    authors: tuple[str, ...]
    date: dt.date | None
    text: str
    url: str | None
    description: str | None
    sitename: str | None
    tags: tuple[str, ...]


def extract_html(html: str) -> HtmlExtract | None:
    """Main text and metadata of an HTML page, or None when nothing was found."""
    try:
        import trafilatura
    except ImportError:  # pragma: no cover - trafilatura is a dependency
        return None
    try:
        doc = trafilatura.bare_extraction(html, include_comments=False, include_tables=True,
                                          include_formatting=True, with_metadata=True)
    except Exception:  # noqa: BLE001 - a broken page must never take the archive down
        return None
    if doc is None:
        return None
    data = doc.as_dict() if hasattr(doc, "as_dict") else dict(doc)
    text = data.get("text") or ""
    if not text.strip():
        return None
    author = data.get("author") or ""
    authors = tuple(a for a in split_names(author.replace(";", ",")) if a) if author else ()
    date = parse_date(str(data.get("date") or ""))
    tags_value = data.get("tags") or data.get("categories") or ""
    tags = tuple(t.strip() for t in str(tags_value).split(",") if t.strip()) if tags_value else ()
    return HtmlExtract(
        title=(data.get("title") or None), authors=authors, date=date,
        text=text.replace("\r\n", "\n"), url=data.get("url") or None,
        description=data.get("description") or None, sitename=data.get("sitename") or None,
        tags=tags,
    )
