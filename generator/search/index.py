"""Search documents -> a lunr inverted index with field vectors, pure.

Two steps, so that the expensive one can be cached per document:

- `Analyzer.analyse`: one document's fields -> its term ids (into a shared
  `Vocabulary`, first-seen order), term frequencies and field lengths. This is
  where the text work is (tokenizing, folding, stemming, with per-word
  caching); it depends on one document only, so the build caches it by a hash
  of the document and runs it in worker processes on a cold build.
- `index_from_terms`: every document's analysis -> `Index`, lunr's inverted
  index and field vectors in columns (numpy arrays, one row per (term, field,
  document) posting). The scoring is vectorized: at 10,000 articles there are
  about 5 million postings, far too many for a Python loop when a rebuild
  after one edit must take well under a second (and an edit changes the
  average field length, so any score may change).

The result is exactly what lunr.py's `Builder` computes (term indexes in
first-seen order, BM25 field vectors rounded to 3 decimals, the same idf):
the same IEEE operations in the same order, element by element. lunr.py
itself needs about 11 s per 1,000 articles. `build_reference` runs lunr.py
on the same documents, and tests/unit/test_search_index.py checks that both
serialize identically.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from . import text
from .analysis import Analysed, Analyzer, Vocabulary, WordTerms  # noqa: F401 (re-exported)
from .encode import (
    KEY_SPAN,
    js_order,
)
from .fields import FIELDS, K1, B
from .fields import milli as _milli
from .vendor import LUNR_VERSION

ANALYSIS_VERSION = "1"
"""Bump when the analysis (text.py) changes what terms a text gives: it keys cached analyses."""


Ints = npt.NDArray[np.integer[Any]]


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
class DocTerms:
    """One document analysed: its terms with frequencies, field by field."""

    terms: tuple[str, ...]
    """Distinct terms of each field in first-seen order, the fields one after another."""
    frequencies: tuple[int, ...]
    """How often each of `terms` occurs in its field."""
    counts: tuple[int, ...]
    """How many of `terms` belong to each field."""
    lengths: tuple[int, ...]
    """Tokens in each field (lunr's field length)."""


@dataclass(frozen=True)
class Index:
    """A built index, in columns: one row per posting (term, field, document), in
    document order, each document's fields in order (so by document within a term and field).

    Scores are lunr's field-vector values times 1000 (lunr rounds them to 3
    decimals, so they are exact integers).
    """

    fields: tuple[str, ...]
    """Field names, in lunr order."""
    refs: tuple[str, ...]
    """Document refs, in the order they were added."""
    terms: tuple[str, ...]
    """Every term; position = lunr's `_index`."""
    js_order: tuple[int, ...]
    """Term indexes sorted the way JavaScript sorts strings (lunr's inverted index order)."""
    term: Ints
    """Per posting: the term's index."""
    field: Ints
    """Per posting: the field number."""
    doc: Ints
    """Per posting: the document number (position in `refs`)."""
    pipeline: tuple[str, ...]
    """The serialized search pipeline (lunr function labels)."""
    tf: Ints
    """Per posting: the term's frequency in the field."""
    numbers: Ints | None = None
    """Per vocabulary id: the term's index, -1 for a term no document has (index_from_terms sets it)."""
    keys: Ints | None = None
    """Per term (by index): its key in the shards, encode.KEY_SPAN x its first document + the
    place of its first occurrence among that document's terms (index_from_terms sets it)."""
    lengths: Ints | None = None
    """Per document and field (a doc_count x field_count array): lunr's field length, the tokens
    in the field (index_from_terms sets it)."""

    def milli(self) -> Ints:
        """Per posting: lunr's field-vector value x 1000, rounded as lunr.py rounds.

        The shards hold frequencies and the browser scores them (search-core.js), so the
        build itself never needs this: it is for to_lunr_json and the tests that hold the
        browser's scores to lunr's.
        """
        assert self.lengths is not None
        doc_count, field_count = self.lengths.shape
        # lunr's idf counts a document once per field holding the term.
        holders = np.bincount(self.term, minlength=len(self.terms))
        idf_of = {n: math.log(1 + abs((doc_count - n + 0.5) / (n + 0.5))) for n in set(holders.tolist())}
        idf = np.array([idf_of[n] for n in holders.tolist()], dtype=np.float64)
        totals = self.lengths.sum(axis=0).tolist()
        averages = [total / doc_count if doc_count else 0.0 for total in totals]
        safe = np.array([a if a else 1.0 for a in averages], dtype=np.float64)  # (a field with no terms: no postings)
        norm = (K1 * ((1 - B) + B * (self.lengths / safe))).reshape(-1)
        boost = np.array([b for _, b in FIELDS], dtype=np.float64)
        cell = self.doc.astype(np.int64) * field_count + self.field
        tf = self.tf.astype(np.float64)
        # The same operations in the same order as lunr.py, for identical floats:
        # idf * ((k1 + 1) * tf) / (norm + tf) * boost.
        score = idf[self.term]
        score *= (K1 + 1) * tf
        tf += norm[cell]
        score /= tf
        score *= boost[self.field]
        return _millis(score)

    def postings(self) -> list[list[list[tuple[int, int]]]]:
        """postings[term][field] = [(doc, milli), ...] by doc (slow; for tests and small indexes)."""
        table: list[list[list[tuple[int, int]]]] = [[[] for _ in self.fields] for _ in self.terms]
        for t, f, d, m in zip(self.term.tolist(), self.field.tolist(), self.doc.tolist(), self.milli().tolist()):
            table[t][f].append((d, m))
        return table


InvertedIndex = Index  # the name other modules knew it by


def search_pipeline_labels(languages: Sequence[str]) -> tuple[str, ...]:
    return ("archive-fold", "archive-words", text.query_pipeline_name(languages))


# --- analysis, one document at a time ---

def analyze_doc(language: str, fields: Sequence[str]) -> DocTerms:
    """One document's fields -> its terms, frequencies and field lengths."""
    vocabulary = Vocabulary()
    ids, frequencies, counts, lengths = Analyzer(vocabulary).terms(language, fields)
    return DocTerms(tuple(vocabulary.terms[i] for i in ids), tuple(frequencies), counts, lengths)


# --- the index, from every document's terms ---

def _millis(scores: npt.NDArray[np.float64]) -> Ints:
    """round(score, 3) * 1000 for every score, as lunr.py rounds, vectorized (`scores` is reused).

    round(x, 3) is the 3-decimal value nearest to x; the integer nearest to
    x * 1000 is the same unless x * 1000 is within float error of a half,
    where we ask round() itself (a handful of scores).
    """
    scaled = np.multiply(scores, 1000.0)
    nearest = np.rint(scaled)
    distance = np.subtract(scaled, nearest, out=scaled)
    np.abs(distance, out=distance)
    result = nearest.astype(np.int32)
    for position in np.flatnonzero(distance > 0.5 - 1e-6).tolist():
        result[position] = _milli(float(scores[position]))
    return result


def stable_order(keys: Ints, bound: int) -> Ints:
    """A stable argsort of non-negative `keys` < `bound`: LSD radix sort over 16-bit digits
    (numpy sorts uint16 by radix, far faster than its general stable sort)."""
    order = np.argsort((keys & 0xFFFF).astype(np.uint16), kind="stable")
    shift = 16
    while bound > 1 << shift:
        digit = ((keys[order] >> shift) & 0xFFFF).astype(np.uint16)
        order = order[np.argsort(digit, kind="stable")]
        shift += 16
    return order


def index_from_terms(
    refs: Sequence[str], analysed: Sequence[Analysed], vocabulary: Sequence[str], languages: Sequence[str],
) -> Index:
    """Documents analysed into term ids -> the index lunr.py would build.

    `analysed[n]` is document n's analysis, its term ids indexing `vocabulary`.
    """
    field_count = len(FIELDS)
    doc_count = len(analysed)
    if doc_count:
        ids = np.frombuffer(b"".join([a[0] for a in analysed]), dtype=np.int32)
        counts = np.frombuffer(b"".join([a[1] for a in analysed]), dtype=np.int32)
        per_field = np.array([a[2] for a in analysed], dtype=np.int64).reshape(doc_count, field_count)
        lengths = np.array([a[3] for a in analysed], dtype=np.int64).reshape(doc_count, field_count)
    else:
        ids = counts = np.zeros(0, np.int32)
        per_field = lengths = np.zeros((0, field_count), np.int64)
    # Postings are in document order, each document's fields in order.
    cell = np.repeat(np.arange(doc_count * field_count, dtype=np.int32), per_field.reshape(-1))
    doc = np.repeat(np.arange(doc_count, dtype=np.int32), per_field.sum(axis=1))
    field = (cell - doc * np.int32(field_count)).astype(np.int8)

    # lunr numbers terms in the order it first meets them (documents in order,
    # fields in order, each field's terms in first-seen order): ids' order.
    first = np.full(len(vocabulary), len(ids), dtype=np.int64)
    np.minimum.at(first, ids, np.arange(len(ids), dtype=np.int64))
    present = np.flatnonzero(first < len(ids))
    by_first = present[np.argsort(first[present], kind="stable")]
    lunr_number = np.full(len(vocabulary), -1, dtype=np.int32)
    lunr_number[by_first] = np.arange(len(by_first), dtype=np.int32)
    doc_starts = np.concatenate(([0], np.cumsum(per_field.sum(axis=1))))
    first_docs = doc[first[by_first]].astype(np.int64)
    keys = first_docs * KEY_SPAN + (first[by_first] - doc_starts[first_docs])
    terms = tuple(vocabulary[i] for i in by_first.tolist())
    ordered = sorted(range(len(terms)), key=lambda n: js_order(terms[n]))
    term = lunr_number[ids]
    return Index(
        fields=tuple(name for name, _ in FIELDS),
        refs=tuple(refs),
        terms=terms,
        js_order=tuple(ordered),
        term=term,
        field=field,
        doc=doc,
        pipeline=search_pipeline_labels(languages),
        tf=counts,
        numbers=lunr_number,
        keys=keys,
        lengths=lengths,
    )


def build_index(docs: Sequence[SearchDoc], languages: Sequence[str]) -> Index:
    """Index `docs` the way lunr.py's Builder would with this module's pipelines."""
    vocabulary = Vocabulary()
    analyzer = Analyzer(vocabulary)
    analysed = [analyzer.analyse(d.language, d.fields) for d in docs]
    return index_from_terms([d.ref for d in docs], analysed, vocabulary.terms, languages)


def to_lunr_json(index: Index) -> dict[str, Any]:
    """The monolithic index as lunr serializes it (lunr.Index.load reads this)."""
    postings = index.postings()
    vectors: dict[tuple[int, int], list[float]] = {}
    for term_number, posting in enumerate(postings):
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
    for term_number in index.js_order:
        entry: dict[str, Any] = {
            field: {index.refs[doc]: {} for doc, _ in postings[term_number][number]}
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
    from lunr.builder import Builder  # type: ignore[import-untyped]  # (tests only)

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
