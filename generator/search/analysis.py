"""Documents -> term ids and frequencies per field, over one growing vocabulary.  [pure]

The expensive step of indexing (tokenizing, folding, stemming, with per-word
caching), for one document at a time; index.py turns every document's analysis
into lunr's index. Kept without numpy, so that an edit applied in place
(live.py) does not pay for importing it.
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from . import text

assert array("i").itemsize == 4, "term ids are kept as int32"

Analysed = tuple[bytes, bytes, tuple[int, ...], tuple[int, ...]]
"""One document analysed: (term ids, frequencies) as int32 bytes, then distinct
terms and tokens per field (what `DocTerms` holds, with terms as vocabulary ids)."""

Record = tuple[str, bytes, bytes, tuple[int, ...], tuple[int, ...]]
"""A document's snippet and its analysis (Analysed): what the build cache keeps per document."""


class Vocabulary:
    """Terms <-> small ints, growing as terms are met."""

    def __init__(self, terms: Iterable[str] = ()) -> None:
        self.terms: list[str] = list(terms)
        self.ids: dict[str, int] = {t: n for n, t in enumerate(self.terms)}

    def id(self, term: str) -> int:
        found = self.ids.get(term)
        if found is None:
            found = self.ids[term] = len(self.terms)
            self.terms.append(term)
        return found


WordTerms = int | tuple[int, ...] | None


class _WordIds(dict[str, WordTerms]):
    """word -> its term id (the common case), a tuple of ids, or None (a stop word,
    punctuation), for one language; filled on first lookup, so mapping a field's
    tokens with map(self.__getitem__, ...) runs at C speed."""

    def __init__(self, language: str, vocabulary: Vocabulary) -> None:
        super().__init__()
        self.analyze = text.analyzer_for(language)
        self.vocabulary = vocabulary
        self.several: set[tuple[int, ...]] = set()

    def __missing__(self, word: str) -> WordTerms:
        ids = tuple(self.vocabulary.id(term) for term in self.analyze(word))
        value: WordTerms = None if not ids else ids[0] if len(ids) == 1 else ids
        if isinstance(value, tuple):
            self.several.add(value)
        self[word] = value
        return value


class Analyzer:
    """Documents -> term ids and frequencies, per field, over one vocabulary."""

    def __init__(self, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary
        self.languages: dict[str, _WordIds] = {}

    def _words(self, language: str) -> _WordIds:
        word_ids = self.languages.get(language)
        if word_ids is None:
            word_ids = self.languages[language] = _WordIds(language, self.vocabulary)
        return word_ids

    def words(self) -> dict[str, dict[str, WordTerms]]:
        """Every word met so far, per language, with its terms (`learn` takes them back)."""
        return {language: dict(word_ids) for language, word_ids in self.languages.items()}

    def learn(self, words: Mapping[str, Mapping[str, WordTerms]]) -> None:
        """Words met by an analyzer over this vocabulary before (the stemming is the slow part)."""
        for language, known in words.items():
            word_ids = self._words(language)
            word_ids.update(known)
            word_ids.several.update(value for value in known.values() if isinstance(value, tuple))

    def terms(self, language: str, fields: Sequence[str]) -> tuple[list[int], list[int], tuple[int, ...], tuple[int, ...]]:
        """(term ids, frequencies, distinct terms per field, tokens per field); each
        field's terms in first-seen order, as lunr meets them."""
        word_ids = self._words(language)
        ids: list[int] = []
        frequencies: list[int] = []
        counts: list[int] = []
        lengths: list[int] = []
        for value in fields:
            tokens = text.split_words(value)
            # Counting the tokens' terms keeps each term where it first occurs.
            found: dict[Any, int] = Counter(map(word_ids.__getitem__, tokens))
            skipped = found.pop(None, 0)
            length = len(tokens) - skipped
            if not word_ids.several.isdisjoint(found):
                merged: dict[Any, int] = {}
                length = 0
                for key, times in found.items():
                    for term in key if isinstance(key, tuple) else (key,):
                        merged[term] = merged.get(term, 0) + times
                        length += times
                found = merged
            ids.extend(found)
            frequencies.extend(found.values())
            counts.append(len(found))
            lengths.append(length)
        return ids, frequencies, tuple(counts), tuple(lengths)

    def analyse(self, language: str, fields: Sequence[str]) -> Analysed:
        ids, frequencies, counts, lengths = self.terms(language, fields)
        return array("i", ids).tobytes(), array("i", frequencies).tobytes(), counts, lengths
