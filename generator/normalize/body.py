"""The lines of an article's text -> clean Markdown, plus the credits found in it.

Pure. Keeps paragraphs, in-article headings (as `##`), bulleted lists, block
quotes and emphasis; repairs scrape artefacts (a paragraph broken across a
blank line, list items glued onto one line); drops page noise (share bars,
runs of short link lines, trailing contact and subscription blurbs).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Final

from .bylines import image_credit_of, is_credit_line, original_publication_of, translator_of
from .lines import BLANK, BULLET, DATE, NAME, NOISE, PROSE, SHORT, Line, is_title_like
from .noise import is_footer_text

_GLUED_BULLET: Final = re.compile(r"(?<=\S)\s*(?<![*\s])\*\s{1,3}(?=[A-Z0-9“\"‘'])")
_BULLET_MARK: Final = re.compile(r"^\s*(?:[-*•·▪►–])\s+")
_ENDS_SENTENCE: Final = re.compile(r"[.!?…:;)\]\"”’»*_]\s*$")


def _ends_like_sentence(text: str) -> bool:
    """`_ENDS_SENTENCE.search(text)`, read from the end (a search tries every position of the text first)."""
    core = text.rstrip()
    return bool(core) and core[-1] in ".!?…:;)]\"”’»*_"


@dataclass(frozen=True)
class Body:
    """An article's Markdown text and what was lifted out of it."""

    markdown: str
    first_line: int
    last_line: int
    translator: str | None = None
    original_publication: str | None = None
    image_credit: str | None = None
    footer_date: dt.date | None = None


def _short_runs(lines: list[Line]) -> set[int]:
    """Indices of runs of 3+ consecutive short lines with no blank between: link lists."""
    drop: set[int] = set()
    run: list[int] = []
    for i, line in enumerate([*lines, Line(0, "", BLANK, 0)]):
        if line.kind in (SHORT, NAME, NOISE, DATE) or (line.kind == PROSE and line.words < 12 and run):
            run.append(i)
            continue
        if len(run) >= 3:
            drop.update(run)
        run = []
    return drop


def _listed(lines: list[Line]) -> set[int]:
    """Short lines of a list that a line ending with a colon introduces ("Tour dates:")."""
    found: set[int] = set()
    for i, line in enumerate(lines):
        if line.kind in (BLANK, NOISE) or not line.text.endswith(":") or line.words < 3:
            continue
        j = i + 1
        blanks = 0
        items: list[int] = []
        while j < len(lines) and blanks <= 1:
            nxt = lines[j]
            if nxt.kind == BLANK:
                blanks += 1
            elif nxt.kind in (SHORT, NAME, DATE, BULLET) and nxt.words <= 15 and not nxt.text.endswith(":"):
                items.append(j)
                blanks = 0
            else:
                break
            j += 1
        if len(items) >= 2:
            found.update(items)
    return found


def _is_heading(lines: list[Line], i: int) -> bool:
    line = lines[i]
    if line.kind not in (SHORT, NAME, PROSE) or not is_title_like(line) or line.words > 16:
        return False
    if line.kind == PROSE and _ends_like_sentence(line.text) and not line.text.endswith(("?", "!")):
        return False
    after = next((x for x in lines[i + 1:] if x.kind != BLANK), None)
    return after is not None and after.kind in (PROSE, BULLET)


_HEADING_MARK: Final = re.compile(r"^#+\S|^#+\s")
_NUMBERED: Final = re.compile(r"^\d+\.\s")
_QUOTE_MARK: Final = re.compile(r"^[>+=]")
_LOWER_START: Final = re.compile(r"^[a-zà-ÿ]")


def _escape(text: str) -> str:
    first = text[:1]
    if first and first not in "#>+=" and not first.isdigit():
        return text  # no mark below can start it (what \d matches is a digit to isdigit() too)
    if _HEADING_MARK.match(text):
        return "\\" + text
    if _NUMBERED.match(text):  # "2019. The year" is not a numbered list
        return re.sub(r"^(\d+)\.", r"\1\\.", text)
    if _QUOTE_MARK.match(text) and not text.startswith("> "):
        return "\\" + text
    return text


