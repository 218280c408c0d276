"""Property tests: the normalizer never raises and is deterministic."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.config import Config
from generator.models import SourceDocument, SourceHints, SourceKind
from generator.normalize import normalize_all

LINES = st.one_of(
    st.text(max_size=120),
    st.sampled_from(["", "By Jane Doe", "March 13, 2019", "Facebook Twitter Share", "# Heading",
                     "A Title Like Line Here", "*  item*  glued", "Category Archives: X", "---",
                     "This is a full sentence of running text that ends with a period."]),
)
PAGES = st.lists(LINES, max_size=40).map("\n".join)


def doc(text: str, path: str, kind: SourceKind) -> SourceDocument:
    return SourceDocument(path, kind, text, "utf-8", hashlib.sha256(text.encode()).hexdigest())


@settings(max_examples=150, deadline=None)
@given(PAGES, st.sampled_from(list(SourceKind)))
def test_never_raises_and_is_deterministic(text: str, kind: SourceKind) -> None:
    suffix = {SourceKind.TEXT: "txt", SourceKind.HTML: "html", SourceKind.MARKDOWN: "md"}[kind]
    docs = [doc(text, f"a.{suffix}", kind), doc(text[::-1], "b.txt", SourceKind.TEXT)]
    first = normalize_all(docs, Config())
    second = normalize_all(list(reversed(docs)), Config())
    assert first == second
    for entry in first[0]:
        assert entry.title
        assert entry.kind in ("article", "teaser")


def _seed_docs() -> list[SourceDocument]:
    from pathlib import Path

    from generator.ingest import read_sources

    root = Path(__file__).resolve().parents[2]
    docs, _ = read_sources(root / "seeds", root)
    return docs


class _BreaksOnBoom(Config):
    """A configuration whose hints raise for one source: the normalizer meets an error there.
    (Through the configuration, a Python object, because the compiled normalizer calls its own
    functions directly: patching one of them would not reach it.)"""

    def hints_for(self, source_path: str) -> SourceHints:
        if "boom" in source_path:
            raise ValueError("boom")
        return super().hints_for(source_path)


def test_parallel_normalizing_gives_the_serial_result(monkeypatch: pytest.MonkeyPatch) -> None:
    from generator import parallel

    monkeypatch.setattr(parallel, "PARALLEL_MIN", 2)
    docs = [*_seed_docs(), doc("BOOM\n\nA page that breaks the normalizer.", "zz_boom.txt", SourceKind.TEXT)]
    serial = normalize_all(docs, _BreaksOnBoom(), jobs=1)
    forked = normalize_all(docs, _BreaksOnBoom(), jobs=2)
    assert forked == serial
    assert repr(forked) == repr(serial)  # confidences too (entries compare without them)
    assert serial[0] and any("zz_boom.txt" in p.path and "ValueError" in p.message for p in serial[1])


def test_parallel_map_keeps_order_and_falls_back_to_serial() -> None:
    from generator.parallel import parallel_map

    import os
    import threading

    items = list(range(50))
    assert parallel_map(lambda x: x * x, items, jobs=2, minimum=2) == [x * x for x in items]
    pids = set(parallel_map(lambda x: os.getpid(), items, jobs=2, minimum=2))
    if threading.active_count() == 1:
        assert pids - {os.getpid()}  # forked
    else:
        # Earlier tests in this process left threads running: forking is unsafe, so serial.
        assert pids == {os.getpid()}
    assert set(parallel_map(lambda x: os.getpid(), items, jobs=2)) == {os.getpid()}  # below the default minimum
    assert set(parallel_map(lambda x: os.getpid(), items, jobs=1, minimum=2)) == {os.getpid()}
    assert parallel_map(str, [], jobs=2, minimum=0) == []


def test_memoized_predicates_hand_out_fresh_lists() -> None:
    from generator.normalize.article import names_in
    from generator.normalize.dates import find_dates

    found = find_dates("Published March 3, 2020")
    found.clear()
    assert len(find_dates("Published March 3, 2020")) == 1
    names, explicit = names_in("By Jane Doe", loose=False)
    names.append("Somebody Else")
    assert names_in("By Jane Doe", loose=False) == (["Jane Doe"], True)



def test_caseless_maps_every_case_variant_of_the_needles_onto_them() -> None:
    """The substring pre-checks before slow regexes are only sound if this holds for every code point."""
    import re
    import sys

    from generator.normalize.article import _CAPTION_NEEDS, _ROLE_NEEDS, _TZ_NEEDS
    from generator.normalize.bylines import _CREDIT_NEEDS
    from generator.normalize.lines import _CREDIT_WORDS
    from generator.normalize.needles import caseless
    from generator.normalize.noise import _FOOTER_NEEDS

    needles = (*_CAPTION_NEEDS, *_FOOTER_NEEDS, *_CREDIT_NEEDS, *_CREDIT_WORDS, *_ROLE_NEEDS, *_TZ_NEEDS)
    wanted = sorted(set("".join(needles)) | set("abcdefghijklmnopqrstuvwxyz"))
    assert all(caseless(ch) == ch for ch in wanted)  # the needles are written lowered
    every = "".join(chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c < 0xE000)
    variants = set(re.findall("[" + re.escape("".join(wanted)) + "]", every, re.I))
    for variant in variants:
        for ch in wanted:
            if re.fullmatch(re.escape(ch), variant, re.I):
                assert caseless(variant) == ch, (hex(ord(variant)), ch)


def test_joined_stems_are_the_stems_of_the_joined_text() -> None:
    from generator.normalize.lines import joined_stems, stems

    texts = ["", "Running text about Migration", "", "caravans, borders — “Refugees”", "x", "Straße Überall"]
    joined = " ".join(texts)
    for size, least in ((5, 4), (6, 6), (3, 4)):
        assert joined_stems(texts, size, least) == stems(joined, size, least)
        for limit in range(len(joined) + 2):
            assert joined_stems(texts, size, least, limit=limit) == stems(joined[:limit], size, least)


def _merged_one_at_a_time(entries: list[Any]) -> list[Any]:
    """The plain definition of merge_duplicates: fold each version into the merged-so-far."""
    import dataclasses

    from generator.models import ARTICLE
    from generator.normalize.dedupe import title_key

    def rank(e: Any) -> tuple[bool, int]:
        return (e.kind == ARTICLE, len(e.body))

    order: list[str] = []
    merged: dict[str, Any] = {}
    for entry in entries:
        key = title_key(entry.title) or f"#{len(order)}"
        if key not in merged:
            order.append(key)
            merged[key] = entry
            continue
        current = merged[key]
        keep, other = (entry, current) if rank(entry) > rank(current) else (current, entry)
        confidence = dict(other.confidence)
        confidence.update(keep.confidence)
        merged[key] = dataclasses.replace(
            keep, date=keep.date or other.date, authors=keep.authors or other.authors,
            publication=keep.publication or other.publication, summary=keep.summary or other.summary,
            tags=tuple(dict.fromkeys([*keep.tags, *other.tags])), language=keep.language or other.language,
            translator=keep.translator or other.translator,
            original_publication=keep.original_publication or other.original_publication,
            image_credit=keep.image_credit or other.image_credit, url=keep.url or other.url,
            sources=tuple(dict.fromkeys([*keep.sources, *other.sources])),
            confidence=dict(confidence),
        )
    return [merged[k] for k in order]


@st.composite
def _versions(draw: Any) -> list[Any]:
    import datetime as dt

    from generator.models import Entry, SourceRef

    out = []
    for n in range(draw(st.integers(0, 12))):
        maybe = st.one_of(st.none(), st.sampled_from(["a", "b", ""]))
        out.append(Entry(
            title=draw(st.sampled_from(["One", "one!", "Two", "", "…"])),
            kind=draw(st.sampled_from(["article", "teaser"])),
            date=draw(st.one_of(st.none(), st.just(dt.date(2020, 1, n + 1)))),
            authors=tuple(draw(st.lists(st.sampled_from(["A", "B"]), max_size=2))),
            publication=draw(maybe), summary=draw(st.sampled_from(["", "s", "t"])),
            tags=tuple(draw(st.lists(st.sampled_from(["x", "y", "z"]), max_size=3, unique=True))),
            language=draw(maybe), translator=draw(maybe), original_publication=draw(maybe),
            image_credit=draw(maybe), url=draw(maybe), body=draw(st.sampled_from(["", "b", "bb"])),
            sources=tuple(SourceRef(f, (1, 2)) for f in draw(st.lists(st.sampled_from("pqr"), max_size=2))),
            confidence=dict(draw(st.dictionaries(st.sampled_from(["title", "date", "body"]),
                                                             st.sampled_from([0.1, 0.5]), max_size=3))),
        ))
    return out


@settings(max_examples=80, deadline=None)
@given(_versions())
def test_merging_duplicates_is_folding_them_one_at_a_time(entries: list[Any]) -> None:
    from generator.normalize.dedupe import merge_duplicates

    assert repr(merge_duplicates(entries)) == repr(_merged_one_at_a_time(entries))


@settings(max_examples=80, deadline=None)
@given(_versions())
def test_the_kept_versions_are_the_ones_each_merged_entry_is_made_from(entries: list[Any]) -> None:
    from generator.normalize.dedupe import kept_versions, merge_duplicates

    kept = kept_versions(entries)
    merged = merge_duplicates(entries)
    assert len(kept) == len(merged)
    for version, entry in zip(kept, merged, strict=True):
        assert any(version is given for given in entries)  # the draft itself, not a copy
        assert (version.title, version.kind, version.body) == (entry.title, entry.kind, entry.body)
        for name in ("date", "authors", "publication", "summary", "language"):
            assert getattr(version, name) in (getattr(entry, name), None, "", ())


_SOME_TEXT = st.text(alphabet=st.sampled_from(list("aZ09 _-.,;:’'\t\x1c\u00a0\u200bé\u0301ßİſ\nLongword")),
                     max_size=60)
_WORDY_TEXT = st.lists(st.sampled_from(["the", "and", "der", "la", "que", "é", "Le", "1", " ", ",", "—", "_",
                                        "Élan", "o", "e"]), max_size=40).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(_SOME_TEXT)
def test_fast_text_keys_equal_their_regex_definitions(text: str) -> None:
    import re
    import unicodedata

    from generator.normalize.article import _canon
    from generator.normalize.lines import fold, stems
    from generator.normalize.noise import _key

    folded = unicodedata.normalize("NFC", text)
    folded = folded.replace("\u00a0", " ").replace("\u202f", " ").replace("\u200b", "").replace("\ufeff", "")
    assert fold(text) == folded
    assert _canon(text) == re.sub(r"[\W_]+", " ", text).strip().casefold()
    assert _key(text) == re.sub(r"\s+", " ", folded.strip()).casefold()
    for size, least in ((5, 4), (6, 6)):
        for variant in (text, text.encode("ascii", "replace").decode()):  # the ASCII path and the other
            expected = {w.casefold()[:size] for w in re.findall(r"[^\W\d_]{%d,}" % least, variant)}
            assert stems(variant, size, least) == expected


_DATELINE_PARTS = st.lists(st.sampled_from(["published", "UPDATED", "last updated", "last", "mis à jour", "a las", "las",
                                             "mon", "Monday", "sat", "h", "pm", "del", "x", "Uhr", ",", "|", "-", ":",
                                             ".", "(", ")", " ", "12", "3", "_", "\n", "°", "é", "onam"]),
                         max_size=9).map("".join)


@settings(max_examples=400, deadline=None)
@given(_DATELINE_PARTS)
def test_possessive_dateline_pattern_matches_what_the_plain_one_matches(text: str) -> None:
    import re

    from generator.normalize.dates import _DATE_LINE_EXTRA

    plain = re.compile(_DATE_LINE_EXTRA.pattern.replace("*+", "*").replace("\\d++", "\\d+"), re.I)
    assert "*+" not in plain.pattern and "++" not in plain.pattern
    assert bool(_DATE_LINE_EXTRA.match(text)) == bool(plain.match(text))


def _strip_dates_by_regex(text: str) -> str:
    from generator.normalize.article import _TIME, _TZ
    from generator.normalize.dates import find_dates

    for found in reversed(find_dates(text)):
        text = text[:found.start] + " | " + text[found.end:]
    return _TZ.sub(" ", _TIME.sub(" ", text))


_ENDINGS = st.text(alphabet=st.sampled_from(list("aZ0 .!?…:;\"'”’»)]*_(\n\t\u00a0-'’")), max_size=14)


@settings(max_examples=400, deadline=None)
@given(st.one_of(_SOME_TEXT, _ENDINGS, _WORDY_TEXT))
def test_fast_line_predicates_equal_their_regex_definitions(text: str) -> None:
    import re

    from generator.normalize.body import _ENDS_SENTENCE, _ends_like_sentence
    from generator.normalize.bylines import _ORIGINAL, _TRANSLATED, is_credit_line
    from generator.normalize.lines import _CREDIT_END, _CREDIT_WORD, _SENTENCE_END, _title_like_text
    from generator.normalize.lines import ends_sentence, has_few_words, word_count
    from generator.normalize.text import _SPACES, _TRUNCATION, clean_summary

    words = len(re.findall(r"[^\W_]+(?:['’-][^\W_]+)*", text))
    assert word_count(text) == words
    for most in (0, 1, 3, 12):
        assert has_few_words(text, most) == (0 < words <= most)
    assert ends_sentence(text) == bool(_SENTENCE_END.search(text))
    assert _ends_like_sentence(text) == bool(_ENDS_SENTENCE.search(text))
    for credit in (text, "Translated by " + text, text + " originally published in X", "[" + text):
        assert is_credit_line(credit) == (len(credit) < 250 and bool(
            _TRANSLATED.search(credit) or _ORIGINAL.search(credit)))
        if _CREDIT_END.search(credit) and _CREDIT_WORD.search(credit):
            assert not _title_like_text.__wrapped__(credit)
    from generator.normalize.article import _CONTACT, _CONTACT_HINT, _ROLE, _ROLE_NEEDS, _SEPARATORS, _TZ, _TZ_NEEDS
    from generator.normalize.article import _strip_dates
    from generator.normalize.bylines import _SPLIT, split_names
    from generator.normalize.needles import has_any

    for variant in (text, text + " Staff Writer", text + " | Jane Doe", text + " (GMT) 10:30 pm", "Ann, Bo " + text,
                    text + " RÉDACTRICE", "x REPÓRTER " + text, text + " jane@example.org", "Ann " + text + " AND Bo"):
        # each pre-check is necessary for its regex to match
        assert _SEPARATORS.split(variant) == [variant] or any(c in variant for c in "|/•·–—-")
        assert not _ROLE.search(variant) or has_any(variant, _ROLE_NEEDS)
        assert not _TZ.search(variant) or "(" in variant or has_any(variant, _TZ_NEEDS)
        assert not _CONTACT.search(variant) or _CONTACT_HINT.search(variant)
        stripped = variant.strip().rstrip(".,;")
        if stripped and "(" not in stripped:
            assert split_names(variant) == [p.strip() for p in _SPLIT.split(stripped) if p and p.strip()]
        assert _strip_dates(variant) == _strip_dates_by_regex(variant)
    summary = _SPACES.sub(" ", text + " [...]").strip()
    previous = None
    while previous != summary:
        previous, summary = summary, _TRUNCATION.sub("", summary).strip()
    assert clean_summary(text + " [...]") == summary


@settings(max_examples=300, deadline=None)
@given(st.one_of(_WORDY_TEXT, _SOME_TEXT))
def test_language_is_told_as_by_counting_every_word(text: str) -> None:
    import re
    from collections import Counter

    from generator.normalize.language import _STOP, SAMPLE, detect_language

    tokens = re.findall(r"[^\W\d_]+", text.lower()[:SAMPLE])
    expected = None
    if len(tokens) >= 8:
        counts: Counter[str] = Counter()
        for token in tokens:
            for lang, words in _STOP.items():
                if token in words:
                    counts[lang] += 1
        if counts:
            (best, n), *rest = counts.most_common()
            runner_up = rest[0][1] if rest else 0
            expected = None if n < 3 or n < 1.2 * runner_up else best
    assert detect_language(text) == expected


_FORKED_CHECK = """
import os, sys, threading
from pathlib import Path
from generator.config import Config
from generator.ingest import read_sources
from generator import parallel
from generator.normalize import normalize_all

