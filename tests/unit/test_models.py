"""models.count_words: the fast count equals the definition (one regular expression)."""

from hypothesis import given, settings
from hypothesis import strategies as st

from generator.models import count_words, count_words_slowly

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