def build_body(lines: list[Line], start: int, end: int) -> Body:
    """Markdown of lines[start:end], with credits extracted and noise dropped."""
    window = lines[start:end]
    translator = original = credit = None
    footer_date: dt.date | None = None
    for line in window:
        if line.kind != BLANK and is_credit_line(line.text):
            translator = translator or translator_of(line.text)
            original = original or original_publication_of(line.text)
    listed = _listed(window)
    # trailing furniture, dates and names after the last paragraph are not text
    last = len(window)
    while last > 0 and window[last - 1].kind in (BLANK, NOISE, NAME, DATE, SHORT) and last - 1 not in listed:
        if window[last - 1].kind == DATE and footer_date is None:
            footer_date = window[last - 1].date
        last -= 1
    window = window[:last]
    drop = _short_runs(window) - listed
    blocks: list[tuple[str, int, int]] = []  # (markdown, first line no, last line no)
    pending_blank = True
    for i, line in enumerate(window):
        if line.kind == BLANK:
            pending_blank = True
            continue
        text = line.text
        if i in drop or line.kind == NOISE:
            pending_blank = True
            continue
        if is_credit_line(text) and (translator_of(text) or original_publication_of(text)):
            translator = translator or translator_of(text)
            original = original or original_publication_of(text)
            continue
        found_credit = image_credit_of(text)
        if found_credit and line.kind != PROSE:
            credit = credit or found_credit
            continue
        if i in listed:
            blocks.append((f"- {_escape(_BULLET_MARK.sub('', text))}", line.no, line.no))
            pending_blank = False
            continue
        if line.kind == BULLET or _BULLET_MARK.match(text):
            items = _GLUED_BULLET.split(text)
            for item in items:
                item = _BULLET_MARK.sub("", item).strip()
                if item:
                    blocks.append((f"- {_escape(item)}", line.no, line.no))
            pending_blank = False
            continue
        if line.text.startswith(">"):
            blocks.append(("> " + line.text.lstrip("> ").strip(), line.no, line.no))
            continue
        if _is_heading(window, i) and blocks:
            blocks.append((f"## {text}", line.no, line.no))
            pending_blank = False
            continue
        if line.kind in (SHORT, NAME, DATE) and line.words <= 2 and not text.endswith(":"):
            continue  # stray counters, labels and dates between paragraphs
        if blocks and _continues(blocks[-1][0], text, pending_blank):
            prev, first, _ = blocks[-1]
            blocks[-1] = (prev + " " + text, first, line.no)
        else:
            blocks.append((_escape(text), line.no, line.no))
        pending_blank = False
    blocks = _trim_trailing(blocks)
    if not blocks:
        return Body("", 0, 0, translator, original, credit, footer_date)
    markdown = "\n\n".join(b[0] for b in blocks) + "\n"
    return Body(markdown, blocks[0][1], blocks[-1][2], translator, original, credit, footer_date)


def _continues(previous: str, text: str, after_blank: bool) -> bool:
    """Is `text` the rest of a paragraph the scrape broke (mid-sentence, lower-case start)?"""
    if previous.startswith(("## ", "- ", "> ")):
        return False
    if _ends_like_sentence(previous) and not previous.endswith((",", "”,", '",')):
        return False
    if not after_blank:
        return True
    return bool(_LOWER_START.match(text))


def _trim_trailing(blocks: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    """Drop contact / subscription / copyright blurbs and dangling lead-ins at the end."""
    while blocks:
        text = blocks[-1][0]
        words = len(text.split())
        if words <= 40 and (is_footer_text(text) or (text.endswith(":") and words <= 12)):
            blocks.pop()
            continue
        if text.startswith("## "):
            blocks.pop()
            continue
        break
    return blocks