assert threading.active_count() == 1
root = Path(sys.argv[1])
docs, _ = read_sources(root / "seeds", root)
parallel.PARALLEL_MIN = 2
noted = root / ".pids-of-normalize-test"  # appended to by every process (a set would stay in each)

class NotingPid(Config):  # the normalizer asks for each source's hints as it starts on it
    def hints_for(self, source_path):
        with open(noted, "a") as handle:
            handle.write(f"{os.getpid()} ")
        return super().hints_for(source_path)

serial = normalize_all(docs, Config(), jobs=1)
try:
    forked = normalize_all(docs, NotingPid(), jobs=2)
    pids = set(noted.read_text().split())
finally:
    noted.unlink(missing_ok=True)
assert pids - {str(os.getpid())}, "normalized in this process only: no worker was forked"
assert repr(forked) == repr(serial), "forked and serial results differ"
print("ok")
"""


def test_forked_workers_give_the_serial_result_in_a_fresh_process(tmp_path: Path) -> None:
    """The fork path itself, where no other thread can make parallel_map fall back to serial."""
    import subprocess
    import sys
    from pathlib import Path

    import shutil

    root = Path(__file__).resolve().parents[2]
    project = tmp_path / "project"
    shutil.copytree(root / "seeds", project / "seeds")
    done = subprocess.run([sys.executable, "-c", _FORKED_CHECK, str(project)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["prose", "noise", "bullet", "blank", "short", "date"]),
                          st.integers(0, 40)), max_size=30))
def test_page_index_answers_as_the_line_scans_do(kinds: list[tuple[str, int]]) -> None:
    from generator.normalize.lines import Line
    from generator.normalize.shapes import _hard_stop, _PageIndex, prose_mass

    lines = [Line(i + 1, "x", kind, words) for i, (kind, words) in enumerate(kinds)]
    page = _PageIndex(lines)
    for start in range(len(lines) + 1):
        for stop in range(len(lines) + 1):
            assert page.prose_mass(start, stop) == prose_mass(lines, start, stop)
            assert page.hard_stop(start, stop) == _hard_stop(lines, start, stop)


_STEM_TEXT = st.text(alphabet=st.sampled_from(list("abcdeABCDE é-1_’İßﬃ\u212a")), max_size=16)


@settings(max_examples=400, deadline=None)
@given(st.lists(_STEM_TEXT, max_size=6), st.sampled_from([(5, 4), (6, 6), (3, 4), (4, 5)]),
       st.one_of(st.none(), st.integers(0, 80)), st.lists(st.text(alphabet="abcdeAé", max_size=7), max_size=6))
def test_joined_stems_probe_answers_as_the_stem_set(texts: list[str], sizes: tuple[int, int], limit: int | None,
                                                    others: list[str]) -> None:
    from generator.normalize.lines import JoinedStems, joined_stems

    size, least = sizes
    expected = joined_stems(texts, size, least, limit)
    probe = JoinedStems(texts, size, least, limit)
    # every stem, every prefix of one (a stem of a shorter word?) and some strings that may be none
    for stem in {*expected, *(w[:k] for w in expected for k in range(1, size + 2)), *others}:
        assert (stem in probe) == (stem in expected), stem


@settings(max_examples=300, deadline=None)
@given(st.lists(_SOME_TEXT, max_size=8))
def test_page_keys_are_each_lines_key(texts: list[str]) -> None:
    from generator.normalize.article import _canon, canon_all

    assert canon_all(texts) == [_canon(x) for x in texts]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from([*"ab0 '-_.,\t", *map(chr, range(128))]), max_size=400), st.integers(0, 14))
def test_few_words_of_a_long_line_as_counted_to_its_end(text: str, most: int) -> None:
    import re

    from generator.normalize.lines import has_few_words, word_count

    words = len(re.findall(r"[^\W_]+(?:['’-][^\W_]+)*", text))
    assert word_count(text) == words
    assert has_few_words(text, most) == (0 < words <= most)


_FURNITURE_WORDS = st.lists(st.sampled_from(["Share", "TWEET", "facebook", "x.com", "hello", "the", "And", "-", "'",
                                             "1", "e-mail", "www.a.b", "Log", "IN", " ", ",", "İ", "ſ", "s'abonner",
                                             "Menu", "Über"]), max_size=11).map(" ".join)


@settings(max_examples=400, deadline=None)
@given(_FURNITURE_WORDS)
def test_furniture_is_told_as_by_reading_every_lowered_token(text: str) -> None:
    from generator.normalize.lines import _FURNITURE, _FURNITURE_FILLERS, _FURNITURE_TOKEN, _URLISH, is_furniture

    expected: bool | None = None
    if _URLISH.match(text):
        expected = True
    else:
        tokens = [m.group() for m in _FURNITURE_TOKEN.finditer(text.lower())]
        ordinary = next((k for k, t in enumerate(tokens) if t not in _FURNITURE), None)
        if ordinary is not None and ordinary <= 8:
            expected = False  # an ordinary word among the first nine
        elif len(tokens) > 8:
            expected = False  # a long line
        else:
            expected = bool(tokens) and not _FURNITURE_FILLERS.issuperset(tokens)
    assert is_furniture(text) == expected


_KINDS = st.lists(st.sampled_from(["blank", "name", "short", "noise", "prose"]), max_size=14)


@settings(max_examples=300, deadline=None)
@given(_KINDS, st.integers(-3, 16), st.integers(-3, 16))
def test_bounded_line_scans_answer_as_the_whole_scans(kinds: list[str], start: int, stop: int) -> None:
    from generator.normalize.article import _first_nonblank, _last_nonblank, _nonblank
    from generator.normalize.lines import NAME, NOISE, SHORT, Line
    from generator.normalize.shapes import _in_menu_run

    lines = [Line(k, "x", kind, 1) for k, kind in enumerate(kinds)]
    for count in range(6):
        assert _first_nonblank(lines, start, stop, count) == _nonblank(lines, start, stop)[:count]
        if count:
            assert _last_nonblank(lines, start, stop, count) == _nonblank(lines, start, stop)[-count:]
    for i in range(len(lines)):  # the whole run of short lines around i, as _in_menu_run once read it
        lo = i
        while lo - 1 >= 0 and lines[lo - 1].kind in (NAME, SHORT, NOISE):
            lo -= 1
        hi = i
        while hi + 1 < len(lines) and lines[hi + 1].kind in (NAME, SHORT, NOISE):
            hi += 1
        assert _in_menu_run(lines, i) == (hi - lo + 1 >= 3)
