"""Author credits -> a list of names; translator, reprint and image credits.

Pure. Recognizes "by X", "By X, from Y", "X and Y", "Von X und Y", lines
that are only a name (or an organization), and the credit lines that follow
an article ("Translated by ...", "Originally published in ...").
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Final

from .needles import caseless, has_any

# Words that may appear in lower case inside a person's or organization's name.
_PARTICLES: Final = frozenset(
    "de da das do dos del della di du des la le van von der den ten ter y e et und and of al bin ibn "
    "los las el zu vom st".split()
)
_BY: Final = re.compile(
    r"^(?:written\s+by|words\s+by|story\s+by|posted\s+by|by|von|por|par|de|door|autor(?:in)?:|author:|"
    r"auteur\s*:|texto?\s*:|text\s*:|escrito\s+por|publicado\s+por|publié\s+par)\s+(?P<rest>.+)$",
    re.I,
)
_TAG: Final = re.compile(r"</?[A-Za-z][^<>]*>")
"""An HTML tag, opening or closing, in text."""
_SPLIT: Final = re.compile(r"\s*(?:,\s*(?:and|und|y|et|e)\s+|\s+(?:and|und|y|et|e|&)\s+|\s*;\s*|\s*,\s*)\s*", re.I)
# The words _SPLIT splits at (with spaces around them) besides commas and semicolons.
_JOINERS: Final = frozenset({"and", "und", "y", "et", "e", "&"})
_TRANSLATED: Final = re.compile(
    r"\b(?:translated(?:\s+from\s+\w+)?\s+by|translation(?:\s+by)?:?|traducido\s+por|traducción(?:\s+de)?:?|"
    r"traduit\s+par|traduction\s*:?|übersetzt\s+von|übersetzung:?|traduzido\s+por|tradução:?)\s+"
    r"(?P<who>[^.;\n]+)",
    re.I,
)
_ORIGINAL: Final = re.compile(
    r"\b(?:originally\s+published\s+(?:on|in|at|by)|first\s+published\s+(?:on|in|at|by)|"
    r"this\s+article\s+(?:was\s+)?(?:first|originally)\s+appeared\s+(?:on|in)|originally\s+appeared\s+(?:on|in)|"
    r"publicado\s+originalmente\s+en|publié\s+initialement\s+(?:dans|sur)|"
    r"zuerst\s+erschienen\s+(?:in|auf|bei)|publicado\s+originalmente\s+(?:em|no|na))\s+(?P<where>[^\n]+)",
    re.I,
)
# Every match of _TRANSLATED or _ORIGINAL holds one of these: without them the (slow) searches cannot succeed.
_CREDIT_NEEDS: Final = ("translat", "tradu", "übersetz", "originally", "first", "publicado", "publié", "erschienen")
_CREDIT: Final = re.compile(
    r"^(?:photo|foto|image|picture|bild|imagen|imagem|credit|crédito|crédit|photograph|illustration)s?"
    r"(?:\s+credit)?\s*(?:by)?\s*[:©]?\s*(?P<who>.+)$",
    re.I,
)
_AGENCY_CREDIT: Final = re.compile(r"^(?P<who>[^/|]{2,60}?)\s*[/|]\s*(?P<agency>[^/|]{2,60})$")


# Capitalized words that title-case headlines use and names almost never contain.
_HEADLINE_WORDS: Final = frozenset(
    "The A An About Against After Before For From Into On Over To With Up Under Is Are Was Why How What "
    "When Who New Not Will Can Its Their Our Your Has Have Der Die Das Ein Eine Le Les Un Une".split()
)


_TRAILING_PAREN: Final = re.compile(r"\s*\([^()\d]{1,40}\)\s*$")
_NOT_IN_NAME: Final = re.compile(r"[\d@:;!?\"“”|/\\]|https?|www\.")
_INITIAL_END: Final = re.compile(r"\b[A-Z]\.$")


def _tokens(text: str) -> list[str]:
    return text.split()


def is_name(text: str, max_words: int = 8) -> bool:
    """True when `text` reads as a person's or organization's name.

    Every word is capitalized (or a name particle such as "de", "van"); no
    digits, no sentence punctuation; an organization may carry a short
    parenthetical such as "(Mexico)".
    """
    text = text.strip()
    # (the parenthesis must end the stripped text: no search from every position otherwise)
    stripped = _TRAILING_PAREN.sub("", text) if text.endswith(")") else text
    has_parenthesis = stripped != text
    text = stripped
    if not text or len(text) > 80 or _NOT_IN_NAME.search(text):
        return False
    if text.endswith((".", ",")) and not _INITIAL_END.search(text, max(0, len(text) - 2)):  # "X." ends it
        return False
    words = _tokens(text)
    if not 1 <= len(words) <= max_words:
        return False
    if any(w in _HEADLINE_WORDS for w in words) or any(w.endswith(("’s", "'s", "s’")) for w in words):
        return False  # headlines, not names
    capitalized = 0
    for word in words:
        core = word.strip(".,’'()-")
        if not core:
            return False
        if core.lower() in _PARTICLES:
            continue
        if not core[0].isupper():
            return False
        capitalized += 1
    return 1 <= capitalized <= (6 if has_parenthesis else 4)


def is_person_like(text: str) -> bool:
    """A stricter `is_name`: 1-4 words, the shape of a person's name."""
    return is_name(text, max_words=4)


