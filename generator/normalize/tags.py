"""Entry text + vocabulary -> tags. Pure.

A tag applies when one of its keywords occurs as a whole word (case-insensitive
for lower-case keywords, exact case for capitalized ones, so "China" the
country does not match "china" the porcelain).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache


def vocabulary_tags(text: str, vocabulary: Mapping[str, tuple[str, ...]]) -> list[str]:
    """Tags whose keywords occur in `text`, in vocabulary order."""
    found: list[str] = []
    for tag, keywords in vocabulary.items():
        for keyword in keywords:
            if not keyword.strip():
                continue
            if _keyword_pattern(keyword).search(text):
                found.append(tag)
                break
    return found


@lru_cache(maxsize=4096)  # every entry is matched against the same keywords: compile each once
def _keyword_pattern(keyword: str) -> re.Pattern[str]:
    flags = 0 if keyword[:1].isupper() else re.I
    return re.compile(rf"(?<![\w]){re.escape(keyword)}(?![\w])", flags)


def merge_tags(*groups: Iterable[str]) -> tuple[str, ...]:
    """Concatenate tag lists, dropping empties and case-insensitive duplicates, order kept."""
    seen: set[str] = set()
    out: list[str] = []
    for group in groups:
        for tag in group:
            tag = re.sub(r"\s+", " ", tag).strip()
            if tag and tag.casefold() not in seen:
                seen.add(tag.casefold())
                out.append(tag)
    return tuple(out)
