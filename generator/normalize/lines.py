"""A page dump -> classified lines, the unit every later stage reasons about.

Pure. Each non-blank line gets a kind (prose, heading-like short line, date,
byline, name, share/navigation noise, bullet ...) from structural signals only:
length, punctuation, capitalization, position of blank lines.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
import unicodedata
from collections.abc import Iterator, Sequence
from functools import lru_cache
from typing import Final, final

from .bylines import byline_names, image_credit_of, is_credit_line, is_name, name_list
from .dates import date_line_value
from .needles import has_any

BLANK: Final = "blank"
PROSE: Final = "prose"
SHORT: Final = "short"
DATE: Final = "date"
BYLINE: Final = "byline"
NAME: Final = "name"
NOISE: Final = "noise"
BULLET: Final = "bullet"

_SENTENCE_END: Final = re.compile(r"[.!?…:;][\"'”’»)\]]*$")
_BULLET: Final = re.compile(r"^\s*(?:[-*•·▪►–]\s+|\d{1,2}[.)]\s+)")
# Words that make up share bars, menus and footers in the languages we read.
# A short line made only of these is page furniture wherever it appears.
_FURNITURE: Final = frozenset("""
facebook twitter x instagram youtube linkedin pinterest reddit whatsapp telegram tumblr email e-mail mail
print share shares sharing tweet comment comments copy link flipboard messenger pocket rss feed
menu search home subscribe newsletter login log in sign up register close open skip to content main
navigation next previous prev back top more read follow us on teilen drucken kommentare suche anmelden
abonnieren compartir imprimir comentarios buscar suscribirse partager imprimer commentaires rechercher
s'abonner partilhar compartilhar comentários pesquisar assinar the and or de la el les die der und
this article story post page
""".split())
# Furniture words that also fill ordinary phrases: a line of only these is not furniture.
_FURNITURE_FILLERS: Final = frozenset({"the", "and", "or", "de", "la", "el", "les", "die", "der", "und", "in", "on", "to",
                                "us", "this", "article", "story", "post", "page"})
_URLISH: Final = re.compile(r"^(?:https?://|www\.)\S+$|^[\w.-]+\.(?:com|org|net|de|fr|es|uk|info|io)(?:/\S*)?$", re.I)


@final
class Line:
    """One line of a dump with what we could tell about it. Immutable (Final: checked by mypy).

    A plain class with its own __init__, not a frozen dataclass: compiled with mypyc, a
    dataclass keeps the __init__ the decorator writes, which runs interpreted and sets each
    field through object.__setattr__ (1.2 µs a line, some 5% of the normalizer's time);
    this one is compiled.
    """

    def __init__(self, no: int, text: str, kind: str, words: int, date: dt.date | None = None,
                 names: tuple[str, ...] = ()) -> None:
        self.no: Final = no
        """1-based line number in the source."""
        self.text: Final = text
        """The line, stripped of surrounding whitespace."""
        self.kind: Final = kind
        """One of the kinds above."""
        self.words: Final = words
        """Number of words."""
        self.date: Final = date
        """The date, for date lines."""
        self.names: Final = names
        """The credited names, for byline and name lines."""

    def _fields(self) -> tuple[int, str, str, int, dt.date | None, tuple[str, ...]]:
        return self.no, self.text, self.kind, self.words, self.date, self.names

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Line) and self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        no, text, kind, words, date, names = self._fields()
        return f"Line(no={no!r}, text={text!r}, kind={kind!r}, words={words!r}, date={date!r}, names={names!r})"


def fold(text: str) -> str:
    """NFC, non-breaking and zero-width spaces normalized."""
    if text.isascii():
        return text  # already NFC, and none of the spaces below is ASCII
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\u00a0", " ").replace("\u202f", " ").replace("\u200b", "").replace("\ufeff", "")
    return text


_WORD: Final = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")
_FURNITURE_TOKEN: Final = re.compile(r"[^\W\d_]+(?:[-'][^\W\d_]+)?")


# The shape of ASCII text for counting words, one byte per character: 1 for a letter or digit
# (in ASCII text, [^\W_] is [A-Za-z0-9]), and 1 for what may join two words into one ("don't",
# "well-known").
_ALNUM_BYTES: Final = bytes(1 if c < 128 and chr(c).isalnum() else 0 for c in range(256))
_JOIN_BYTES: Final = bytes(1 if chr(c) in "'-" else 0 for c in range(256))


def _token_words(token: str) -> int:
    return 1 if token.isalnum() else len(_WORD.findall(token))


def word_count(text: str) -> int:
    """len(_WORD.findall(text)), without a regex match per word where that can be avoided.

    A word holds no whitespace, so the words of a text are those of its
    whitespace-separated tokens; most tokens are one plain word.
    """
    if text.isascii():
        # Runs of letters and digits, less the joins that glue two runs into one word (a single
        # apostrophe or hyphen between two of them), counted without a string per word: the
        # text's bytes become the bits of an integer, one per byte (set for a letter or digit),
        # and a run starts at a set bit whose previous byte's bit is clear.
        alnum = int.from_bytes(text.encode().translate(_ALNUM_BYTES), "little")
        n = (alnum & ~(alnum << 8)).bit_count()
        if "'" in text or "-" in text:
            joins = int.from_bytes(text.encode().translate(_JOIN_BYTES), "little")
            n -= (joins & (alnum << 8) & (alnum >> 8)).bit_count()
        return n
    return sum(map(_token_words, text.split()))


def has_few_words(text: str, most: int) -> bool:
    """0 < word_count(text) <= most, without counting the words of a long line to its end."""
    if text.isascii():
        # Counted at C speed: faster than stopping early. A prefix has no more words than the
        # whole text (each word reaching into it gives one there), so a long line is mostly
        # settled by its start.
        if len(text) > 16 * (most + 1) and word_count(text[:16 * (most + 1)]) > most:
            return False
        return 0 < word_count(text) <= most
    n = 0
    for token in text.split():
        n += _token_words(token)
        if n > most:
            return False
    return n > 0


_LETTERS: Final = re.compile(r"[^\W\d_]{4,}")


# Word lists and stem sets are big and only reused within a page: a small memo is enough.
_WORD_MEMO: Final = 2048


@lru_cache(maxsize=16)
def _ascii_stem_pattern(size: int, min_letters: int) -> re.Pattern[str]:
    """Captures the first `size` letters of each run of at least `min_letters` a-z letters.

    A run shorter than `min_letters` fails at its first letter and at every later one,
    and a longer run is matched whole from its first letter, so the captures are
    exactly the stems of the lowered text's words, without a list of the words.
    """
    if min_letters <= size:
        return re.compile(rf"([a-z]{{{min_letters},{size}}})[a-z]*")
    return re.compile(rf"([a-z]{{{size}}})[a-z]{{{min_letters - size},}}")


@lru_cache(maxsize=_WORD_MEMO)
def stems(text: str, size: int, min_letters: int = 4) -> frozenset[str]:
    """The first `size` letters (casefolded) of the words of `text` with at least `min_letters` (>= 4) letters.

    Words never span a space, so the stems of lines joined by spaces are the
    union of each line's stems: memoized per line, they are computed once per page.
    """
    if min_letters < 4:
        raise ValueError("stems are of words of four letters or more")
    if text.isascii():  # lower() is casefold() there, and keeps letters letters (a-z): lower once
        return frozenset(_ascii_stem_pattern(size, min_letters).findall(text.lower()))
    return frozenset(w.casefold()[:size] for w in _LETTERS.findall(text) if len(w) >= min_letters)


def _joined_pieces(texts: Sequence[str], limit: int | None) -> Iterator[str]:
    """The texts whose words make up " ".join(texts)[:limit], the last one cut at the limit
    (words never span the joining spaces)."""
    pos = 0
    for k, text in enumerate(texts):
        if k:
            pos += 1  # the joining space
        if limit is not None and pos >= limit:
            return
        if limit is not None and pos + len(text) > limit:
            yield text[:limit - pos]
            return
        yield text
        pos += len(text)


def joined_stems(texts: Sequence[str], size: int, min_letters: int = 4, limit: int | None = None) -> set[str]:
    """stems(" ".join(texts)[:limit], size, min_letters), from the memoized stems of each text."""
    found: set[str] = set()
    for piece in _joined_pieces(texts, limit):
        found |= stems(piece, size, min_letters)
    return found


_AZ_RUN: Final = re.compile(r"[a-z]*")


class JoinedStems:
    """`stem in joined_stems(texts, size, min_letters, limit)`, without gathering every stem.

    A headline is scored by how many of its few stems come back in the text under it:
    finding each of them in the lowered ASCII lines costs far less than listing the
    stems of thousands of words. (The other lines: their memoized stems, as before.)
    Words never span the joining spaces, so the stems of the joined text are those
    of the ASCII lines joined together and those of the other lines.
    """

    def __init__(self, texts: Sequence[str], size: int, min_letters: int = 4, limit: int | None = None) -> None:
        if min_letters < 4:
            raise ValueError("stems are of words of four letters or more")
        self.size = size
        self.min_letters = min_letters
        plain: list[str] = []
        known: set[str] = set()
        for piece in _joined_pieces(texts, limit):
            if piece.isascii():
                plain.append(piece)
            else:
                known |= stems(piece, size, min_letters)
        self.low = " ".join(plain).lower()
        self.known = known
        self.asked: dict[str, bool] = {}  # a headline's stems are asked again when it is scored

    def __contains__(self, stem: object) -> bool:
        if stem in self.known:
            return True
        if not isinstance(stem, str) or not (stem.isascii() and stem.isalpha() and stem.islower()):
            return False  # the lowered stems of ASCII text are all a-z
        found = self.asked.get(stem)
        if found is None:
            found = self.asked[stem] = self._in_plain(stem)
        return found

    def _in_plain(self, stem: str) -> bool:
        """Is `stem` (a-z only) a stem of the ASCII lines?"""
        low = self.low
        # A stem is the first `size` letters of a maximal run of a-z of at least `min_letters`,
        # or the whole run when it is shorter than `size`.
        n = len(stem)
        pos = low.find(stem)
        while pos >= 0:
            if pos == 0 or not ("a" <= low[pos - 1] <= "z"):
                run = _AZ_RUN.match(low, pos).end() - pos  # type: ignore[union-attr]
                if run >= self.min_letters and min(run, self.size) == n:
                    return True
            pos = low.find(stem, pos + 1)
        return False


class StemIndex:
    """Where each stem occurs among a page's lines, to ask "is this stem in the text of lines a..b?".

    The same question as `w in joined_stems(texts[a:b], size, min_letters)`, by binary
    search instead of building the union for each range (a page asks about many ranges).
    """

    def __init__(self, texts: Sequence[str], size: int, min_letters: int = 4) -> None:
        self.size = size
        self.min_letters = min_letters
        where: dict[str, list[int]] = {}
        for k, text in enumerate(texts):
            if text:
                for stem in stems(text, size, min_letters):
                    found = where.get(stem)
                    if found is None:
                        where[stem] = [k]
                    else:
                        found.append(k)
        self.where = where

    def occurs(self, stem: str, start: int, stop: int) -> bool:
        """Does a line with index in [start, stop) have `stem`?"""
        found = self.where.get(stem)
        if found is None:
            return False
        j = bisect.bisect_left(found, start)
        return j < len(found) and found[j] < stop


def is_furniture(text: str) -> bool:
    """A share bar, menu item run or bare URL: never article text."""
    if _URLISH.match(text):
        return True
    if text.isascii():
        # Lowering ASCII text changes no character's class: its first token, lowered, is the
        # lowered text's first one. Most lines are settled by it, without lowering them whole.
        first = _FURNITURE_TOKEN.search(text)
        if first is None or first.group().lower() not in _FURNITURE:
            return False
    tokens: list[str] = []
    for match in _FURNITURE_TOKEN.finditer(text.lower()):
        token = match.group()
        if token not in _FURNITURE:
            return False  # running text: its first ordinary word settles it
        tokens.append(token)
        if len(tokens) > 8:
            return False  # a long line: no need to read it to its end
    return bool(tokens) and not _FURNITURE_FILLERS.issuperset(tokens)


_CLOSERS: Final = "\"'”’»)]"
_SENTENCE_MARKS: Final = ".!?…:;"


def ends_sentence(text: str) -> bool:
    """`_SENTENCE_END.search(text)`: a sentence mark, then maybe closing quotes or brackets, at the end.

    Read from the end: a regex search for an end-anchored pattern tries every
    position of the line first, and this is asked of nearly every line.
    """
    if text.endswith("\n") and _ends_sentence(text[:-1]):
        return True  # "$" also matches before a final newline
    return _ends_sentence(text)


def _ends_sentence(text: str) -> bool:
    core = text.rstrip(_CLOSERS)
    return bool(core) and core[-1] in _SENTENCE_MARKS


def is_prose(text: str, words: int) -> bool:
    """Running text: a long line, or a sentence that ends like one."""
    if words >= 16:
        return True
    return words >= 6 and ends_sentence(text) and not text.endswith(":")


def classify(text: str, no: int = 0) -> Line:
    """Classify one stripped line."""
    kind, words, date, names = _classified(text)
    return Line(no, text, kind, words, date, names)


MEMO_LONGEST: Final = 200
"""Lines longer than this (paragraphs) are not memoized by the line predicates: they do not come
back from page to page as menus, bylines and teasers do, and a memo's miss (with the entry it
pushes out) costs more than some of the predicates themselves."""


def _classify(text: str) -> tuple[str, int, dt.date | None, tuple[str, ...]]:
    words = word_count(text)
    if not text:
        return BLANK, 0, None, ()
    if is_furniture(text):
        return NOISE, words, None, ()
    if _BULLET.match(text) and words >= 2:
        return BULLET, words, None, ()
    date = date_line_value(text)
    if date is not None:
        return DATE, words, date, ()
    names = byline_names(text)
    if names:
        return BYLINE, words, None, tuple(names)
    if is_prose(text, words):
        return PROSE, words, None, ()
    if words <= 16 and (listed := name_list(text)):
        return NAME, words, None, tuple(listed)
    if is_name(text, max_words=6) and words <= 8:
        return NAME, words, None, (text,)
    return SHORT, words, None, ()


_classify_memo: Final = lru_cache(maxsize=16384)(_classify)  # pure; menus, bylines and teasers recur from page to page


def _classified(text: str) -> tuple[str, int, dt.date | None, tuple[str, ...]]:
    """_classify(text), memoized for lines of up to MEMO_LONGEST characters."""
    return _classify_memo(text) if len(text) <= MEMO_LONGEST else _classify(text)


def split_lines(text: str) -> list[Line]:
    """Every line of a dump, classified (blank lines included, 1-based numbers).

    `[classify(fold(raw).strip(), no) if raw else Line(no, "", BLANK, 0) ...]`, with the
    calls of those helpers unrolled: this runs for every line of every page.
    """
    found: list[Line] = []
    for no, raw in enumerate(text.split("\n"), start=1):
        if raw:
            stripped = (raw if raw.isascii() else fold(raw)).strip()
            kind, words, date, names = _classified(stripped)
            found.append(Line(no, stripped, kind, words, date, names))
        else:
            found.append(Line(no, "", BLANK, 0, None, ()))
    return found


_INITIALS_END: Final = re.compile(r"(?:\.\.|\b[A-Z]\.[A-Z]\.)$")
_CREDIT_END: Final = re.compile(r"(?i)\b(?:photo|foto|credit|crédit|bild|imagen|symbolbild|getty|reuters|afp)\b[^()]*\)?\s*$|^\[")
_CREDIT_WORD: Final = re.compile(r"(?i)photo|foto|credit|crédit|bild|imagen|^\[")
# Every match of _CREDIT_WORD that does not start the text at "[" holds one of these.
_CREDIT_WORDS: Final = ("photo", "foto", "credit", "crédit", "bild", "imagen")


def is_title_like(line: Line) -> bool:
    """Could this line be a headline? Short, not a sentence, not a date or byline."""
    if line.kind not in (SHORT, NAME, PROSE):
        return False
    if not 2 <= line.words <= 30 or len(line.text) > 220:
        return False
    return _title_like_text(line.text)


@lru_cache(maxsize=16384)  # pure; each line is asked about by several stages
def _title_like_text(text: str) -> bool:
    # (a match of _INITIALS_END is at most four characters long, and ends the text)
    if text.endswith((",", ":", ";")) or (text.endswith(".") and not _INITIALS_END.search(text, max(0, len(text) - 5))):
        return False
    if (text.startswith("[") or has_any(text, _CREDIT_WORDS)) and _CREDIT_WORD.search(text) and _CREDIT_END.search(text):
        return False  # captions and related-link brackets are not headlines (markup in a headline
        # is text like any other: it is escaped on output, and "x < y" is a fine headline)
    if is_credit_line(text) or image_credit_of(text):
        return False
    return True