def name_list(text: str) -> list[str] | None:
    """The names of a line that is only a list of people ("A B, C D and E F"), else None.

    Each name must have two to four words: "Smith, John" is one name written
    surname first, and "Paris, London and Berlin" is no list of people.
    """
    names = split_names(text)
    if len(names) < 2 or not all(2 <= len(n.split()) <= 4 and is_person_like(n) for n in names):
        return None
    return names


def byline_names(line: str) -> list[str] | None:
    """The names of a "by ..." line, or None when the line is no byline.

    "By X, from Y" keeps X; "X and Y" gives both; a trailing date or
    "| Publication" is cut off.
    """
    text = line.strip().strip("*_").strip()
    if "<" in text:
        # Markup copied along with the page's text ("By <a href=...>Jane Doe</a>"): its tags are
        # no part of the names (and never credit anyone).
        text = " ".join(_TAG.sub(" ", text).split())
    match = _BY.match(text)
    if not match:
        return None
    rest = match.group("rest")
    rest = re.split(r"\s+(?:from|de|aus|für|for|in|at)\s+|\s+[|•·–—-]\s+|\s*\(", rest, maxsplit=1)[0]
    rest = re.sub(r"\s+(?:on|am|le|el|em)\s+.*$", "", rest)
    names = split_names(rest)
    if not names or not all(is_name(n) for n in names):
        return None
    return names


def split_names(text: str) -> list[str]:
    """"X, Y and Z" -> [X, Y, Z]; organizations with parentheses stay whole."""
    text = text.strip().rstrip(".,;")
    if not text:
        return []
    if "(" in text:  # "Movimiento ... (Mexico)": do not split inside the parenthesis
        return [text]
    if "," not in text and ";" not in text and not any(caseless(word) in _JOINERS for word in text.split()):
        return [text.strip()]  # nothing _SPLIT could match (its search from every position is slow)
    parts = [p.strip() for p in _SPLIT.split(text) if p and p.strip()]
    return parts


def translator_of(text: str) -> str | None:
    """Who translated it, from a credit line such as "Translated by X."."""
    match = _TRANSLATED.search(text)
    if not match:
        return None
    who = match.group("who").strip().rstrip(".,;")
    return who if is_name(who) else None


def original_publication_of(text: str) -> str | None:
    """Where a reprint first appeared, from "Originally published on X"."""
    match = _ORIGINAL.search(text)
    if not match:
        return None
    where = match.group("where").strip().rstrip(".,;")
    where = re.split(r"\s+on\s+(?=\w+\s+\d)|\.\s", where)[0].strip()
    return where or None


def is_credit_line(text: str) -> bool:
    """A credits line ("Translated by ...", "Originally published in ...")."""
    # A paragraph is settled by its length, before the memo: a memo's miss (and the entry it
    # pushes out) costs more than this, and paragraphs never come back.
    return len(text) < 250 and _is_credit_line(text)


@lru_cache(maxsize=16384)  # pure, and asked twice about every line of an article's text
def _is_credit_line(text: str) -> bool:
    return has_any(text, _CREDIT_NEEDS) and bool(_TRANSLATED.search(text) or _ORIGINAL.search(text))


def image_credit_of(line: str) -> str | None:
    """The credit of a photo credit line ("Photo: X", "X / Getty Images"), else None."""
    text = line.strip()
    if not text or len(text) > 100:
        return None  # (before the memo: see is_credit_line)
    return _image_credit_of(text)


@lru_cache(maxsize=16384)  # pure, and asked about every line of a header zone by several stages
def _image_credit_of(text: str) -> str | None:
    match = _CREDIT.match(text)
    if match and is_name(match.group("who").strip().rstrip(".")):
        return match.group("who").strip().rstrip(".")
    match = _AGENCY_CREDIT.match(text)
    if match and is_name(match.group("who")) and is_name(match.group("agency")):
        return f"{match.group('who').strip()} / {match.group('agency').strip()}"
    return None
