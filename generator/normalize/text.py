"""A page dump's text -> Entry drafts (articles, posts, teasers). Pure.

Classifies the lines, marks noise (the user's, the cross-source one, category
headers), finds the page's pieces and turns each into an Entry with a
confidence per field.
"""

from __future__ import annotations

import re
from typing import Final

from ..models import ARTICLE, TEASER, Entry, SourceHints, SourceRef
from .body import build_body
from .bylines import original_publication_of, translator_of
from .language import detect_language
from .lines import NOISE, PROSE, Line, split_lines
from .noise import category_label, is_noise_line, most_words
from .shapes import Piece, find_pieces, nearby_date

_SPACES: Final = re.compile(r"\s+")
_TRUNCATION: Final = re.compile(r"\s*(?:\(\s*(?:\.\.\.|…)\s*\)|\[\s*(?:\.\.\.|…)\s*\]|\.\.\.|…)\s*$")


_MARKER_TAIL: Final = 12
"""Characters at the end of a text where a match of _TRUNCATION can be, once its whitespace runs
are single spaces: the longest match, " ( ... )", is 8 of them."""


def clean_summary(text: str) -> str:
    """A dek or teaser text without its truncation marker."""
    text = " ".join(text.split())  # = _SPACES.sub(" ", text).strip(): the same whitespace
    if not text.endswith((")", "]", ".", "…")):
        return text  # every truncation marker ends with one of these (the search would try every position)
    previous = None
    while previous != text:
        previous = text
        # A match ends the text: searched for in its tail only, not from every position.
        cut = max(0, len(text) - _MARKER_TAIL)
        text = (text[:cut] + _TRUNCATION.sub("", text[cut:])).strip()
    return text


def mark_noise(lines: list[Line], keys: frozenset[str]) -> tuple[list[Line], list[str]]:
    """Turn noise lines into NOISE; return the category labels of the page."""
    labels: list[str] = []
    out: list[Line] = []
    most = most_words(keys)
    for line in lines:
        label = category_label(line.text) if line.kind != "blank" else None
        if label:
            labels.append(label)
            out.append(Line(line.no, line.text, NOISE, line.words, line.date, line.names))
        elif (line.kind not in ("blank", "date", "byline") and not (line.words > most and line.text.isascii())
              and is_noise_line(line.text, keys)):
            out.append(Line(line.no, line.text, NOISE, line.words, line.date, line.names))
        else:
            out.append(line)
    return out, labels


def text_entries(text: str, source_file: str, hints: SourceHints,
                 noise: frozenset[str]) -> list[Entry]:
    """Entries of one page dump (no vocabulary tags, no publication lookup yet)."""
    lines, page_labels = mark_noise(split_lines(text), noise)
    pieces = find_pieces(lines, hints.split)
    entries = [_entry(lines, piece, source_file, page_labels) for piece in pieces]
    return [e for e in entries if e is not None]


def _entry(lines: list[Line], piece: Piece, source_file: str, page_labels: list[str]) -> Entry | None:
    header = piece.header
    title_line = lines[header.title]
    title = " ".join(title_line.text.split())
    if not title:
        return None
    dek = " ".join(lines[i].text for i in header.dek)
    summary = clean_summary(header.teaser_summary or dek)
    confidence: dict[str, float] = {}
    date = header.date
    if piece.kind == TEASER:
        last = max(header.end, header.title + 1)
        confidence.update(title=0.7, date=0.8 if date else 0.5, authors=0.7 if header.authors else 0.4,
                          summary=0.7 if summary else 0.3, body=1.0)
        return Entry(
            title=title, kind=TEASER, date=date, authors=tuple(header.authors), summary=summary,
            tags=tuple([*page_labels, *piece.tags]),
            language=detect_language(summary + " " + title),
            sources=(SourceRef(source_file, (title_line.no, lines[last - 1].no)),),
            confidence=confidence,
        )
    body = build_body(lines, piece.body[0], piece.body[1])
    if date is None:
        date = nearby_date(lines, header)
        if date is not None:
            confidence["date"] = 0.6
    if date is None and body.footer_date is not None:
        date = body.footer_date
        confidence["date"] = 0.5
    translator = body.translator
    original = body.original_publication
    for i in header.dek:
        translator = translator or translator_of(lines[i].text)
        original = original or original_publication_of(lines[i].text)
    first = title_line.no
    last_no = max(body.last_line, lines[max(header.end - 1, header.title)].no)
    prose_lines = sum(1 for line in lines[piece.body[0]:piece.body[1]] if line.kind == PROSE)
    confidence.setdefault("date", 0.9 if header.date else 0.0)
    confidence.update(
        title=0.9 if header.strong else 0.6,
        authors=0.85 if header.authors else 0.3,
        summary=0.8 if summary else 0.5,
        body=min(0.95, 0.4 + 0.05 * prose_lines),
    )
    # The article layout knows how sure it was of the headline and header.
    for name, value in header.confidence.items():
        if name != "date" or header.date is not None:
            confidence[name] = value
    return Entry(
        title=title, kind=ARTICLE, date=date, authors=tuple(header.authors), summary=summary,
        tags=tuple(page_labels), language=detect_language(body.markdown or title),
        translator=translator, original_publication=original,
        image_credit=header.image_credit or body.image_credit, body=body.markdown,
        sources=(SourceRef(source_file, (first, last_no)),),
        confidence=confidence,
    )
