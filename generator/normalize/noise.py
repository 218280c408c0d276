"""Page furniture: lines that are never article text.

Pure. Three general sources of noise: lines the user listed in archive.toml,
lines that recur across many sources (menus, footers, taglines of one site
seen in several dumps), and category/archive headers ("Category Archives: X")
that label a whole page rather than belong to a post.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Final

from .lines import fold, has_few_words, word_count
from .needles import has_any

_CATEGORY: Final = re.compile(
    r"^(?:category|categories|tag|tags|topic|topics|section|archive|archives|category archives|tag archives|"
    r"archive for category|posts tagged|kategorie|kategorien|schlagwort|rubrik|rubrique|catégorie|"
    r"categoría|categoria|etiqueta|sección|seção|thema)\s*(?:archives?)?\s*[:»›>|-]\s*(?P<label>.{2,60})$",
    re.I,
)
_FOOTER: Final = re.compile(
    r"(?:\bcopyright\b|©|\ball rights reserved\b|\btodos los derechos\b|\btous droits\b|\balle rechte\b|"
    r"\bprivacy policy\b|\bcookie|\bterms of (?:use|service)\b|\bnewsletter\b|\bsubscribe\b|\bsign up\b|"
    r"\bcontact us\b|\bto contact\b|\bimpressum\b|\bdatenschutz\b|\bsuscr[ií]b|\babonnez\b|\babonnieren\b)",
    re.I,
)
# Every match of _FOOTER holds one of these: without them the (slow) search cannot succeed.
_FOOTER_NEEDS: Final = ("copyright", "©", "rights reserved", "derechos", "droits", "rechte", "privacy", "cookie",
                        "terms of", "newsletter", "subscribe", "sign up", "contact", "impressum", "datenschutz",
                        "suscr", "abonn")


def category_label(line: str) -> str | None:
    """The label of a category/archive header line, else None."""
    match = _CATEGORY.match(fold(line).strip())
    if not match:
        return None
    label = match.group("label").strip().strip("\"'“”«»").strip()
    return label if 0 < word_count(label) <= 6 else None


@lru_cache(maxsize=16384)  # pure, and asked about the same lines by several stages
def is_footer_text(text: str) -> bool:
    """Copyright, contact, subscription and policy blurbs."""
    return has_any(text, _FOOTER_NEEDS) and bool(_FOOTER.search(text))


def _key(line: str) -> str:
    return " ".join(fold(line).split()).casefold()  # = _SPACES.sub(" ", ....strip()): same whitespace


def recurring_lines(texts: Sequence[str], min_sources: int = 3, share: float = 0.3) -> frozenset[str]:
    """Lines (folded) that occur in at least `min_sources` sources and `share` of them.

    Long lines are left out: a sentence repeated across dumps is more likely a
    quoted passage than a menu item.
    """
    if len(texts) < min_sources:
        return frozenset()
    return recurring_keys([short_line_keys(text) for text in texts], min_sources, share)


def short_line_keys(text: str) -> frozenset[str]:
    """The folded short lines of one source: what `recurring_lines` counts (one source at a time)."""
    # (an empty line has no word: half the lines of a dump are settled without counting)
    return frozenset(_key(line) for line in text.split("\n") if line and has_few_words(line, 12))


def recurring_keys(key_sets: Sequence[frozenset[str]], min_sources: int = 3, share: float = 0.3) -> frozenset[str]:
    """`recurring_lines` from each source's `short_line_keys`: one pass over all of them."""
    if len(key_sets) < min_sources:
        return frozenset()
    counts: Counter[str] = Counter()
    for keys in key_sets:
        counts.update(keys)
    needed = max(min_sources, int(share * len(key_sets) + 0.999))
    return frozenset(k for k, n in counts.items() if n >= needed)


def noise_keys(extra: Iterable[str]) -> frozenset[str]:
    """The user's noise lines, folded like `is_noise_line` folds lines."""
    return frozenset(_key(x) for x in extra if x.strip())


def is_noise_line(line: str, keys: frozenset[str]) -> bool:
    return bool(keys) and _key(line) in keys


@lru_cache(maxsize=8)  # one set of keys per run: its hash is computed once and kept by the frozenset
def most_words(keys: frozenset[str]) -> int:
    """The most words a noise key has: an ASCII line with more words cannot be noise.

    (For ASCII text, `_key` only lowers letters and folds spaces: the words stay the words.)
    """
    return max((word_count(k) for k in keys), default=0)
