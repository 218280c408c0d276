"""Entries -> entries with duplicates merged. Pure.

The same piece met twice (a teaser and its full text, or one article copied
by two sites) becomes one entry: the fuller version wins, empty fields are
filled from the other, and every source is listed.
"""

from __future__ import annotations

import re
import unicodedata
from collections import deque
from collections.abc import Sequence
from functools import lru_cache
from typing import Final

from ..models import ARTICLE, Entry


@lru_cache(maxsize=16384)  # pure; teasers repeat the same titles across many pages
def title_key(title: str) -> str:
    """A title folded for comparison: NFKD, letters and digits only, case-folded."""
    text = unicodedata.normalize("NFKD", title)
    return re.sub(r"[\W_]+", "", text).casefold()


def _rank(entry: Entry) -> tuple[int, int]:
    return (entry.kind == ARTICLE, len(entry.body))


# Fields a merged entry takes from the first of its versions that has them (in order of preference).
_FILLED: Final = ("date", "authors", "publication", "summary", "language", "translator", "original_publication",
                  "image_credit", "url")


class _Group:
    """The versions of one entry met so far, the preferred first."""

    __slots__ = ("keep", "versions")

    def __init__(self, entry: Entry) -> None:
        self.keep = entry
        self.versions: deque[Entry] = deque([entry])

    def add(self, entry: Entry) -> None:
        if _rank(entry) > _rank(self.keep):  # the fuller version wins; the others fill its gaps
            self.keep = entry
            self.versions.appendleft(entry)
        else:
            self.versions.append(entry)

    def merged(self) -> Entry:
        if len(self.versions) == 1:
            return self.keep
        versions = list(self.versions)
        filled: dict[str, object] = {}
        for name in _FILLED:  # the first version's value that is not empty (else the last one's)
            value = getattr(versions[0], name)
            for version in versions[1:]:
                if value:
                    break
                value = getattr(version, name)
            filled[name] = value
        # Each confidence as the version nearest the front has it: merging one version at a time,
        # a version that wins brings its own, one that loses fills only what is missing.
        confidence: dict[str, float] = {}
        for version in reversed(versions):
            confidence.update(version.confidence)
        # (with_changes, not dataclasses.replace: thousands of merges at 10,000 page dumps. The body
        # is the kept version's, and so is its word count.)
        return self.keep.with_changes(
            **filled,
            tags=tuple(dict.fromkeys(t for v in versions for t in v.tags)),
            sources=tuple(dict.fromkeys(s for v in versions for s in v.sources)),
            confidence=confidence,
        )


def merge_duplicates(entries: Sequence[Entry]) -> list[Entry]:
    """One entry per title key, in order of first appearance.

    Versions are merged as if one at a time (the fuller of the merged-so-far
    and the next wins, each gap filled from the other), but each group is
    built once at the end: a teaser met on a thousand pages costs a thousand
    steps, not a thousand copies of a growing list of sources.
    """
    return [group.merged() for group in _groups(entries)]


def kept_versions(entries: Sequence[Entry]) -> list[Entry]:
    """The version of each entry that merge_duplicates keeps, in the same order, unmerged: the
    merged entry has its title, kind and body, and its other fields unless they are empty.

    (What the search's analysis started before the merge needs: at 10,000 page dumps, the
    25,000 teasers of articles that are there in full are merged away.)
    """
    return [group.keep for group in _groups(entries)]


def _groups(entries: Sequence[Entry]) -> list[_Group]:
    """The versions of each entry (one group per title key), groups in order of first appearance."""
    order: list[_Group] = []
    groups: dict[str, _Group] = {}
    for entry in entries:
        key = title_key(entry.title)
        group = groups.get(key) if key else None
        if group is None:
            group = _Group(entry)
            order.append(group)
            if key:
                groups[key] = group
        else:
            group.add(entry)
    return order
