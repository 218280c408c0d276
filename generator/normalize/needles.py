"""Cheap substring pre-checks that rule out slow regex searches. Pure.

A case-insensitive regex whose every match holds one of a few literal words
cannot match a text whose `caseless` form holds none of them: `has_any` asks
that with str's fast substring search, and the regex runs only when it may
succeed. Shared by the line, byline and noise readers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

# Characters that a case-insensitive regex matches to an ASCII letter but that str.lower()
# does not turn into it (tests/unit/test_normalize_properties.py checks every code point).
_CASELESS: Final = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s"})


def caseless(text: str) -> str:
    """`text` lowered so that a case-insensitive regex can only match where its lowered literals occur.

    Lets a cheap substring test rule out an expensive regex search: if none of
    the words a pattern needs is in caseless(text), the pattern cannot match.
    """
    return text.lower() if text.isascii() else text.translate(_CASELESS).lower()


def has_any(text: str, needles: Sequence[str]) -> bool:
    """Does caseless(text) hold one of the (lower-case) needles?"""
    low = caseless(text)
    for needle in needles:  # a plain loop: asked of every line, any() over a generator costs more
        if needle in low:
            return True
    return False
