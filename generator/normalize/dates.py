"""Dates written the many ways pages write them -> `datetime.date`.

Pure. Understands month names (full and abbreviated) in English, Spanish,
French, German and Portuguese, day-month-year and month-day-year orders,
ISO dates and numeric dates. `find_dates` returns every date in a string with
its span, so callers can tell a date line from a sentence that mentions a date.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

_MONTHS: dict[str, int] = {}


def _add(month: int, *names: str) -> None:
    for name in names:
        _MONTHS[name] = month


_add(1, "january", "jan", "enero", "ene", "janvier", "janv", "januar", "jänner", "janeiro")
_add(2, "february", "feb", "febrero", "février", "fevrier", "févr", "fevr", "fév", "februar", "fevereiro", "fev")
_add(3, "march", "mar", "marzo", "mars", "märz", "marz", "maerz", "março", "marco", "mär")
_add(4, "april", "apr", "abril", "abr", "avril", "avr")
_add(5, "may", "mayo", "mai", "maio")
_add(6, "june", "jun", "junio", "juin", "juni", "junho")
_add(7, "july", "jul", "julio", "juillet", "juil", "juli", "julho")
_add(8, "august", "aug", "agosto", "ago", "août", "aout", "ag")
_add(9, "september", "sep", "sept", "septiembre", "setiembre", "set", "septembre", "setembro")
_add(10, "october", "oct", "octubre", "octobre", "oktober", "okt", "outubro", "out")
_add(11, "november", "nov", "noviembre", "novembre", "novembro")
_add(12, "december", "dec", "diciembre", "dic", "décembre", "decembre", "déc", "dezember", "dez", "dezembro")

# Italian and Dutch too: cheap to read, and pages in them are common.
_add(1, "gennaio", "januari")
_add(2, "febbraio", "februari")
_add(3, "maart")
_add(4, "aprile")
_add(5, "maggio", "mei")
_add(6, "giugno")
_add(7, "luglio")
_add(8, "augustus")
_add(9, "settembre")
_add(10, "ottobre")
_add(12, "dicembre")

_MONTH_RE: Final = "|".join(sorted((re.escape(m) for m in _MONTHS), key=len, reverse=True))
_DAY: Final = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th|er|º|°|\.)?"
_YEAR: Final = r"(?P<year>(?:19|20)\d\d)"
_MON: Final = rf"(?P<mon>{_MONTH_RE})\.?"
_SEP: Final = r"[\s,./-]*"
_PATTERNS: Final = [
    # 2018-10-26, 2018/10/26
    re.compile(r"(?<!\d)(?P<year>(?:19|20)\d\d)[-/.](?P<num_mon>[01]?\d)[-/.](?P<day>[0-3]?\d)(?!\d)"),
    # March 13, 2019 / Mar. 13 2019 / September 05, 2017
    re.compile(rf"(?<![\w])({_MON}\s+{_DAY}(?:,)?\s*(?:de\s+)?{_YEAR})(?!\d)", re.I),
    # 2 February 2018 / 13. März 2019 / 13 de marzo de 2019 / 1er mars 2019 / 18 Nov 2019
    re.compile(rf"(?<![\w])({_DAY}\s*(?:de\s+)?{_MON}{_SEP}(?:de\s+|del\s+)?{_YEAR})(?!\d)", re.I),
    # 26.10.2018 / 26/10/2018 (day first, as most of the world writes it)
    re.compile(r"(?<!\d)(?P<day>[0-3]?\d)[./](?P<num_mon>[01]?\d)[./](?P<year>(?:19|20)\d\d)(?!\d)"),
]


@dataclass(frozen=True)
class FoundDate:
    """One date found in a text: its value and where it stands."""

    value: dt.date
    """The calendar day."""
    start: int
    """Offset of the first character of the match."""
    end: int
    """Offset just past the match."""


# Every pattern above needs a year: a text without one holds no date.
_YEARISH: Final = re.compile(r"(?:19|20)\d\d")


def _fold(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def find_dates(text: str) -> list[FoundDate]:
    """Every date in `text`, in order of appearance, overlapping matches removed."""
    return list(_find_dates(text))


@lru_cache(maxsize=16384)  # pure, and asked about the same lines by several stages
def _find_dates(text: str) -> tuple[FoundDate, ...]:
    text = _fold(text)
    if ("19" not in text and "20" not in text) or not _YEARISH.search(text):  # substring tests first: faster
        return ()
    found: list[FoundDate] = []
    for pattern in _PATTERNS:
        for match in pattern.finditer(text):
            groups = match.groupdict()
            try:
                year = int(groups["year"])
                day = int(groups["day"])
                if groups.get("num_mon"):
                    month = int(groups["num_mon"])
                    if pattern is _PATTERNS[3] and month > 12 and day <= 12:
                        day, month = month, day  # 10/26/2018: month first
                else:
                    month = _MONTHS[groups["mon"].lower().rstrip(".")]
                value = dt.date(year, month, day)
            except (KeyError, ValueError, TypeError):
                continue
            if any(f.start < match.end() and match.start() < f.end for f in found):
                continue
            found.append(FoundDate(value, match.start(), match.end()))
    return tuple(sorted(found, key=lambda f: f.start))


_SHORT_DMY: Final = re.compile(r"(?<![\d./])(?P<day>[0-3]?\d)\.(?P<mon>[01]?\d)\.(?P<year>\d\d)(?![\d.]\d)")
_SHORT_MDY: Final = re.compile(r"(?<![\d/])(?P<mon>[01]?\d)/(?P<day>[0-3]?\d)/(?P<year>\d\d)(?![\d/])")


def find_short_dates(text: str, pivot: int = 2000) -> list[FoundDate]:
    """Dates with a two-digit year: 06.11.23 (day first, with dots) and 11/13/19 (month first, with slashes).

    Only for lines already known to be datelines: in running text these shapes
    are as often version numbers or scores.
    """
    return list(_find_short_dates(text, pivot))


@lru_cache(maxsize=16384)  # pure, and asked about the same header lines for each candidate headline
def _find_short_dates(text: str, pivot: int) -> tuple[FoundDate, ...]:
    found: list[FoundDate] = []
    for pattern in (_SHORT_DMY, _SHORT_MDY):
        for match in pattern.finditer(_fold(text)):
            try:
                value = dt.date(pivot + int(match["year"]), int(match["mon"]), int(match["day"]))
            except ValueError:
                continue
            found.append(FoundDate(value, match.start(), match.end()))
    return tuple(sorted(found, key=lambda f: f.start))


def parse_date(text: str) -> dt.date | None:
    """The first date in `text`, or None."""
    found = find_dates(text)
    return found[0].value if found else None


# Possessive quantifiers (*+, ++): what a run of digits or of punctuation and spaces matched is
# never given back. Matching it again, split otherwise, cannot help the rest match, and trying
# every split took tens of milliseconds on a single "PUBLISHED: 10:48, Tue, ... | UPDATED: ..." line.
_DATE_LINE_EXTRA: Final = re.compile(
    r"^[\W\d_]*+(?:(?:published|posted|updated|last updated|modified|date|on|am|le|el|em|publicado|"
    r"publié|publiée|veröffentlicht|aktualisiert|actualizado|atualizado|mis à jour|stand|vom|du|"
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|wed|thu|fri|sat|sun|"
    r"lunes|martes|miércoles|jueves|viernes|sábado|domingo|lundi|mardi|mercredi|jeudi|vendredi|"
    r"samedi|dimanche|montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag|"
    r"segunda|terça|quarta|quinta|sexta|feira|at|um|à|a las|uhr|h|am|pm|gmt|utc|est|cet|cest|"
    r"edt|pst|pdt|bst|mez|de|da|do|del|,|\||-|–|—|:|\.|/|\(|\)|\d++)[\W_]*+)*$",
    re.I,
)


def date_line_value(line: str, max_extra_words: int = 3) -> dt.date | None:
    """The date of a line that is essentially a date ("Published: 18 Nov 2019, 19:09").

    A sentence that mentions a date is not a date line; a line that starts
    with a date followed by " | " and a teaser (listing pages) is.
    """
    if line.isascii() and "19" not in line and "20" not in line:
        return None  # every date has a year (ASCII text is its own NFC form): most lines end here
    text = _fold(line.strip())
    if not text or len(text) > 400:
        return None
    found = find_dates(text)
    if not found:
        return None
    first = found[0]
    rest = (text[: first.start] + " " + text[first.end:]).strip()
    if first.start <= 2 and re.match(r"^\s*[|•·]", text[first.end:]):
        return first.value  # "September 05, 2017 | teaser text"
    if len(text) > 80:
        return None
    if _DATE_LINE_EXTRA.match(rest):
        return first.value
    words = re.findall(r"[^\W\d_]+", rest)
    if re.search(r"(?i)\b(?:published|posted|veröffentlicht|publicado|publié|publiée)\b", rest):
        max_extra_words += 2
    if len(words) <= max_extra_words and not re.search(r"[.!?]\s*$", text):
        return first.value
    return None


@lru_cache(maxsize=16384)  # pure, and asked about the same header lines for each candidate headline
def is_update_line(line: str) -> bool:
    """A "last updated" stamp: a date that is not the publication date."""
    return bool(re.match(r"^\W*(updated|last updated|modified|aktualisiert|actualizado|atualizado|mis à jour)",
                         line.strip(), re.I))
