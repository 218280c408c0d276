"""Classified lines of a single-article page -> its headline, header and text range.

Pure. Anchored on the text rather than on the headline: the article's text is
the longest run of dense prose paragraphs (short interruptions such as
captions, ad lines or a "read more" link tolerated). The headline is then the
headline-like line before that run that best fits what headlines do: it is
followed by a header cluster (dek, byline, date), it is often repeated on the
page (title bar, breadcrumb, gallery), its words come back in the text, it is
not a sentence and not a one-word menu item. Authors and the date are read in
the header zone between the headline and the text, with general rules only:
"by"-style prefixes in several languages, names sharing a line with the date,
a role after the name ("X Political editor"), "Published ... | Updated ..."
preferring the published date.
"""

from __future__ import annotations

import bisect
import datetime as dt
import heapq
import math
import re
from collections.abc import Container
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from .bylines import byline_names, image_credit_of, is_name, split_names
from .dates import find_dates, find_short_dates, is_update_line
from .lines import (
    BLANK,
    BULLET,
    BYLINE,
    DATE,
    MEMO_LONGEST,
    NAME,
    NOISE,
    PROSE,
    SHORT,
    JoinedStems,
    Line,
    ends_sentence,
    is_furniture,
    is_title_like,
    joined_stems,
    stems,
    word_count,
)
from .needles import has_any
from .noise import is_footer_text

# Marks of a photo caption or credit, in the languages we read (generic vocabulary, no site names).
_CAPTION: Final = re.compile(
    r"(?i)\b(?:photo(?:graph)?s?|foto(?:s|grafía|grafia)?|image|imagen|imagem|bild|picture|credit|crédit|"
    r"crédito|illustration|getty images|ap photo|shutterstock|istock|symbolbild|archivbild|fotomontage)\b\s*[:/©)]|"
    r"\((?:photo|foto|image|bild)\b|©|\bgetty images\b|\bap photo\b|(?:credit|photo|foto|bild)\s*:\s*\S"
)
# Every match of _CAPTION holds one of these: without them the (slow) search cannot succeed.
_CAPTION_NEEDS: Final = ("photo", "foto", "image", "bild", "picture", "credit", "crédit", "illustration", "getty",
                         "shutterstock", "istock", "©")
# Those an ASCII text can hold.
_CAPTION_NEEDS_ASCII: Final = tuple(need for need in _CAPTION_NEEDS if need.isascii())
# Words of page furniture that never belong to a person's name, in several languages.
_UI_WORDS: Final = frozenset("""
tweet this share email mail print comment comments donate subscribe newsletter newsletters login sign
menu search home follow like save more read close open next previous related topics advertisement
advertising sponsored contact about privacy cookies cookie terms help account register support
teilen drucken kommentar kommentare suche anmelden abonnieren werbung mehr startseite
compartir imprimir comentarios buscar suscribirse publicidad inicio más
partager imprimer commentaires rechercher abonnez publicité accueil plus
partilhar compartilhar comentários pesquisar assinar
published posted updated staff veröffentlicht aktualisiert publicado actualizado publié
shared geteilt abonne connecte commentaire inscription connexion registrieren einloggen iniciar sesión
""".split())
# Words naming a journalist's role after the name ("X Education editor", "X, Korrespondentin").
_ROLE: Final = re.compile(
    r"(?i)\b(?:editor|editors|correspondent|reporter|writer|columnist|contributor|staff|analyst|producer|"
    r"journalist|critic|chief|redakteur(?:in)?|korrespondent(?:in)?|autor(?:in)?|reporter(?:in)?|"
    r"rédact(?:eur|rice)|journaliste|envoyée?|correspondante?|periodista|redactora?|corresponsal|editora|"
    r"repórter|jornalista|colunista|colaborador(?:a)?)\b"
)
# Every match of _ROLE holds one of these: without them the (slow) search cannot succeed.
_ROLE_NEEDS: Final = ("editor", "correspond", "reporter", "writer", "columnist", "contributor", "staff", "analyst",
                      "producer", "journalist", "critic", "chief", "redakteur", "korrespondent", "autor", "rédact", "envoy",
                      "periodista", "redactor", "corresponsal", "repórter", "jornalista", "colunista", "colaborador")
