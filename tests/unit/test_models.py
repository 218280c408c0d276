"""models: the fast word count equals the definition (one regular expression); Entry.placed."""

import datetime as dt
import pickle
from dataclasses import FrozenInstanceError, replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.models import Entry, count_words, count_words_slowly

_PIECES = st.sampled_from(["word", "García", "don’t", "x-y", "a--b", "'", "’", "-", "_", "a_b", "3", "½", "²",
                           " ", "\n", "—", "“", "\xa0", "中文", "한", "カ", "\ud800", "é", "ß", "Ⅻ", "٣", "*", ".",
                           "e\u0301", "-x", "x-", "'s", "ﬁ"])


@settings(max_examples=1000, deadline=None)
@given(st.lists(_PIECES, max_size=30).map("".join))
def test_count_words_equals_its_definition(text: str) -> None:
    assert count_words(text) == count_words_slowly(text)


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=80))
def test_count_words_equals_its_definition_on_any_text(text: str) -> None:
    assert count_words(text) == count_words_slowly(text)


def test_count_words_examples() -> None:
    assert count_words("") == 0
    assert count_words("Don’t stop-the presses, 2024!") == 4
    assert count_words("中文 text") == 3


def test_placed_equals_replace_and_leaves_the_entry_alone() -> None:
    entry = Entry(title="T", date=dt.date(2020, 1, 2), authors=("A",), body="B", slug="old", path="x.md",
                  confidence=dict({"title": 0.5}))
    placed = entry.placed("new", "2020/01/new.md")
    assert placed == replace(entry, slug="new", path="2020/01/new.md")
    assert placed.confidence == entry.confidence and (entry.slug, entry.path) == ("old", "x.md")
    assert pickle.loads(pickle.dumps(placed)) == placed
    with pytest.raises(FrozenInstanceError):
        placed.slug = "x"  # type: ignore[misc]


def test_word_patterns_are_compiled_only_when_needed() -> None:
    import subprocess
    import sys

    # A fresh process: counting the words of ASCII text compiles neither wide expression.
    code = ("from generator import models as m; m.count_words('plain ascii text, don\\'t'); "
            "print(m._word_pattern.cache_info().currsize, m._cjk_pattern.cache_info().currsize)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["0", "0"]
    assert count_words("佳士工人 and more") == count_words_slowly("佳士工人 and more")


def test_the_word_count_is_counted_once_and_kept_only_while_the_body_is_the_same(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import generator.models as models

    counted: list[str] = []

    def counting(text: str) -> int:
        counted.append(text)
        return count_words(text)

    monkeypatch.setattr(models, "count_words", counting)
    entry = Entry(title="T", body="one two three")
    assert entry.counted_words is None
    assert entry.word_count == 3 and entry.word_count == 3
    assert counted == ["one two three"]
    assert entry.counted_words == 3
    # Kept by a copy that keeps the body, across a pickle (a worker's draft), out of equality.
    assert entry.placed("t", "t.md").counted_words == 3
    assert pickle.loads(pickle.dumps(entry)).counted_words == 3
    assert entry == Entry(title="T", body="one two three") and hash(entry) == hash(Entry(title="T", body="one two three"))
    # Dropped by one that changes it, and never taken over by dataclasses.replace.
    changed = entry.with_changes(body="four")
    assert changed.counted_words is None and changed.word_count == 1
    assert replace(entry, title="U").counted_words is None


def test_drafts_carry_their_word_count_through_merging_and_storing() -> None:
    from generator.frontmatter import as_stored
    from generator.normalize.dedupe import merge_duplicates

    article = Entry(title="Same story", body="\nA body of six words here.\n\n", date=dt.date(2020, 1, 2))
    teaser = Entry(title="Same story", kind="teaser", summary="A teaser", tags=("x",))
    assert article.word_count == 6 and teaser.word_count == 0
    [merged] = merge_duplicates([teaser, article])
    assert merged.body == article.body and merged.tags == ("x",)
    assert merged.counted_words == 6
    stored = as_stored(merged)
    assert stored is not None and stored.body != merged.body
    assert stored.counted_words == 6 == count_words(stored.body)


def test_an_entry_kept_without_its_body_is_the_same_entry_once_told_its_file(tmp_path) -> None:
    from generator.content import text_hash

    text = "---\ntitle: T\n---\n\nThe body.\n"
    (tmp_path / "t.md").write_text(text)
    entry = Entry(title="T", body="The body.\n", path="t.md")
    assert Entry(title="Teaser").kept().__dict__ == Entry(title="Teaser").__dict__  # nothing to leave out
    kept = pickle.loads(pickle.dumps(entry.kept()))
    assert "body" not in vars(kept) and "body" in vars(entry)
    rewritten = kept.with_changes(body="Other.\n")  # a new body: nothing to read
    assert rewritten.body == "Other.\n" and rewritten == replace(entry, body="Other.\n")
    kept.with_body_file(str(tmp_path / "t.md"), text_hash(text))
    assert kept.placed("s", "t.md") == entry.placed("s", "t.md") and hash(kept) == hash(entry)
    assert kept.body == entry.body and Entry.body == ""
