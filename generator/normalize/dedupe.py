"""Entries -> entries with duplicates merged. Pure.

The same piece met twice (a teaser and its full text, or one article copied
by two sites) becomes one entry: the fuller version wins, empty fields are
filled from the other, and every source is listed.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from types import MappingProxyType

from ..models import ARTICLE, Entry


@lru_cache(maxsize=16384)  # pure; teasers repeat the same titles across many pages
def title_key(title: str) -> str:
    """A title folded for comparison: NFKD, letters and digits only, case-folded."""
    text = unicodedata.normalize("NFKD", title)
    return re.sub(r"[\W_]+", "", text).casefold()


def _rank(entry: Entry) -> tuple[int, int]:
    return (entry.kind == ARTICLE, len(entry.body))


def _merge(keep: Entry, other: Entry) -> Entry:
    def pick(a: object, b: object) -> object:
        return a if a else b

    sources = tuple(dict.fromkeys([*keep.sources, *other.sources]))
    tags = tuple(dict.fromkeys([*keep.tags, *other.tags]))
    confidence = dict(other.confidence)
    confidence.update(keep.confidence)
    return dataclasses.replace(
        keep,
        date=keep.date or other.date,
        authors=keep.authors or other.authors,
        publication=pick(keep.publication, other.publication),  # type: ignore[arg-type]
        summary=keep.summary or other.summary,
        tags=tags,
        language=keep.language or other.language,
        translator=keep.translator or other.translator,
        original_publication=keep.original_publication or other.original_publication,
        image_credit=keep.image_credit or other.image_credit,
        url=keep.url or other.url,
        sources=sources,
        confidence=MappingProxyType(confidence),
    )


def merge_duplicates(entries: Sequence[Entry]) -> list[Entry]:
    """One entry per title key, in order of first appearance."""
    order: list[str] = []
    merged: dict[str, Entry] = {}
    for entry in entries:
        key = title_key(entry.title)
        if not key:
            key = f"#{len(order)}"
        if key not in merged:
            order.append(key)
            merged[key] = entry
            continue
        current = merged[key]
        keep, other = (entry, current) if _rank(entry) > _rank(current) else (current, entry)
        merged[key] = _merge(keep, other)
    return [merged[k] for k in order]
