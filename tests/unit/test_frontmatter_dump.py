"""dump_entry's fast path writes exactly what yaml.dump writes, or steps aside."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st

from generator.frontmatter import _UNVOUCHED, _Dumper, _plain_block, dump_entry, metadata_of, parse_entry
from generator.models import ARTICLE, Entry, SourceRef

# Characters that change how YAML quotes a scalar, beside ordinary ones.
TRICKY = st.text(
    alphabet=st.sampled_from(list("ab Z09-.:#,[]{}&*!|>'\"%@`?~\t\n\r\x85\xa0\u2028\u2029\ufeff\u00e9\u4e2d\U0001f600")),
    max_size=12,
)
WORDS = st.one_of(TRICKY, st.text(max_size=20), st.sampled_from(
    ["yes", "No", "null", "~", "true", "0x1F", "1e3", "12", "3.5", ".inf", "2019-03-04", "2019-03-04 10:00",
     "- a", "a: b", "a #b", "a#b", "...x", "---", "a:", ":a", "key: value", "It's", "http://x.org/a?b=c#d"]))


def _yaml(entry: Entry) -> str:
    return yaml.dump(metadata_of(entry), Dumper=_Dumper, allow_unicode=True, sort_keys=False,
                     width=100_000, default_flow_style=False)


@st.composite
def entries(draw: st.DrawFn, words: st.SearchStrategy[str] = WORDS) -> Entry:
    return Entry(
        title=draw(words) or "t", kind=ARTICLE,
        date=draw(st.one_of(st.none(), st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31)))),
        authors=tuple(draw(st.lists(words, max_size=3))), publication=draw(st.one_of(st.none(), words)),
        summary=draw(words), tags=tuple(draw(st.lists(words, max_size=3))),
        url=draw(st.one_of(st.none(), words)), body=draw(st.text(max_size=40)),
        sources=tuple(SourceRef(f, lines) for f, lines in draw(st.lists(
            st.tuples(words, st.one_of(st.none(), st.tuples(st.integers(1, 10**6), st.integers(1, 10**6)))),
            max_size=2))),
        confidence=dict(draw(st.dictionaries(st.sampled_from(["title", "date", "body"]),
                                                         st.floats(0, 1).map(lambda v: round(v, 2))))),
    )


@settings(max_examples=600, deadline=None)
@given(entries())
@example(Entry(title="A plain title", kind=ARTICLE, date=dt.date(2019, 3, 4), authors=("Ana Ruiz",),
               tags=(), sources=(SourceRef("seeds/a.txt", (1, 40)),),
               confidence=dict({"title": 0.9, "date": 1.0})))
def test_fast_front_matter_equals_yaml_dump(entry: Entry) -> None:
    fast = _plain_block(metadata_of(entry))
    if fast is not None:
        assert fast == _yaml(entry)


def test_fast_path_takes_ordinary_entries_and_round_trips() -> None:
    entry = Entry(title="Strike ends after 40 days", kind=ARTICLE, date=dt.date(2019, 3, 4),
                  authors=("Ana Ruiz", "Li Wei"), publication="The Daily Ledger", summary="Workers return.",
                  tags=("labor", "strikes"), body="First paragraph.\n",
                  sources=(SourceRef("seeds/a.txt", (3, 40)),), confidence=dict({"title": 0.95}))
    assert _plain_block(metadata_of(entry)) is not None
    text = dump_entry(entry)
    parsed, problem = parse_entry(text, "x.md")
    assert problem is None and parsed is not None
    assert (parsed.title, parsed.authors, parsed.date, parsed.tags) == (entry.title, entry.authors, entry.date,
                                                                        entry.tags)


# Lines of front matter, plausible and odd, for the reading fast path.
LINES = st.one_of(
    st.builds(lambda k, v: f"{k}: {v}", st.sampled_from(["title", "tags", "date", "x_y", "Title", "a-b"]), WORDS),
    st.sampled_from(["authors:", "tags: []", "- a", "- 12", "- 1.5", "- 0x1F", "- yes", "  - 3", "  lines:",
                     "- file: seeds/a.txt", "  body: 0.95", "   deep: 1", "confidence:", "word_count: 010",
                     "word_count: 812", "date: 2019-03-04", "key:", "# comment", "title: a # b", "", " ",
                     "title: &x a", "other: *x", "- [a]", "list: [a, b]", "map: {a: 1}", "t: 'q'", "t: \"q\""]),
)


@settings(max_examples=1500, deadline=None)
@given(st.lists(LINES, min_size=1, max_size=8).map("\n".join))
def test_fast_front_matter_reading_equals_the_yaml_loader(block: str) -> None:
    from generator.frontmatter import _FastLoader, _read_plain_block

    fast = _read_plain_block(block)
    if fast is None:
        return
    expected = yaml.load(block, Loader=_FastLoader)  # noqa: S506 - safe loader subclass
    assert fast == expected
    assert repr(fast) == repr(expected)  # same types too (1 vs 1.0 vs "1")


@settings(max_examples=300, deadline=None)
@given(entries())
def test_dumped_entries_read_back_the_same_either_way(entry: Entry) -> None:
    from generator.frontmatter import FRONT_MATTER, _FastLoader, _read_plain_block

    match = FRONT_MATTER.match(dump_entry(entry))
    assert match is not None
    fast = _read_plain_block(match.group(1))
    if fast is not None:
        assert repr(fast) == repr(yaml.load(match.group(1), Loader=_FastLoader))  # noqa: S506


# Text a draft holds: any character but those as_stored leaves to parsing, plus the tricky words.
VOUCHED = st.one_of(WORDS.filter(lambda text: not _UNVOUCHED.search(text)), st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp"), blacklist_characters="\ufeff",
                           whitelist_characters="\t\n"), max_size=20))


@settings(max_examples=1500, deadline=None)
@given(st.one_of(entries(), entries(VOUCHED)), st.sampled_from(["", "\n", "\n\n", " ", "  \n\n"]), st.sampled_from(["", "\n", " "]),
       st.sampled_from(["article", "teaser", "", "other"]))
@example(Entry(title="A plain title", kind=ARTICLE, date=dt.date(2019, 3, 4), authors=("Ana Ruiz", " "),
               body="Para one.\n\nPara two.\n", sources=(SourceRef("seeds/a.txt", (1, 40)),),
               confidence=dict({"title": 0.912, "date": 1})), "", "", "article")
def test_a_stored_draft_is_what_parsing_its_text_gives(entry: Entry, before: str, after: str, kind: str) -> None:
    from generator.frontmatter import as_stored

    entry = replace(entry, kind=kind, body=f"{before}{entry.body}{after}")
    parsed, problem = parse_entry(dump_entry(entry), "x.md")
    stored = as_stored(entry)
    if stored is None:  # not vouched for: parsing decides, and reports what it finds
        return
    assert problem is None and parsed is not None
    assert stored == parsed
    assert dict(stored.confidence) == dict(parsed.confidence)
    assert repr(stored) == repr(parsed)  # the same types too (tuples, dates, floats)


def test_as_stored_vouches_for_ordinary_drafts_and_keeps_their_strings() -> None:
    from generator.frontmatter import as_stored

    draft = Entry(title="Strike ends after 40 days", kind=ARTICLE, date=dt.date(2019, 3, 4),
                  authors=("Ana Ruiz",), publication="The Daily Ledger", summary="Workers return.",
                  tags=("labor",), body="First paragraph.\n\nSecond, with “quotes” — and an é.\n",
                  sources=(SourceRef("seeds/a.txt", (3, 40)),), confidence=dict({"title": 0.95}))
    stored = as_stored(draft)
    assert stored is not None and stored == parse_entry(dump_entry(draft), "x.md")[0]
    assert stored.body is draft.body and stored.title is draft.title and stored.sources is draft.sources
    assert as_stored(replace(draft, title="  ")) is None  # parsing reports it
    assert as_stored(replace(draft, body="one\rtwo\n")) is None  # read back from a file, "\r" is "\n"
    assert as_stored(replace(draft, summary="x" * 3000)) is None  # YAML may fold it


@pytest.mark.parametrize("odd", [
    {"sources": (SourceRef("seeds/a.txt", (True, 3)),)},  # read back as no span: a boolean is no line
    {"sources": (SourceRef("seeds/a.txt", [1, 2]),)},  # type: ignore[arg-type]  # read back as a tuple
    {"sources": [SourceRef("seeds/a.txt", (1, 2))]},  # type: ignore[dict-item]
    {"confidence": dict({1: 0.5})}, {"confidence": dict({"a: b": 0.5})},
    {"confidence": dict({"null": 0.5})},
    {"kind": None}, {"summary": None}, {"publication": 0},
    {"date": dt.datetime(2019, 3, 4, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=7, minutes=37, seconds=28)))},
])
def test_as_stored_never_vouches_for_what_parsing_would_read_otherwise(odd: dict[str, object]) -> None:
    """Drafts of types the normalizer does not make: as_stored is None, or what parsing gives."""
    from generator.frontmatter import as_stored

    draft = replace(Entry(title="A title", kind=ARTICLE, body="Text.\n", confidence=dict({"title": 0.9})),
                    **odd)
    stored = as_stored(draft)  # never raises
    if stored is not None:
        parsed, problem = parse_entry(dump_entry(draft), "x.md")
        assert problem is None and repr(stored) == repr(parsed)


@settings(max_examples=1000, deadline=None)
@given(entries(), st.sampled_from(["", "\n", "\n\n", "\n\n\n"]))
@example(Entry(title="t", kind=ARTICLE, summary="a\n\n", body="Body.\n"), "")
@example(Entry(title="t", kind=ARTICLE, url="\n", body="Body.\n"), "")
@example(Entry(title="t", kind=ARTICLE, body="Body.\n", sources=(SourceRef("seeds/a.txt\n\n"),)), "")
@example(Entry(title="Q: A", kind=ARTICLE, body="Body.\n", sources=(SourceRef("notes..."),)), "")
# A block scalar ending in U+2028 (a line break to YAML) used to run into the closing fence.
@example(Entry(title="t", kind=ARTICLE, sources=(SourceRef("\n0\u2028"),)), "")
@example(Entry(title="t", kind=ARTICLE, summary="s\u2029", sources=(SourceRef("0\u2028"),)), "")
def test_every_dumped_entry_reads_back_with_its_body_and_fields(entry: Entry, trailing: str) -> None:
    """Whatever its fields hold (a text ending in blank lines included), a dumped entry's
    front matter ends at its fence: the body reads back whole, and so do the fields."""
    entry = replace(entry, summary=entry.summary + trailing)
    text = dump_entry(entry)
    parsed, problem = parse_entry(text, "x.md")
    if problem is not None:  # a title that is only spaces: parsing says so
        assert not entry.title.strip()
        return
    assert parsed is not None
    body = entry.body.strip("\n")
    assert parsed.body == (body + "\n" if body.strip() else "")
    assert parsed.summary == entry.summary.strip()
    # (the fence takes the newline before it: a file name ending in blank lines, written last,
    # reads back with one fewer; no source is named so)
    assert [ref.file.rstrip("\n") for ref in parsed.sources] == [ref.file.rstrip("\n") for ref in entry.sources]


@given(st.text(max_size=30) | st.text(alphabet=st.characters(max_codepoint=127), max_size=30))
@example("")
@example("a\x7f")
@example("tab\there")
@example("line\n")
@example("x\u2028y")
@example("😀")
@settings(max_examples=500, deadline=None)
def test_plain_characters_check_equals_its_expression(value: str) -> None:
    import re

    from generator.frontmatter import _PLAIN_CHARACTERS, _all_plain_characters

    assert _all_plain_characters(value) == (re.match(_PLAIN_CHARACTERS, value) is not None)
