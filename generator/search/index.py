"""Search documents -> a lunr inverted index with field vectors, pure.

`build_index` computes exactly what lunr.py's `Builder` computes (term
indexes in first-seen order, BM25 field vectors rounded to 3 decimals, the
same idf), but in a few dictionary passes with per-word caching instead of
lunr.py's per-character tokenizer and per-token pipeline: lunr.py needs about
11 s per 1,000 articles, which alone would blow the build-time budget at
10,000. `build_reference` runs lunr.py itself on the same documents, and
tests/unit/test_search_index.py checks that both serialize identically.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from lunr.builder import Builder  # type: ignore[import-untyped]

from . import text
from .vendor import LUNR_VERSION

K1 = 1.2
B = 0.75

FIELDS: tuple[tuple[str, int], ...] = (
    ("title", 10),
    ("authors", 3),
    ("tags", 2),
    ("publication", 2),
    ("summary", 2),
    ("body", 1),
)
"""The indexed fields and their boosts, in lunr field order."""


@dataclass(frozen=True)
class SearchDoc:
    """One entry as the index sees it: a ref, a language and the text of each field."""

    ref: str
    """The lunr document ref (a short decimal id)."""
    language: str
    """Analysis language (a code from text.SUPPORTED)."""
    fields: tuple[str, ...]
    """Text of each field, in FIELDS order."""


@dataclass(frozen=True)
class InvertedIndex:
    """A built index: terms by lunr term index, and per term and field, (doc number, score) pairs.

    Scores are lunr's field-vector values times 1000 (lunr rounds them to 3
    decimals, so they are exact integers); doc numbers index `refs`.
    """

    fields: tuple[str, ...]
    """Field names, in lunr order."""
    refs: tuple[str, ...]
    """Document refs, in the order they were added."""
    terms: tuple[str, ...]
    """Every term; position = lunr's `_index`."""
    postings: tuple[tuple[tuple[tuple[int, int], ...], ...], ...]
    """postings[term index][field number] = ((doc number, score * 1000), ...) by doc number."""
    pipeline: tuple[str, ...]
    """The serialized search pipeline (lunr function labels)."""


def search_pipeline_labels(languages: Sequence[str]) -> tuple[str, ...]:
    return ("archive-fold", "archive-words", text.query_pipeline_name(languages))


def _milli(score: float) -> int:
    """round(score, 3) * 1000 as an int, as lunr.py rounds, without round()'s slow path.

    round(x, 3) is the 3-decimal value nearest to x; x * 1000 rounded half-up
    is the same unless x * 1000 is within float error of a half, where we
    fall back to round() itself.
    """
    scaled = score * 1000.0
    whole = int(scaled)
    if abs(scaled - whole - 0.5) < 1e-6:
        return round(round(score, 3) * 1000)
    return whole + 1 if scaled - whole > 0.5 else whole


