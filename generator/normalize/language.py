"""Text -> ISO 639-1 language code, by counting common function words.

Pure and download-free: good enough to tell English, Spanish, French, German
and Portuguese apart on a paragraph or more; None when unsure.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final, TypeVar

_STOP: Final[dict[str, frozenset[str]]] = {
    "en": frozenset("the and of to in is that for it with as was on are by this be from have has not but".split()),
    "es": frozenset("el la los las de que y en un una es por con para del se al lo como más pero sus".split()),
    "fr": frozenset("le la les de des et en un une est que pour dans du au par sur pas ne qui avec ce".split()),
    "de": frozenset("der die das und ist nicht den dem mit von zu ein eine auf für sich im auch es wird".split()),
    "pt": frozenset("o a os as de que e em um uma é do da dos das para com não por se mais na no ao".split()),
}

_ANY_STOP: Final = frozenset().union(*_STOP.values())
# The languages each function word counts for, in the order of _STOP.
_LANGUAGES_OF: Final[dict[str, tuple[str, ...]]] = {w: tuple(lang for lang, words in _STOP.items() if w in words)
                                             for w in sorted(_ANY_STOP)}

# The same for ASCII text read as bytes.
_ANY_STOP_BYTES: Final = frozenset(w.encode() for w in _ANY_STOP)
_LANGUAGES_OF_BYTES: Final = {w.encode(): langs for w, langs in _LANGUAGES_OF.items()}

_LETTER_RUN: Final = re.compile(r"[^\W\d_]+")
# ASCII letters kept, every other byte a space (lowered ASCII text's letters are a-z).
_ASCII_LETTERS: Final = bytes(c if c < 128 and chr(c).isalpha() else 32 for c in range(256))

_W = TypeVar("_W", str, bytes)


SAMPLE: Final = 3000
"""Characters read from the start of a text: some 500 words of running text, a hundred or more of
them function words, which settle the language as surely as the whole article does (on every
labelled page and every synthetic article tried, the answer was the same as from 20,000). An
article's body is several times that, and counting its words was a tenth of the normalizer's time."""


def detect_language(text: str) -> str | None:
    """The most likely language of `text` (its first SAMPLE characters), or None for too little evidence."""
    # (lowering can lengthen non-ASCII text: only ASCII text is cut before it is lowered)
    low = text[:SAMPLE].lower() if text.isascii() else text.lower()[:SAMPLE]
    if low.isascii():
        # In ASCII text the letters are a-z: splitting its bytes on everything else finds the same
        # words, faster (and as bytes, counted against the function words as bytes).
        totals = _totals(low.encode().translate(_ASCII_LETTERS).split(), _ANY_STOP_BYTES, _LANGUAGES_OF_BYTES)
    else:
        totals = _totals(_LETTER_RUN.findall(low), _ANY_STOP, _LANGUAGES_OF)
    if totals is None:
        return None
    counts = sorted(((n, lang) for lang, n in totals.items()), reverse=True)
    (n, best), (runner_up, _) = counts[0], counts[1]
    # A tie at the top is never an answer (n < 1.2 * runner_up), so the order of ties does not matter.
    if n < 3 or n < 1.2 * runner_up:
        return None
    return best


def _totals(tokens: list[_W], stop: frozenset[_W],
            languages_of: Mapping[_W, tuple[str, ...]]) -> dict[str, int] | None:
    """How many of the tokens are function words of each language; None for fewer than 8 tokens."""
    if len(tokens) < 8:
        return None
    totals = dict.fromkeys(_STOP, 0)
    # Only function words are counted: the others are dropped at C speed first. (No Counter: on
    # the few words of a teaser, making one costs more than the count.)
    for word in filter(stop.__contains__, tokens):
        for lang in languages_of[word]:
            totals[lang] += 1
    return totals