_BY_WORD: Final = re.compile(r"(?i)^(?:by|von|por|par|de|door|posted by|written by|autor|author)\s*:?$")
_CONNECTOR: Final = re.compile(r"(?i)^(?:on|am|at|um|le|el|em|à|a las|às|the|,|-|–|—)+$")
_SEPARATORS: Final = re.compile(r"\s+[|/•·–—]\s+|\s*\|\s*|\s+-\s+")
_SEPARATOR_CHARS: Final = "|/•·–—-"  # every match of _SEPARATORS holds one
_TIME: Final = re.compile(r"(?i)\b\d{1,2}[:.h]\d{2}(?:\s*(?:[ap]\.?m\.?|uhr|hrs?\.?|h))?\b|\b\d{1,2}\s*[ap]\.?m\.?\b")
_TZ: Final = re.compile(r"(?i)\b(?:gmt|utc|est|edt|cst|cdt|pst|pdt|bst|cet|cest|mez|mesz)\b|\([^()]*\)")
_TZ_NEEDS: Final = ("gmt", "utc", "est", "edt", "cst", "cdt", "pst", "pdt", "bst", "cet", "mez")
# What closes an article on most sites: share bars, tag lists, author boxes, previous/next links,
# comment forms and calls to subscribe (generic vocabulary in the languages we read).
_END_MARK: Final = re.compile(
    r"(?i)^\W*(?:share this|share on|share:|teilen|compartir|partager|partilhar|tags?\s*:|topics\s*:|"
    r"keywords?\s*:|filed under|schlagw|etiquetas|mots-clés|word\s?count|related(?: articles| stories| content)?\s*:?$|"
    r"more from|more articles|more stories|read next|recommended|about the author|contact the author|"
    r"über den autor|sobre el autor|à propos de l'auteur|previous article|next article|previous post|next post|"
    r"article pr[ée]c[ée]dent|article suivant|artículo anterior|artículo siguiente|vorheriger artikel|"
    r"nächster artikel|leave a reply|leave a comment|\d*\s*comments?\b|kommentare?\b|comentarios?\b|"
    r"commentaires?\b|like this article|get the latest|sign up|subscribe|newsletter|en relation|"
    r"te puede interesar|lesen sie auch|mehr zum thema|à lire aussi|lire aussi|leia também)"
)
_MONTH_START: Final = r"(?i:jan|feb|m[aä]r|apr|ma[iy]|jun|jul|aug|sep|o[ck]t|nov|de[cz]|ene|abr|ago|dic|f[ée]v|avr|juil|ao[uû]|d[ée]c)"
_EDGE_CONNECTOR: Final = re.compile(r"(?i)^(?:on|am|at|um|le|el|em|à)\s+|\s+(?:on|am|at|um|le|el|em|à|a las|às)$")
# Its two alternatives, matched where each can match (see _drop_edge_connectors).
_EDGE_START: Final = re.compile(r"(?i)^(?:on|am|at|um|le|el|em|à)\s+")
_EDGE_END: Final = re.compile(r"(?i)\s+(?:on|am|at|um|le|el|em|à|a las|às)$")
_CONTACT: Final = re.compile(r"\S+@\S+|[\d(+][\d\s().+-]{6,}")
_CONTACT_HINT: Final = re.compile(r"[\d(+@]")  # every match of _CONTACT holds one of these
_GLUED_BY: Final = re.compile(r"(?i)^(by|von|por|par)(?=[A-ZÀ-Ý])")
_BY_REST: Final = re.compile(r"(?i)^(?:by|von|por|par|posted by|written by|door)\s+(.+)$")
_BY_STOP: Final = re.compile(r"(?i)\s+(?:on|am|at|um|le|el|em|à|a las|às|in|for|für|from)\s+")
_PLACE_DATE: Final = re.compile(r"^[^\W\d_][^,—–\d]{0,40}\s*[,—–]\s*(?:\d|" + _MONTH_START + ")")
_INITIALS_END: Final = re.compile(r"(?:\.\.|\b[A-Z]\.[A-Z]\.)$")
_PHOTO_COUNTER: Final = re.compile(r"(?i)^\W*(?:image|photo|foto|bild)\s*\d")
_DIGIT: Final = re.compile(r"\d")
_SPACE: Final = re.compile(r"\s")
_LETTER_RUN: Final = re.compile(r"[^\W\d_]+")
_SITE_SUFFIX: Final = re.compile(r"[|»›>]|\s[-–—]\s\S+$")

MIN_RUN_WORDS: Final = 25
"""Words of dense prose a run needs to be taken for an article's text."""


@dataclass(frozen=True)
class Layout:
    """Where the one article of a page stands."""

    title: int
    """Index of the headline line."""
    body_start: int
    """Index of the first line of the text."""
    body_end: int
    """Index just past the last dense line of the text."""
    dek: tuple[int, ...]
    """Indices of the dek lines."""
    authors: tuple[str, ...]
    date: dt.date | None
    date_confidence: float
    authors_confidence: float
    title_confidence: float
    mass: int
    """Words of dense text in the run the article was anchored on."""


def _nonblank(lines: list[Line], start: int, stop: int) -> list[int]:
    return [i for i in range(max(0, start), min(stop, len(lines))) if lines[i].kind != BLANK]


def _first_nonblank(lines: list[Line], start: int, stop: int, count: int) -> list[int]:
    """`_nonblank(lines, start, stop)[:count]`, without reading the lines after the last one wanted."""
    found: list[int] = []
    if count <= 0:
        return found
    for i in range(max(0, start), min(stop, len(lines))):
        if lines[i].kind != BLANK:
            found.append(i)
            if len(found) == count:
                break
    return found


def _last_nonblank(lines: list[Line], start: int, stop: int, count: int) -> list[int]:
    """`_nonblank(lines, start, stop)[-count:]` (count > 0), read from the end."""
    found: list[int] = []
    for i in range(min(stop, len(lines)) - 1, max(0, start) - 1, -1):
        if lines[i].kind != BLANK:
            found.append(i)
            if len(found) == count:
                break
    found.reverse()
    return found


# The predicates on a line's text below are pure and asked again and again about the same lines
# (once per candidate headline whose header zone holds them): they are memoized on the text.
_MEMO: Final = 16384


def is_caption(text: str) -> bool:
    """A photo caption or credit line."""
    return _is_caption(text) if len(text) <= MEMO_LONGEST else _caption(text)


def _caption(text: str) -> bool:
    needs = _CAPTION_NEEDS_ASCII if text.isascii() else _CAPTION_NEEDS  # (asked of every paragraph)
    return (has_any(text, needs) and bool(_CAPTION.search(text))) or image_credit_of(text) is not None


_is_caption: Final = lru_cache(maxsize=_MEMO)(_caption)


_TWO_LETTERS: Final = re.compile(r"[^\W\d_]{2,}")


@lru_cache(maxsize=_MEMO)
def _lower_share(text: str) -> float:
    tokens = _TWO_LETTERS.findall(text)
    if not tokens:
        return 0.0
    return sum(1 for t in tokens if t[0].islower()) / len(tokens)


