"""The indexed fields, lunr's BM25 constants and its rounding, in a module without numpy (live.py uses them).  [pure]"""

from __future__ import annotations

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


def milli(score: float) -> int:
    """round(score, 3) * 1000 as an int, as lunr.py rounds (the scalar reference of index._millis)."""
    return round(round(score, 3) * 1000)