def build_index(docs: Sequence[SearchDoc], languages: Sequence[str]) -> InvertedIndex:
    """Index `docs` the way lunr.py's Builder would with this module's pipelines."""
    field_count = len(FIELDS)
    # Term -> None, in first-seen order (dict.update appends new keys in order):
    # lunr numbers terms in the order it first meets them.
    seen: dict[str, None] = {}
    # (doc, field) pairs holding each term: lunr's idf counts a document once per field.
    field_docs: Counter[str] = Counter()
    frequencies: list[list[tuple[dict[str, int], int]]] = []
    totals = [0] * field_count
    for doc in docs:
        analyze = text.analyzer_for(doc.language)
        per_field: list[tuple[dict[str, int], int]] = []
        for number, value in enumerate(doc.fields):
            # Count raw words first (C speed), then analyze each distinct word once;
            # walking distinct words in first-seen order keeps terms in first-seen order.
            counts: dict[str, int] = {}
            length = 0
            for word, times in Counter(text.split_words(value)).items():
                for term in analyze(word):
                    counts[term] = counts.get(term, 0) + times
                    length += times
            seen.update(dict.fromkeys(counts))
            field_docs.update(counts.keys())
            per_field.append((counts, length))
            totals[number] += length
        frequencies.append(per_field)

    terms = list(seen)
    term_index = {term: number for number, term in enumerate(terms)}
    doc_count = len(docs)
    averages = [total / doc_count if doc_count else 0.0 for total in totals]
    idf = {
        term: math.log(1 + abs((doc_count - n + 0.5) / (n + 0.5)))
        for term, n in field_docs.items()
    }
    postings: list[list[list[tuple[int, int]]]] = [[[] for _ in FIELDS] for _ in terms]
    k1_plus_1 = K1 + 1
    for doc_number, per_field in enumerate(frequencies):
        for number, (counts, length) in enumerate(per_field):
            if not counts:
                continue  # (an empty field: no terms, and its average length may be 0)
            boost = FIELDS[number][1]
            norm = K1 * (1 - B + B * (length / averages[number]))
            for term, tf in counts.items():
                # Same operations in the same order as lunr.py, for identical floats.
                score = idf[term] * (k1_plus_1 * tf) / (norm + tf)
                score *= boost
                postings[term_index[term]][number].append((doc_number, _milli(score)))

    return InvertedIndex(
        fields=tuple(name for name, _ in FIELDS),
        refs=tuple(doc.ref for doc in docs),
        terms=tuple(terms),
        postings=tuple(tuple(tuple(field) for field in posting) for posting in postings),
        pipeline=search_pipeline_labels(languages),
    )


def js_order(term: str) -> bytes:
    """Sort key matching JavaScript's string comparison (UTF-16 code units)."""
    return term.encode("utf-16-be")


def to_lunr_json(index: InvertedIndex) -> dict[str, Any]:
    """The monolithic index as lunr serializes it (lunr.Index.load reads this)."""
    vectors: dict[tuple[int, int], list[float]] = {}
    for term_number, posting in enumerate(index.postings):
        for field_number, pairs in enumerate(posting):
            for doc_number, milli in pairs:
                vectors.setdefault((doc_number, field_number), []).extend((term_number, milli / 1000))
    field_vectors = []
    for doc_number, ref in enumerate(index.refs):
        for field_number, field in enumerate(index.fields):
            elements = vectors.get((doc_number, field_number), [])
            ordered = sorted(zip(elements[::2], elements[1::2]))
            field_vectors.append([f"{field}/{ref}", [x for pair in ordered for x in pair]])
    inverted = []
    for term_number in sorted(range(len(index.terms)), key=lambda n: js_order(index.terms[n])):
        entry: dict[str, Any] = {
            field: {index.refs[doc]: {} for doc, _ in index.postings[term_number][number]}
            for number, field in enumerate(index.fields)
        }
        entry["_index"] = term_number
        inverted.append([index.terms[term_number], entry])
    return {
        "version": LUNR_VERSION,
        "fields": list(index.fields),
        "fieldVectors": field_vectors,
        "invertedIndex": inverted,
        "pipeline": list(index.pipeline),
    }


def build_reference(docs: Sequence[SearchDoc], languages: Sequence[str]) -> dict[str, Any]:
    """The same index built and serialized by lunr.py itself (slow; for tests)."""
    builder = Builder()
    builder.ref("ref")
    for name, boost in FIELDS:
        builder.field(name, boost=boost)
    builder.search_pipeline = text.lunr_search_pipeline(tuple(languages))
    for doc in docs:
        builder.pipeline = text.lunr_pipeline(doc.language)
        record = {"ref": doc.ref}
        for (name, _boost), value in zip(FIELDS, doc.fields):
            # lunr.py splits on fewer spaces than lunr.js; give it lunr.js's.
            record[name] = value.translate(text.SPACE_TABLE)
        builder.add(record)
    serialized: dict[str, Any] = builder.build().serialize()
    return serialized