def dense(lines: list[Line], i: int, repeated: set[str]) -> bool:
    """A paragraph of running text (not a menu row, caption, footer or repeated caption)."""
    line = lines[i]
    if line.kind not in (PROSE, BULLET):
        return False
    sentence = ends_sentence(line.text)
    if line.words < (6 if sentence else 8):
        return False
    if line.words <= 24 and _is_date_like(line):
        return False  # a dateline, not a paragraph
    if line.kind == PROSE and not sentence and _lower_share(line.text) < 0.3:
        return False  # a row of menu items glued together
    if line.words < 45 and line.text in repeated:
        return False  # gallery captions and teasers come back; paragraphs do not
    if is_caption(line.text) or (line.words <= 40 and is_footer_text(line.text)):
        return False
    return not _next_to_credit(lines, i)


def repeated_texts(lines: list[Line]) -> set[str]:
    """Texts of the non-blank lines that occur more than once on the page."""
    counts: dict[str, int] = {}
    for line in lines:
        if line.kind != BLANK:
            counts[line.text] = counts.get(line.text, 0) + 1
    return {t for t, n in counts.items() if n > 1}


def dense_flags(lines: list[Line]) -> list[bool]:
    """`dense` of every line of the page, computed once: the layout asks about the same lines many times."""
    repeated = repeated_texts(lines)
    return [line.kind != BLANK and dense(lines, i, repeated) for i, line in enumerate(lines)]


def _next_to_credit(lines: list[Line], i: int) -> bool:
    """A caption: a line right above a photo credit line."""
    if lines[i].words >= 30:
        return False
    after = _nonblank(lines, i + 1, i + 5)[:2]
    if after and (lines[after[0]].words > 2 or ends_sentence(lines[i].text)):
        after = after[:1]  # a photo counter ("6") may stand between a caption and its credit
    return any((lines[j].kind != PROSE or lines[j].words < 45) and is_caption(lines[j].text) for j in after)


def runs(lines: list[Line], tolerance: int = 4,
         dense_at: list[bool] | None = None) -> list[tuple[int, int, int]]:
    """Runs of dense lines as (first index, index past the last, words), interruptions tolerated.

    `dense_at` is `dense_flags(lines)` when the caller already has it.
    """
    if dense_at is None:
        dense_at = dense_flags(lines)
    found: list[tuple[int, int, int]] = []
    start = last = -1
    mass = 0
    gap = 0.0
    listing = False  # after a line ending with ":", a list or code block is part of the text
    for i, line in enumerate(lines):
        if line.kind == BLANK:
            continue
        if dense_at[i]:
            if start < 0:
                start = i
            last, mass, gap = i, mass + line.words, 0.0
            listing = line.text.endswith(":")
            continue
        cost = _cost(line, listing)  # (pure: worked out once for both uses below)
        if start >= 0 and (gap + cost > tolerance or _record_footer(lines, i, dense_at)):
            found.append((start, last + 1, mass))
            start, mass, gap, listing = -1, 0, 0.0, False
            continue
        if listing and line.kind != NOISE and line.words <= 15:
            last = i  # a list item: part of the text, however long the list
            continue
        gap += cost
        if start >= 0 and line.kind != NOISE and line.text.endswith(":") and line.words >= 3:
            listing = True
    if start >= 0:
        found.append((start, last + 1, mass))
    return found


_CODE: Final = re.compile(r"[(){}\[\]=;<>]|^(?:def|for|if|import|return|print|var|let|const|class)\b")


def _cost(line: Line, listing: bool) -> float:
    """How much a non-dense line interrupts the text."""
    if line.kind == NOISE:
        return 2.0
    if listing and line.words <= 15:
        return 0.2
    if line.kind == BULLET or _CODE.search(line.text):
        return 0.3
    if line.words > 25:
        return 2.0
    if ends_sentence(line.text) and line.words >= 3:
        return 0.5
    return 1.0


def _merge_runs(lines: list[Line], found: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """Join a run to the next when a sidebar interrupted the text: the next run goes on with its topic."""
    merged: list[tuple[int, int, int]] = []
    for run in found:
        if merged:
            prev = merged[-1]
            gap = _nonblank(lines, prev[1], run[0])
            headerish = any(lines[i].kind in (DATE, BYLINE) for i in gap)
            # the words are compared last: most pairs of runs are told apart by their size alone
            if prev[2] >= 100 and run[2] >= 40 and len(gap) <= 20 and not headerish:
                # content words: long words say what a text is about, short ones are everybody's
                next_words = joined_stems([lines[i].text for i in range(run[0], run[1])], 6, 6)
                prev_words = joined_stems([lines[i].text for i in range(prev[0], prev[1])], 6, 6)
                if next_words and len(next_words & prev_words) / len(next_words) >= 0.12:
                    merged[-1] = (prev[0], run[1], prev[2] + run[2])
                    continue
        merged.append(run)
    return merged


def _record_footer(lines: list[Line], i: int, dense_at: list[bool]) -> bool:
    """A date or byline closing a teaser record (next to another short line), not a date inside the text."""
    if lines[i].kind not in (DATE, BYLINE):
        return False
    before = _nonblank(lines, i - 3, i)[-1:]
    after = _nonblank(lines, i + 1, i + 4)[:1]
    return not all(dense_at[j] for j in [*before, *after])


_NON_WORD: Final = re.compile(r"[\W_]+")


# ASCII characters other than letters and digits: what [\W_] matches in ASCII text.
# Lowered, and a space for anything else (code points as values: str.translate's fast path).
_ASCII_CANON: Final = {c: ord(chr(c).lower()) if chr(c).isalnum() else 32 for c in range(128)}


@lru_cache(maxsize=_MEMO)
def _canon(text: str) -> str:
    if text.isascii():  # the same, without a regex or a string per word: runs of spaces become one
        key = text.translate(_ASCII_CANON)
        while "  " in key:
            key = key.replace("  ", " ")
        return key.strip()
    return _NON_WORD.sub(" ", text).strip().casefold()


def canon_all(texts: list[str]) -> list[str]:
    """`[_canon(x) for x in texts]`, the ASCII texts canonized together.

    Lines hold no newline: the ASCII texts joined by newlines are translated and
    their runs of spaces folded at once (a newline is no space here), then cut apart.
    """
    keys = [""] * len(texts)
    plain: list[int] = []
    for j, x in enumerate(texts):
        if not x:
            continue
        if x.isascii() and "\n" not in x:
            plain.append(j)
        else:
            keys[j] = _canon(x)
    if plain:
        key = "\n".join([texts[j] for j in plain]).translate(_ASCII_CANON_LINES)
        while "  " in key:
            key = key.replace("  ", " ")
        for j, k in zip(plain, key.split("\n")):
            keys[j] = k.strip(" ")
    return keys


# _ASCII_CANON, a newline kept as the line separator.
_ASCII_CANON_LINES: Final = {**_ASCII_CANON, 10: 10}


@dataclass
class _Header:
    end: int
    dek: list[int]
    authors: list[str]
    explicit: bool
    date: dt.date | None
    date_line: int | None
    update: dt.date | None
    author_line: int = -1
    update_line: int | None = None

    def __init__(self, end: int, dek: list[int], authors: list[str], explicit: bool, date: dt.date | None,
                 date_line: int | None, update: dt.date | None, author_line: int = -1,
                 update_line: int | None = None) -> None:
        # (written out: see shapes.Header)
        self.end = end
        self.dek = dek
        self.authors = authors
        self.explicit = explicit
        self.date = date
        self.date_line = date_line
        self.update = update
        self.author_line = author_line
        self.update_line = update_line


_DATE_WORDS: Final = re.compile(
    r"(?i)\b(?:published|posted|updated|last|modified|on|at|am|pm|a\.m|p\.m|le|el|em|à|a las|às|um|uhr|"
    r"veröffentlicht|aktualisiert|publicado|actualizado|atualizado|publié|publiée|mis à jour|stand|vom|"
    r"mon|tue|wed|thu|fri|sat|sun|monday|tuesday|wednesday|thursday|friday|saturday|sunday|de|del|da|do|"
    r"lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|montag|dienstag|mittwoch|donnerstag|freitag|"
    r"samstag|sonntag|lunes|martes|miércoles|jueves|viernes|sábado|domingo)\b")


def _is_date_like(line: Line) -> bool:
    """A dateline: dates, times and date words, with at most a few other words (a name, a section)."""
    return _date_like(line.kind, line.words, line.text)


# Memoized on what they read of a line (hashing a whole Line on every call would cost more).
@lru_cache(maxsize=_MEMO)
def _date_like(kind: str, words: int, text: str) -> bool:
    if kind == DATE:
        return True
    if words > 24 or not find_dates(text):
        return False
    rest = _DATE_WORDS.sub(" ", _strip_dates(text))
    return word_count(rest) <= (4 if kind != PROSE else 3)


def _headerish(line: Line) -> bool:
    return _header_like(line.kind, line.words, line.text)


@lru_cache(maxsize=_MEMO)
def _header_like(kind: str, words: int, text: str) -> bool:
    return kind in (DATE, BYLINE) or _date_like(kind, words, text) or bool(names_in(text, loose=False)[0])


class _PeopleFacts:
    """What reading people asks of each line of one page, kept by line index.

    The zones of a page's candidate headlines overlap: each line is read once
    here rather than looked up again in the memos for every zone that holds it.
    """

    def __init__(self, lines: list[Line]) -> None:
        self.lines = lines
        self.read: dict[int, tuple[bool, bool, tuple[str, ...], bool]] = {}
        self.loose: dict[int, tuple[str, ...]] = {}
        self.dated: dict[int, bool] = {}

    def reading(self, i: int) -> tuple[bool, bool, tuple[str, ...], bool]:
        """(left out: too long or a caption, a lone "by" word, the names read strictly, explicitly?)."""
        found = self.read.get(i)
        if found is None:
            line = self.lines[i]
            if line.words > 20 or is_caption(line.text):
                found = (True, False, (), False)
            else:
                names, explicit = _names_in(line.text, False)
                found = (False, bool(_BY_WORD.match(line.text.strip())), names, explicit)
            self.read[i] = found
        return found

    def loose_names(self, i: int) -> tuple[str, ...]:
        found = self.loose.get(i)
        if found is None:
            found = self.loose[i] = _names_in(self.lines[i].text, True)[0]
        return found

    def date_like(self, i: int) -> bool:
        found = self.dated.get(i)
        if found is None:
            found = self.dated[i] = _is_date_like(self.lines[i])
        return found


def read_zone(lines: list[Line], t: int, run_start: int, dense_at: list[bool],
              people: _PeopleFacts | None = None) -> _Header:
    """The header after headline `t`: where the text starts, dek, authors, date.

    `people`: the page's `_PeopleFacts`, when the caller reads several zones of it.
    """
    stop = min(max(t, run_start) + 80, len(lines))  # the zone: the non-blank lines of [t + 1, stop)
    # The text starts at the first dense line after the last header-ish line near the headline.
    last_header = t
    seen_dense = 0
    for i in _first_nonblank(lines, t + 1, stop, 14):
        if i >= run_start and seen_dense >= 2:
            break
        if dense_at[i] and lines[i].words >= 25 and seen_dense >= 1 and i >= run_start:
            break
        if dense_at[i]:
            seen_dense += 1
        elif lines[i].words <= 20 and _headerish(lines[i]):
            last_header = i
    # (read up to the first one only; last_header >= t, so these are the zone's lines after it)
    start = next((i for i in range(last_header + 1, stop) if dense_at[i] and lines[i].kind != BLANK), run_start)
    if start > run_start:
        # no dense line right after the header: the run itself is where the text begins
        start = min(start, max(run_start, last_header + 1))
    first_dek = next((i for i in _nonblank(lines, t + 1, start)
                      if lines[i].kind in (PROSE, SHORT) and not is_caption(lines[i].text)
                      and (lines[i].words >= 13 or (lines[i].words >= 6 and ends_sentence(lines[i].text)))
                      and not _headerish(lines[i])), None)
    dek = [] if first_dek is None else [first_dek]
    if dek and any(lines[j].kind in (PROSE, SHORT) and lines[j].words >= 4 for j in _nonblank(lines, t + 1, dek[0])):
        dek = []  # something else stands between the headline and it
    header = _Header(end=start, dek=dek, authors=[], explicit=False, date=None, date_line=None, update=None)
    zone_lines = [*_nonblank(lines, t - 3, t), *_nonblank(lines, t + 1, start)]
    _read_people(lines, t, zone_lines, header, people)
    _read_date(lines, zone_lines, header, t)
    return header


def _read_people(lines: list[Line], t: int, zone: list[int], header: _Header,
                 people: _PeopleFacts | None = None) -> None:
    explicit: list[str] = []
    loose: list[str] = []
    first_explicit = first_loose = -1
    facts = _PeopleFacts(lines) if people is None else people
    dated = {i for i in zone if facts.date_like(i)}
    candidates: dict[int, tuple[str, ...]] = {}
    for k, i in enumerate(zone):
        left_out, by_word, names, is_explicit = facts.reading(i)
        if left_out:
            continue
        if by_word and k + 1 < len(zone):
            got = facts.loose_names(zone[k + 1])
            explicit += [n for n in got if n not in explicit]
            first_explicit = i if first_explicit < 0 else first_explicit
            continue
        if names and (is_explicit or i in dated):
            explicit += [n for n in names if n not in explicit]
            first_explicit = i if first_explicit < 0 else first_explicit
            continue
        if i > t:
            names = facts.loose_names(i)
            if names:
                candidates[k] = names
    # Lines that are only names count when they hug the headline, dek, date or another such line.
    after = [k for k, i in enumerate(zone) if i > t]
    anchors = {k for k, i in enumerate(zone) if i in dated or i in header.dek}
    if after:
        anchors.add(after[0] - 1)
    accepted: set[int] = set()
    changed = True
    while changed:
        changed = False
        for k in candidates:
            if k not in accepted and ({k - 1, k + 1} & (anchors | accepted)):
                accepted.add(k)
                changed = True
    for k in sorted(accepted):
        loose += [n for n in candidates[k] if n not in loose]
        first_loose = zone[k] if first_loose < 0 else first_loose
    if explicit:
        header.authors, header.explicit, header.author_line = explicit[:6], True, first_explicit
    else:
        header.authors, header.author_line = loose[:4], first_loose


def _strip_dates(text: str) -> str:
    found = find_dates(text)
    for f in reversed(found):
        text = text[:f.start] + " | " + text[f.end:]
    if _DIGIT.search(text):  # every time holds a digit
        text = _TIME.sub(" ", text)
    if "(" in text or has_any(text, _TZ_NEEDS):  # (a search for these tries every position: slow)
        text = _TZ.sub(" ", text)
    return text


def _person(text: str, allow_single: bool) -> str | None:
    text = text.strip(" ,.;:*_").strip()
    text = _drop_edge_connectors(text).strip()
    if not text:
        return None
    tokens = text.split()
    if any(t.strip(".,:;!").casefold() in _UI_WORDS for t in tokens):
        return None
    if not is_name(text, max_words=5):
        return None
    if len(tokens) == 1 and not allow_single:
        return None
    if text.isupper() and len(tokens) == 1:
        return None
    return text


def _drop_edge_connectors(text: str) -> str:
    """`_EDGE_CONNECTOR.sub("", text)` ("on Jane Doe am" -> "Jane Doe"), without a search from every position.

    The start is matched where it must be; a match at the end is a run of spaces and
    a connector of at most five characters, so it is searched for from the start of
    the run of spaces that reaches six characters before the end.
    """
    start = _EDGE_START.match(text)
    head = start.end() if start else 0
    last = len(text) - 1 if text.endswith("\n") else len(text)  # "$" also matches before a final newline
    pos = max(head, last - 6)
    while pos > head and text[pos - 1].isspace():
        pos -= 1
    end = _EDGE_END.search(text, pos)
    return text[head:end.start()] + text[end.end():] if end else text[head:]


def _name_with_role(text: str) -> str | None:
    """ "Richard Adams Education editor" -> "Richard Adams"."""
    role = _ROLE.search(text) if has_any(text, _ROLE_NEEDS) else None
    if not role or role.start() == 0:
        return None
    before = text[:role.start()].strip(" ,;-–—|")
    tokens = before.split()
    if not 2 <= len(tokens) <= 5:
        return None
    take = 3 if len(tokens) >= 3 and re.fullmatch(r"[A-Z]\.", tokens[1]) else 2
    return _person(" ".join(tokens[:take]), allow_single=False)


def names_in(text: str, loose: bool) -> tuple[list[str], bool]:
    """Names credited on a line, and whether the credit was explicit ("by X").

    `loose` also accepts a line that is only names ("A B, C D"), or a name with a role.
    """
    names, explicit = _names_in(text, loose)
    return list(names), explicit


@lru_cache(maxsize=_MEMO)
def _names_in(text: str, loose: bool) -> tuple[tuple[str, ...], bool]:
    found = _strict_names(text)
    if found is None:
        return (), False
    names, explicit, segments = found
    if names or not loose:
        return names, explicit
    return tuple(_loose_names(segments)), False


@lru_cache(maxsize=_MEMO)
def _strict_names(text: str) -> tuple[tuple[str, ...], bool, tuple[str, ...]] | None:
    """The names a line credits without `loose` reading, and its segments; None: no names, however read.

    What both readings share is done once per line (each line is asked about in both).
    """
    if word_count(text) > 20 or is_furniture(text):
        return None
    # contact details after a byline ("By X x@example.com (509) 555-0100")
    if _CONTACT_HINT.search(text):
        text = _CONTACT.sub(" ", text)
    text = text.strip()
    cleaned = _strip_dates(text)
    pieces = _SEPARATORS.split(cleaned) if any(c in cleaned for c in _SEPARATOR_CHARS) else [cleaned]
    segments = tuple(s.strip() for s in pieces if s and s.strip())
    for seg in segments:
        glued = _GLUED_BY.match(seg)  # "ByJane Doe": _GLUED_BY.sub(r"\1 ", seg), without a substitution
        if glued:
            seg = seg[:glued.end()] + " " + seg[glued.end():]
        got = byline_names(seg)
        if got is None:
            m = _BY_REST.match(seg)
            if m:
                rest = _BY_STOP.split(m.group(1))[0]
                got = [p for n in split_names(rest) if (p := _person(n, True))] or None
        if got:
            names = [p for n in got if (p := _person(n, allow_single=True))]
            if names:
                return tuple(names), True, segments
    if find_dates(text) and not _PLACE_DATE.match(text):
        # "November 20, 2019 Jane Doe", "Jane Doe am 24. Januar 2022"; not "New York, March 3, 2020"
        for seg in segments:
            names = [p for n in split_names(seg) if (p := _person(n, allow_single=False))]
            if names and len(names) == len(split_names(seg)):
                return tuple(names), False, segments
    return (), False, segments


def _loose_names(segments: tuple[str, ...]) -> list[str]:
    """Names of a line that is only names ("A B, C D"), a name with a role, or "Name | Role"."""
    if len(segments) > 1 and any(has_any(seg, _ROLE_NEEDS) and _ROLE.search(seg) for seg in segments[1:]):
        first = _person(segments[0], allow_single=False)  # "Jane Doe | Senior Writer"
        return [first] if first else []
    if len(segments) != 1:
        return []
    seg = segments[0]
    parts = split_names(seg)
    names = [p for n in parts if (p := _person(n, allow_single=False))]
    if names and len(names) == len(parts):
        return names
    role = _name_with_role(seg)
    return [role] if role else []


def _read_date(lines: list[Line], zone: list[int], header: _Header, t: int) -> None:
    """The publication date of the header: after the headline first (a date bar above it is today's)."""
    _read_dates_in(lines, [i for i in zone if i > t], header)
    if header.date is None:
        _read_dates_in(lines, [i for i in zone if i < t], header)
    if header.date is None:
        first_text = _first_nonblank(lines, header.end, len(lines), 1)
        _read_short_dates(lines, [i for i in zone if i > t] + first_text, header)
    if header.date is None:
        for i in _first_nonblank(lines, header.end, len(lines), 1):
            found = find_dates(lines[i].text[:40])
            if found and found[0].start <= 2:  # "March 3, 2020 - The text begins"
                header.date, header.date_line = found[0].value, i


def _read_short_dates(lines: list[Line], zone: list[int], header: _Header) -> None:
    """Two-digit years, on bylines and datelines only ("By X on 11/13/19", "06.11.23 - Text")."""
    for i in zone:
        line = lines[i]
        found = find_short_dates(line.text)
        if found and (line.words <= 14 or found[0].start <= 2):
            header.date, header.date_line = found[0].value, i
            return


def _read_dates_in(lines: list[Line], zone: list[int], header: _Header) -> None:
    for pos, i in enumerate(zone):  # (the zone's indices are distinct: pos is zone.index(i))
        line = lines[i]
        if line.words > 24 or is_caption(line.text) and line.kind == PROSE:
            continue
        text = line.text
        prev = zone[pos - 1] if pos > 0 else None
        label_update = prev is not None and lines[prev].words <= 3 and is_update_line(lines[prev].text)
        for found in find_dates(text):
            before = re.split(r"[|•·]", text[:found.start])[-1]
            update = is_update_line(before) or bool(re.search(
                r"(?i)\b(?:updated|modified|aktualisiert|actualizado|atualizado|mis à jour|edited)\b", before))
            if (update or label_update) and not re.search(r"(?i)publi|veröff|posted", before):
                if header.update is None:
                    header.update, header.update_line = found.value, i
                continue
            if header.date is None:
                header.date, header.date_line = found.value, i
            break
    if header.date is None and header.update is not None:
        header.date, header.date_line = header.update, header.update_line


class _Copies:
    """Is a headline shown again elsewhere on the page (title bar, breadcrumb, gallery)?

    Another line's key must equal the headline's or hold it and be less than three times as long:
    only keys of a length between the two can, so those are found by binary search on length.
    The answer for a line is kept: the same line is scored against each run of text.
    """

    def __init__(self, texts: list[str]) -> None:
        keyed = sorted((len(k), j, k) for j, k in enumerate(canon_all(texts)) if k)
        self.lengths = [n for n, _, _ in keyed]
        self.keyed = keyed
        self.known: dict[int, bool] = {}

    def shown_again(self, t: int, key: str) -> bool:
        if t not in self.known:
            lo = bisect.bisect_left(self.lengths, len(key))
            hi = bisect.bisect_left(self.lengths, 3 * len(key))
            self.known[t] = any(j != t and (k == key or key in k) for _, j, k in self.keyed[lo:hi])
        return self.known[t]


def _title_score(lines: list[Line], t: int, run: tuple[int, int, int], header: _Header,
                 body_words: Container[str], copies: _Copies) -> float:
    line = lines[t]
    score = 0.0
    marks = [i for i in (header.date_line, header.author_line) if i is not None and i > t]
    first_mark = min(marks) if marks else header.end
    # Another headline-like line between this one and the byline/date: the header is that one's.
    before_mark = _nonblank(lines, t + 1, first_mark)
    if before_mark and (lines[before_mark[0]].words >= 13 or len(before_mark) == 1):
        before_mark = before_mark[1:]  # the dek
    interlopers = [i for i in before_mark
                   if lines[i].kind in (SHORT, PROSE, NAME) and 3 <= lines[i].words <= 20
                   and _title_like(lines[i]) and not is_caption(lines[i].text)]
    weight = 1.0 if not interlopers else 0.2
    if header.date is not None and header.date_line is not None and t < header.date_line < header.end:
        score += 2.0 * weight
    elif header.date is not None and header.date_line is not None and header.date_line > t:
        score += 1.0 * weight
    elif header.date is not None:
        score += 0.5 * weight
    if header.authors:
        score += (2.0 if header.explicit else 1.0) * (1.0 if header.author_line > t else 0.5) * weight
    if header.dek:
        score += 0.7 * weight
    gap = len([i for i in _nonblank(lines, t + 1, header.end)
               if not _headerish(lines[i]) and i not in header.dek])
    score -= min(3.0, 0.15 * gap)
    between = len(_nonblank(lines, header.end, run[0]))
    score -= min(1.0, 0.05 * between)
    return _add_line_terms(score, line, t, body_words, copies)


# What the header can add to a headline's score at most: date 2.0, authors 2.0, dek 0.7.
_HEADER_MAX: Final = 4.7
# What any headline can score at most: the header's best, its words all in the text (2.0) and
# shown again on the page (1.2); a little more, so that float rounding cannot put a score above it.
_CEILING_MAX: Final = _HEADER_MAX + 2.0 + 1.2 + 1e-3


def _score_ceiling(lines: list[Line], t: int, body_words: Container[str], copies: _Copies) -> float:
    """A bound on `_title_score` from the line alone (the header's best case, its penalties left out).

    Reading a header is the costly part of scoring: a line whose bound cannot beat the best
    score so far is not read. It adds the line's own terms exactly as `_title_score` does.
    """
    return _add_line_terms(_HEADER_MAX, lines[t], t, body_words, copies)


def _title_like(line: Line) -> bool:
    if line.kind == PROSE and line.words <= 30 and line.text.endswith(".") and not line.text.endswith(".."):
        return 3 <= line.words and len(line.text) <= 220 and not is_caption(line.text)
    return is_title_like(line)


def _text_end(lines: list[Line], start: int, run: tuple[int, int, int], authors: list[str]) -> int:
    """Where the text stops: the first end mark (share bar, tags, author box ...) once most of it is read."""
    seen = 0
    names = {a.casefold() for a in authors}
    for i in range(start, run[1]):
        line = lines[i]
        if line.kind == BLANK:
            continue
        if seen >= 0.5 * run[2] and line.words <= 20 and (
                _END_MARK.match(line.text) or line.text.casefold() in names
                or (line.kind == NOISE and not re.search(r"(?i)\bread\b|\bmore\b|\bmehr\b|\bplus\b", line.text)
                    and not re.search(r"[\"'{}()\[\]=]", line.text))):  # a share bar, not a line of code
            return i
        if line.kind in (PROSE, BULLET):
            seen += line.words
    return run[1]


def _from_other_copies(lines: list[Line], t: int, header: _Header) -> None:
    """The same headline shown elsewhere on the page (top of page, gallery) may carry the header."""
    key = _canon(lines[t].text)
    for j, line in enumerate(lines):
        if j == t or line.kind == BLANK or _canon(line.text) != key:
            continue
        other = _Header(end=j + 1, dek=[], authors=[], explicit=False, date=None, date_line=None, update=None)
        zone = _first_nonblank(lines, j + 1, len(lines), 6)
        zone = zone[:next((k for k, i in enumerate(zone) if lines[i].words > 24), len(zone))]
        _read_people(lines, j, zone, other)
        _read_date(lines, zone, other, j)
        if header.date is None and other.date is not None and other.date_line is not None:
            header.date, header.date_line = other.date, other.date_line
        if not header.authors and other.authors and other.explicit:
            header.authors, header.explicit, header.author_line = other.authors, True, other.author_line


def header_facts(lines: list[Line], t: int, end: int) -> tuple[list[str], dt.date | None]:
    """Authors and date read in the header of the headline at `t` (text starting at `end`)."""
    header = _Header(end=end, dek=[], authors=[], explicit=False, date=None, date_line=None, update=None)
    zone = _nonblank(lines, t + 1, end)
    _read_people(lines, t, zone, header)
    _read_date(lines, zone, header, t)
    return header.authors, header.date


def is_ui_name(name: str) -> bool:
    """A "name" made of page-furniture words ("Tweet This", "Email Me")."""
    return any(t.strip(".,:;!").casefold() in _UI_WORDS for t in name.split())


@lru_cache(maxsize=_MEMO)  # pure; the same teasers are listed on many pages of a site
def is_junk_title(text: str) -> bool:
    """Not a headline whatever stands around it: a dateline, a byline, a counter row or a UI phrase."""
    words = word_count(text)
    if words < 2 or len(_DIGIT.findall(text)) * 2 >= len(_SPACE.sub("", text)):
        return True
    if find_dates(text) and words <= 8 or words <= 8 and _TIME.search(text):
        return True
    if names_in(text, loose=False)[1] or is_footer_text(text) or _END_MARK.match(text):
        return True
    if find_dates(text) and word_count(_DATE_WORDS.sub(" ", _strip_dates(text))) <= 4:
        return True  # "Par X le samedi 18 mai 2019 à 19h38": a comment's byline
    if words > 6:
        return False
    tokens = [t.casefold() for t in _LETTER_RUN.findall(text)]
    return sum(t in _UI_WORDS for t in tokens) * 2 >= len(tokens)


def clip_end(lines: list[Line], start: int, end: int) -> int:
    """The end of a post's text between `start` and `end`: its first end mark once most of it is read."""
    mass = sum(line.words for line in lines[start:end] if line.kind in (PROSE, BULLET))
    return _text_end(lines, start, (start, end, mass), [])


def main_layout(lines: list[Line]) -> Layout | None:
    """The headline, header and text of the page's one article, or None when no run of text is found."""
    dense_at = dense_flags(lines)
    found = sorted(_merge_runs(lines, runs(lines, dense_at=dense_at)), key=lambda r: -r[2])
    found = [r for r in found if r[2] >= MIN_RUN_WORDS][:3]
    if not found:
        return None
    texts = [line.text if line.kind != BLANK else "" for line in lines]
    copies = _Copies(texts)
    # Every (run, headline-like line before or at the top of it) is a candidate; the best score
    # wins, the first in page order among equals. Reading a header is what costs, so candidates
    # are read in order of their score's ceiling, and reading stops once no ceiling can reach the
    # best score found (no later candidate could beat or tie it). The runs other than the longest
    # are handicapped by how much shorter they are: their candidates' ceilings are only worked out
    # (and their text's words gathered) if the bound of the whole run can still reach the best.
    plans: list[tuple[tuple[int, int, int], list[int], int, float]] = []  # run, lines, first order, handicap
    order = 0
    for rank, run in enumerate(found):
        window = _last_nonblank(lines, 0, run[0], 45)
        inside = [i for i in _first_nonblank(lines, run[0], run[1], 3) if lines[i].words <= 20]
        handicap = 1.2 * math.log(run[2] / found[0][2]) if rank else 0.0
        heads = [t for t in [*window, *inside] if _title_like(lines[t]) and lines[t].kind not in (NOISE, DATE, BYLINE)]
        plans.append((run, heads, order, handicap))
        order += len(heads)
    # (-ceiling, order, 0, line, plan) for a candidate; (-bound, order, 1, -1, plan) for a run not yet read
    pending: list[tuple[float, int, int, int, int]] = []
    body_words: list[Container[str]] = [frozenset() for _ in plans]

    def expand(k: int) -> None:
        run, heads, first, handicap = plans[k]
        body_words[k] = JoinedStems(texts[run[0]:run[1]], 5, limit=6000)
        for n, t in enumerate(heads):
            ceiling = _score_ceiling(lines, t, body_words[k], copies) + handicap
            heapq.heappush(pending, (-ceiling, first + n, 0, t, k))

    for k, (_, heads, first, handicap) in enumerate(plans):
        if not k:
            expand(k)
        elif heads:
            heapq.heappush(pending, (-(_CEILING_MAX + handicap), first, 1, -1, k))
    best: tuple[float, int, int, _Header, tuple[int, int, int]] | None = None  # score, order, line, ...
    people = _PeopleFacts(lines)
    while pending:
        negative, order, is_run, t, k = heapq.heappop(pending)
        if best is not None and -negative < best[0] - 1e-6:
            break
        if is_run:
            expand(k)
            continue
        run, handicap = plans[k][0], plans[k][3]
        header = read_zone(lines, t, run[0], dense_at, people)
        if header.end <= t or header.end >= run[1]:
            continue
        score = _title_score(lines, t, run, header, body_words[k], copies)
        score += handicap
        if best is None or score > best[0] or (score == best[0] and order < best[1]):
            best = (score, order, t, header, run)
    if best is None:
        return None
    score, _, t, header, run = best
    if header.date is None or not header.authors:
        _from_other_copies(lines, t, header)
    start = max(header.end, run[0])
    between = _nonblank(lines, header.end, run[0])
    if between and len(between) <= 12 and sum(lines[i].words for i in between if dense_at[i]) >= 20:
        start = header.end  # the text's first paragraphs, cut off from the rest by a promo box
    end = _text_end(lines, start, run, header.authors)
    return Layout(
        title=t, body_start=start, body_end=end, dek=tuple(header.dek), authors=tuple(header.authors),
        date=header.date, date_confidence=(0.9 if header.date_line is not None else 0.6) if header.date else 0.0,
        authors_confidence=0.85 if header.explicit else (0.65 if header.authors else 0.5),
        title_confidence=max(0.3, min(0.95, 0.45 + 0.1 * score)), mass=run[2],
    )


__all__ = ["NAME", "SHORT", "Layout", "is_caption", "main_layout", "names_in", "runs"]


def _add_line_terms(score: float, line: Line, t: int, body_words: Container[str], copies: _Copies) -> float:
    """`score` plus the terms of a headline's score that depend on the line alone.

    Shared by `_title_score` and its bound `_score_ceiling`, in one order, so the two
    add the same floats the same way and the bound stays exact.
    """
    words = stems(line.text, 5)
    if words:
        score += 2.0 * sum(1 for w in words if w in body_words) / len(words)  # = len(words & body stems)
    key = _canon(line.text)
    if len(key) > 12 and copies.shown_again(t, key):
        score += 1.2
    if line.words <= 2:
        score -= 2.5
    elif line.words == 3:
        score -= 0.7
    elif line.words > 24:
        score -= 1.0
    if line.text.endswith(".") and not _INITIALS_END.search(line.text, max(0, len(line.text) - 5)):
        score -= 1.2
    if line.kind == NAME and line.words <= 3:
        score -= 0.8
    if line.words >= 14 and ends_sentence(line.text):
        score -= 1.0  # a long sentence: a dek or a caption rather than a headline
    if is_caption(line.text) or _PHOTO_COUNTER.match(line.text):
        score -= 3.0
    if _SITE_SUFFIX.search(line.text):
        score -= 0.5  # "Headline | Site" or a breadcrumb
    return score
