"""Classified lines -> the pieces of a page: articles, posts and teasers.

Pure. A page dump is one of three shapes (or a mix): a single article
(possibly with sidebars of related teasers), several whole posts one after
the other, or a listing of teasers. Every decision rests on structure: a
headline is a short line followed by a header (dek, byline, date) and by a
mass of running text; a teaser is a headline with a short summary and a
byline or date but no mass of text after it.

A page with one article is laid out by `article.main_layout` (anchored on
the longest run of dense prose); several posts need several such runs, each
opened by its own headline and header.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
import re
from dataclasses import dataclass, field
from typing import Final

from .article import Layout, clip_end, header_facts, is_junk_title, is_ui_name, main_layout, runs
from .bylines import image_credit_of, is_credit_line
from .dates import is_update_line
from .lines import BLANK, BULLET, BYLINE, DATE, NAME, NOISE, PROSE, SHORT, Line, StemIndex, is_title_like

_BY_ALONE_WORDS: Final = ("by", "von", "por", "par", "de", "autor", "author", "written by")
_BY_ALONE: Final = re.compile("(?i)" + "|".join(_BY_ALONE_WORDS))
_BY_ALONE_LONGEST: Final = max(map(len, _BY_ALONE_WORDS))

ARTICLE_MASS: Final = 120
"""Words of running text under a headline that make it an article, not a teaser."""


@dataclass
class Header:
    """What stands between a headline and its text."""

    title: int
    """Index of the headline line."""
    end: int
    """Index of the first line after the header."""
    dek: list[int] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    date: dt.date | None = None
    image_credit: str | None = None
    label: str | None = None
    teaser_summary: str = ""
    """Summary text that shared a line with the date ("date | summary")."""
    byline: bool = False
    """An explicit "by ..." line was read."""
    confidence: dict[str, float] = field(default_factory=dict)
    """Confidences the reader of the header could give (title, authors, date)."""

    # Written out (the dataclass keeps it, and still writes __eq__ and __repr__): compiled with
    # mypyc, the __init__ the decorator writes runs interpreted. The same for the classes below.
    def __init__(self, title: int, end: int, dek: list[int] | None = None, authors: list[str] | None = None,
                 date: dt.date | None = None, image_credit: str | None = None, label: str | None = None,
                 teaser_summary: str = "", byline: bool = False, confidence: dict[str, float] | None = None) -> None:
        self.title = title
        self.end = end
        self.dek = [] if dek is None else dek
        self.authors = [] if authors is None else authors
        self.date = date
        self.image_credit = image_credit
        self.label = label
        self.teaser_summary = teaser_summary
        self.byline = byline
        self.confidence = {} if confidence is None else confidence

    @property
    def strong(self) -> bool:
        return self.date is not None or self.byline


@dataclass
class Piece:
    """One article, post or teaser found on the page (indices into the lines)."""

    kind: str
    header: Header
    body: tuple[int, int] = (0, 0)
    """Half-open range of line indices holding the text (empty for teasers)."""
    tags: list[str] = field(default_factory=list)

    def __init__(self, kind: str, header: Header, body: tuple[int, int] = (0, 0), tags: list[str] | None = None) -> None:
        self.kind = kind
        self.header = header
        self.body = body
        self.tags = [] if tags is None else tags


def _next_nonblank(lines: list[Line], i: int, limit: int | None = None) -> int | None:
    limit = len(lines) if limit is None else limit
    while i < limit:
        if lines[i].kind != BLANK:
            return i
        i += 1
    return None


def _prev_nonblank(lines: list[Line], i: int) -> int | None:
    while i >= 0:
        if lines[i].kind != BLANK:
            return i
        i -= 1
    return None


def _gap_before(lines: list[Line], i: int) -> int:
    gap = 0
    while i - 1 - gap >= 0 and lines[i - 1 - gap].kind == BLANK:
        gap += 1
    return gap


def _gap_after(lines: list[Line], i: int) -> int:
    gap = 0
    while i + 1 + gap < len(lines) and lines[i + 1 + gap].kind == BLANK:
        gap += 1
    return gap


def starts_record(lines: list[Line], i: int) -> bool:
    """A headline directly followed by a date line or a summary paragraph."""
    if not is_title_like(lines[i]) or lines[i].kind == NAME:
        return False
    j = _next_nonblank(lines, i + 1)
    return j is not None and lines[j].kind in (DATE, PROSE, BYLINE) and j - i <= 3


def nearby_date(lines: list[Line], header: Header) -> dt.date | None:
    """A date close to the headline when the header has none (before it, or just after)."""
    from .dates import find_dates

    order: list[int] = []
    j = header.title - 1
    while j >= 0 and len(order) < 6:
        if lines[j].kind != BLANK:
            order.append(j)
        j -= 1
    k = header.end
    after: list[int] = []
    while k < len(lines) and len(after) < 8:
        if lines[k].kind != BLANK:
            after.append(k)
        k += 1
    for idx in [*after[:3], *order, *after[3:]]:
        line = lines[idx]
        if line.kind == DATE and not is_update_line(line.text):
            return line.date
        if line.kind in (SHORT, NAME, NOISE) or (line.words <= 14 and line.kind != PROSE):
            found = find_dates(line.text)
            if found and not is_update_line(line.text):
                return found[0].value
    return None


def _followed_by_prose(lines: list[Line], i: int) -> bool:
    j = _next_nonblank(lines, i + 1)
    return j is not None and lines[j].kind in (PROSE, BYLINE, DATE)


def read_header(lines: list[Line], t: int, limit: int | None = None) -> Header:
    """Read the dek, byline, date and credits that follow the headline at `t`."""
    limit = len(lines) if limit is None else limit
    header = Header(title=t, end=t + 1)
    pending: list[int] = []
    seen = 0
    i = t + 1
    while i < limit and seen < 12:
        line = lines[i]
        if line.kind == BLANK:
            i += 1
            continue
        seen += 1
        alone = line.text.strip(" :")
        if len(alone) <= _BY_ALONE_LONGEST and _BY_ALONE.fullmatch(alone):  # (the length first: cheaper)
            j = _next_nonblank(lines, i + 1, limit)
            if j is not None and lines[j].kind in (NAME, SHORT) and lines[j].words <= 6:
                header.byline = True
                header.authors.append(lines[j].text)
                header.dek += pending
                pending = []
                header.end = j + 1
                i = j + 1
                continue
        if line.kind == DATE:
            if header.date is None or not is_update_line(line.text):
                if header.date is None:
                    header.date = line.date
                    piped = re.split(r"\s+[|•·]\s+", line.text, maxsplit=1)
                    if len(piped) == 2 and len(piped[1].split()) >= 4:
                        header.teaser_summary = piped[1].strip()
            header.dek += pending
            pending = []
            header.end = i + 1
        elif line.kind == BYLINE:
            header.byline = True
            header.authors += [n for n in line.names if n not in header.authors]
            header.dek += pending
            pending = []
            header.end = i + 1
        elif header.end >= i - 3 and image_credit_of(line.text):  # (the cheap test first)
            header.image_credit = image_credit_of(line.text)
            header.dek += pending
            pending = []
            header.end = i + 1
        elif line.kind == NAME:
            if header.strong and _is_label(lines, i):
                break
            if header.authors and header.date is not None and _opens_record(lines, i, limit):
                break
            if _in_menu_run(lines, i) or len(header.authors) >= 4:
                break
            if pending and not header.strong and len(pending) > 1:
                break
            header.authors += [n for n in line.names if n not in header.authors]
            header.dek += pending
            pending = []
            header.end = i + 1
        elif line.kind == NOISE:
            if seen > 4 and not header.strong:
                break
            header.end = max(header.end, i + 1) if header.strong or not pending else header.end
        elif line.kind == PROSE or (line.kind == SHORT and line.words >= 6 and not starts_record(lines, i)):
            if pending or header.dek or header.strong:
                break
            pending.append(i)
        else:
            break
        i += 1
    return header


def _opens_record(lines: list[Line], i: int, limit: int) -> bool:
    """A name-like line set apart by a blank, then a summary, then a byline or date: the next teaser's headline.

    Title-case headlines ("Climate Strike Draws Thousands", "Smith and Jones Agree")
    read as names; after a header that already has its authors and date, the shape
    of what follows tells them apart from one more author line (authors listed one
    per line are not set apart by blanks).
    """
    if _gap_before(lines, i) == 0:
        return False
    j = _next_nonblank(lines, i + 1, limit)
    if j is None or lines[j].kind not in (PROSE, SHORT) or not 6 <= lines[j].words < ARTICLE_MASS:
        return False
    k = _next_nonblank(lines, j + 1, limit)
    return k is not None and k - j <= 3 and lines[k].kind in (NAME, BYLINE, DATE)


def _in_menu_run(lines: list[Line], i: int) -> bool:
    """Part of 3+ consecutive short lines with no blank between: a menu, not a byline.

    Only whether the run reaches three lines matters: it is read no further than that
    (a long menu was read whole for each of its lines).
    """
    lo = i
    while lo > i - 2 and lo - 1 >= 0 and lines[lo - 1].kind in (NAME, SHORT, NOISE):
        lo -= 1
    hi = i
    while hi - lo < 2 and hi + 1 < len(lines) and lines[hi + 1].kind in (NAME, SHORT, NOISE):
        hi += 1
    return hi - lo + 1 >= 3


def _is_label(lines: list[Line], i: int) -> bool:
    """A section label hugging the headline of the next record, not an author."""
    j = _next_nonblank(lines, i + 1)
    if j is None or not starts_record(lines, j):
        return False
    return _gap_after(lines, i) <= min(1, _gap_before(lines, i))


def _words(text: str) -> set[str]:
    return {w.casefold() for w in re.findall(r"[^\W\d_]{4,}", text)}


class _Scoring:
    """What scoring a candidate headline needs from the whole page, built on first use.

    Most pages never ask for a score (the article layout settles them), so the
    page's stem index and echoes are only built when one is asked for.
    """

    def __init__(self, lines: list[Line], limit: int, index: StemIndex | None) -> None:
        self.lines = lines
        self.limit = limit
        self.texts = [line.text for line in lines]
        self._index = index
        self._echoes: _Echoes | None = None

    def index(self) -> StemIndex:
        if self._index is None:  # the stems of the text under each headline, without a set per headline
            self._index = StemIndex(self.texts, 5)
        return self._index

    def echoes(self) -> _Echoes:
        if self._echoes is None:
            self._echoes = _Echoes(self.texts)
        return self._echoes


@dataclass
class Candidate:
    """A headline-like line, its header and the mass of text after it."""

    header: Header
    mass: int
    scoring: _Scoring = field(repr=False, compare=False)
    start: int = 0
    """Where the text under this headline starts (the header's end as it was read)."""
    stop: int = 0
    """Where the text that counts for this headline stops."""
    facts: tuple[bool, bool, bool] = (False, False, False)
    """Date, authors, dek of the header as it was read (a later stage may change the header)."""
    _score: float | None = field(default=None, repr=False, compare=False)

    def __init__(self, header: Header, mass: int, scoring: _Scoring, start: int = 0, stop: int = 0,
                 facts: tuple[bool, bool, bool] = (False, False, False)) -> None:
        self.header = header
        self.mass = mass
        self.scoring = scoring
        self.start = start
        self.stop = stop
        self.facts = facts
        self._score = None

    @property
    def score(self) -> float:
        """How much this line looks like the headline of what follows (computed when first asked)."""
        if self._score is None:
            self._score = _score(self)
        return self._score


def _score(c: Candidate) -> float:
    lines, limit, i = c.scoring.lines, c.scoring.limit, c.header.title
    has_date, has_authors, has_dek = c.facts
    line = lines[i]
    score = 0.0
    if has_date:
        score += 1.5
    if has_authors:
        score += 1.0
    if has_dek:
        score += 0.5
    score += min(4.0, 1.2 * math.log1p(c.mass / 40))
    heading_words = _words(line.text)
    if heading_words:
        index, start = c.scoring.index(), c.start
        body_end = min(c.stop, start + 60)
        overlap = sum(1 for w in heading_words if index.occurs(w[:5], start, body_end)) / len(heading_words)
        score += 2.0 * overlap
    if _in_menu_run(lines, i):
        score -= 1.5
    # The headline often appears twice: in the page's title bar and above the text.
    if len(line.text) > 15 and c.scoring.echoes().has_echo(line.text):
        score += 1.0
    if line.words < 3:
        score -= 1.5
    if line.text.isupper() and line.words <= 4:
        score -= 1.0
    if line.kind == PROSE and line.text.endswith((".", ":", ";")):
        score -= 2.0
    score -= 0.3 * (i / max(1, limit))
    return score


def prose_mass(lines: list[Line], start: int, stop: int) -> int:
    """Words of running text between two indices."""
    return sum(line.words for line in lines[start:stop] if line.kind in (PROSE, BULLET))


def _hard_stop(lines: list[Line], start: int, limit: int) -> int:
    """First share bar / furniture line after some text, else `limit`."""
    seen_prose = 0
    for i in range(start, limit):
        if lines[i].kind == PROSE:
            seen_prose += 1
        elif lines[i].kind == NOISE and seen_prose >= 2:
            return i
    return limit


class _PageIndex:
    """`prose_mass` and `_hard_stop` answered from running sums and sorted positions.

    Every candidate headline asks both about the text under it: scanning the
    lines each time made a page with many headline-like lines quadratic.
    """

    def __init__(self, lines: list[Line]) -> None:
        self.mass = [0]  # words of running text before each index
        self.prose: list[int] = []  # indices of PROSE lines
        self.noise: list[int] = []  # indices of NOISE lines
        total = 0
        for i, line in enumerate(lines):
            if line.kind in (PROSE, BULLET):
                total += line.words
            if line.kind == PROSE:
                self.prose.append(i)
            elif line.kind == NOISE:
                self.noise.append(i)
            self.mass.append(total)

    def prose_mass(self, start: int, stop: int) -> int:
        """prose_mass(lines, start, stop)."""
        n = len(self.mass) - 1
        start, stop = min(max(start, 0), n), min(max(stop, 0), n)
        return self.mass[stop] - self.mass[start] if stop > start else 0

    def hard_stop(self, start: int, limit: int) -> int:
        """_hard_stop(lines, start, limit): the first NOISE line after two PROSE lines from `start`."""
        k = bisect.bisect_left(self.prose, start) + 1  # the second PROSE line at or after start
        if k >= len(self.prose):
            return limit
        j = bisect.bisect_right(self.noise, self.prose[k])
        return self.noise[j] if j < len(self.noise) and self.noise[j] < limit else limit


class _Echoes:
    """Which lines start or end with a given text, by binary search (pages can have many lines)."""

    def __init__(self, texts: list[str]) -> None:
        self.starts = sorted(t for t in texts if t)
        self.ends = sorted(t[::-1] for t in texts if t)

    @staticmethod
    def _count(ordered: list[str], prefix: str) -> int:
        lo = bisect.bisect_left(ordered, prefix)
        hi = bisect.bisect_left(ordered, prefix + "\U0010ffff")
        return hi - lo

    def has_echo(self, text: str) -> bool:
        """Another line starts or ends with `text` (the line itself counted once, in both orders)."""
        return self._count(self.starts, text) + self._count(self.ends, text[::-1]) > 2


def candidates(lines: list[Line], limit: int | None = None, index: StemIndex | None = None) -> list[Candidate]:
    """Every headline-like line with its header, the text mass after it and a (lazy) score.

    `index`: the page's `StemIndex` of size 5, when the caller already has it.
    """
    limit = len(lines) if limit is None else limit
    result: list[Candidate] = []
    strong_starts = []
    headers: dict[int, Header] = {}
    for i in range(limit):
        if lines[i].kind == BLANK:
            continue  # neither headline-like nor a name
        if is_title_like(lines[i]) and lines[i].kind != NAME or (
            lines[i].kind == NAME and lines[i].words >= 3 and _followed_by_prose(lines, i)
        ):
            header = read_header(lines, i, limit)
            headers[i] = header
            if header.strong:
                strong_starts.append(i)
    scoring = _Scoring(lines, limit, index)
    page = _PageIndex(lines)
    for i, header in headers.items():
        k = bisect.bisect_left(strong_starts, header.end)  # the first strong start after the header
        stop = strong_starts[k] if k < len(strong_starts) else limit
        stop = page.hard_stop(header.end, stop)
        mass = page.prose_mass(header.end, stop)
        first = _next_nonblank(lines, header.end, stop)
        if (header.dek or header.date) and first is not None and first != i and starts_record(lines, first):
            mass = 0  # a teaser: the next thing under its byline is another headline
        facts = (header.date is not None, bool(header.authors), bool(header.dek))
        result.append(Candidate(header, mass, scoring, header.end, stop, facts))
    return result


def _is_teaser_record(c: Candidate) -> bool:
    h = c.header
    return h.strong and c.mass < ARTICLE_MASS


def _topic_shift(lines: list[Line], post_start: int, i: int) -> bool:
    """Does the heading at `i` open a new topic (its words unseen so far, found just below)?"""
    heading = _words(lines[i].text)
    j = _next_nonblank(lines, i + 1)
    if len(heading) < 3 or j is None or lines[j].kind != PROSE or lines[i].text.endswith("?"):
        return False
    before = {w[:5] for w in _words(" ".join(line.text for line in lines[post_start:i]))}
    after = _words(" ".join(line.text for line in lines[i + 1:i + 12]))
    novel = {w for w in heading if w[:5] not in before}
    return len(novel) / len(heading) >= 0.8 and len(novel & after) / len(heading) >= 0.5


def find_pieces(lines: list[Line], split_titles: tuple[str, ...] = ()) -> list[Piece]:
    """The articles, posts and teasers of a page, in page order."""
    cands = candidates(lines)
    if not cands:
        return []
    by_index = {c.header.title: c for c in cands}
    forced = [c.header.title for c in cands if lines[c.header.title].text in split_titles]
    articles = sorted({c.header.title for c in cands if c.header.strong and c.mass >= ARTICLE_MASS} | set(forced))
    # Strong starts inside another article's header are the same article.
    articles = [a for k, a in enumerate(articles) if not any(by_index[b].header.end > a for b in articles[:k])]
    if len(articles) >= 2 and not forced:
        articles = _posts_with_text(lines, articles)
    pieces: list[Piece] = []
    if len(articles) >= 2 or (forced and len(articles) >= 1):
        pieces = _posts(lines, cands, articles)
    else:
        layout = main_layout(lines)
        # A listing holds several teaser records; a short article holds at most its own.
        elsewhere = [] if layout is None else [
            c for c in cands if _is_teaser_record(c) and not layout.title <= c.header.title < layout.body_end]
        # The best-scored candidate is only needed when the layout does not settle the page.
        if layout is not None and (layout.mass >= ARTICLE_MASS or _best(cands).mass >= 40 or len(elsewhere) < 2):
            pieces = [_from_layout(lines, cands, layout)]
        elif _best(cands).mass >= 40 or not any(_is_teaser_record(c) for c in cands):
            pieces = [_single(lines, cands, _best(cands))]
    covered = [(p.header.title, max(p.body[1], p.header.end)) for p in pieces]
    pieces += _teasers(lines, cands, covered)
    return sorted(pieces, key=lambda p: p.header.title)


def _best(cands: list[Candidate]) -> Candidate:
    """The best-scored candidate, the first in page order among equals."""
    return max(cands, key=lambda c: (c.score, -c.header.title))


def _posts_with_text(lines: list[Line], articles: list[int]) -> list[int]:
    """The post starts that each open a long run of running text of their own.

    A page with one article often shows a second strong start (a repeated
    headline, a dek, a promo block with a date); only starts followed, before
    the next start, by a long dense run are separate posts. The same headline
    met twice is one post.
    """
    big = [r for r in runs(lines) if r[2] >= ARTICLE_MASS]
    kept: list[int] = []
    seen: set[str] = set()
    for k, a in enumerate(articles):
        stop = articles[k + 1] if k + 1 < len(articles) else len(lines)
        key = re.sub(r"\W+", " ", lines[a].text).strip().casefold()
        if key in seen:
            continue
        if any(a < r[0] < stop and len([i for i in range(a, r[0]) if lines[i].kind != BLANK]) <= 16 for r in big):
            kept.append(a)
            seen.add(key)
    return kept if len(kept) >= 2 else kept[:1]


def _body_end(lines: list[Line], cands: list[Candidate], header: Header, limit: int) -> int:
    teaser_starts = [c.header.title for c in cands
                     if c.header.title >= header.end and _is_teaser_record(c)]
    stop = min([limit, *teaser_starts])
    stop = _hard_stop(lines, header.end, stop)
    # a label line that hugs the teaser below belongs to the sidebar
    return stop


def _from_layout(lines: list[Line], cands: list[Candidate], layout: Layout) -> Piece:
    header = Header(title=layout.title, end=layout.body_start, dek=list(layout.dek), authors=list(layout.authors),
                    date=layout.date, byline=bool(layout.authors),
                    confidence={"title": layout.title_confidence, "authors": layout.authors_confidence,
                                "date": layout.date_confidence})
    header.image_credit = next((credit for i in range(layout.title + 1, layout.body_start)
                                if lines[i].kind != BLANK and (credit := image_credit_of(lines[i].text))), None)
    own = {a.casefold() for a in layout.authors}
    # A record inside the text is no teaser when it credits the article's own author (an author
    # box) or when what follows its headline is a long paragraph (a subheading, not a summary).
    teaser_starts = [c.header.title for c in cands if c.header.title >= header.end and _is_teaser_record(c)
                     and not ({a.casefold() for a in c.header.authors} & own)
                     and not _long_paragraph_after(lines, c.header.title)]
    end = min([layout.body_end, *teaser_starts])
    # credits that close the text ("Translated by ...") belong to it
    for i in range(end, min(len(lines), end + 4)):
        if lines[i].kind != BLANK and is_credit_line(lines[i].text):
            end = i + 1
    return Piece("article", header, (layout.body_start, end))


def _long_paragraph_after(lines: list[Line], i: int) -> bool:
    j = _next_nonblank(lines, i + 1)
    return j is not None and lines[j].kind == PROSE and lines[j].words >= 50


def _single(lines: list[Line], cands: list[Candidate], best: Candidate) -> Piece:
    header = best.header
    end = _body_end(lines, cands, header, len(lines))
    return Piece("article", header, (header.end, end))


def _posts(lines: list[Line], cands: list[Candidate], articles: list[int]) -> list[Piece]:
    by_index = {c.header.title: c for c in cands}
    starts = list(articles)
    # A headline before the first post with a mass of text under it is a post too.
    leading = [c for c in cands if c.header.title < starts[0] and c.mass >= ARTICLE_MASS]
    if leading:
        starts.insert(0, _best(leading).header.title)
    # Within each post, a heading that ends the topic, follows a footer date or a
    # wide gap starts another post.
    extra: list[int] = []
    for k, start in enumerate(starts):
        stop = starts[k + 1] if k + 1 < len(starts) else len(lines)
        post_start = start
        for i in range(by_index[start].header.end, stop):
            c = by_index.get(i)
            if c is None or lines[i].kind == NAME or c.mass < ARTICLE_MASS:
                continue
            if prose_mass(lines, post_start, i) < ARTICLE_MASS:
                continue
            prev = _prev_nonblank(lines, i - 1)
            after_footer = prev is not None and lines[prev].kind == DATE
            if after_footer or _topic_shift(lines, post_start, i):
                extra.append(i)
                post_start = i
    starts = sorted(set(starts) | set(extra))
    pieces: list[Piece] = []
    for k, start in enumerate(starts):
        stop = starts[k + 1] if k + 1 < len(starts) else len(lines)
        header = by_index[start].header
        end = clip_end(lines, header.end, _body_end(lines, cands, header, stop))
        header.authors = [a for a in header.authors if not is_ui_name(a)]
        if not header.authors or header.date is None:
            authors, date = header_facts(lines, start, header.end)
            header.authors = header.authors or authors
            header.date = header.date or date
        pieces.append(Piece("article", header, (header.end, end)))
    return pieces


def _teasers(lines: list[Line], cands: list[Candidate], covered: list[tuple[int, int]]) -> list[Piece]:
    """Teaser records outside the articles; weak records count inside a run of strong ones."""

    def inside(i: int) -> bool:
        return any(a <= i < b for a, b in covered)

    strong = [c for c in cands if _is_teaser_record(c) and not inside(c.header.title)]
    if not strong:
        return []
    region_start = min(c.header.title for c in strong)
    # Labels and consumed lines: a record's header lines are not records themselves.
    pieces: list[Piece] = []
    taken_until = -1
    for c in sorted(cands, key=lambda c: c.header.title):
        i = c.header.title
        if i < region_start or inside(i) or i < taken_until:
            continue
        header = c.header
        if not header.strong:
            j = _next_nonblank(lines, i + 1)
            if j is None or lines[j].kind != PROSE or lines[i].kind == NAME:
                continue
            header.dek = [j]
            header.end = j + 1
        if not header.dek and not header.teaser_summary:
            j = _next_nonblank(lines, i + 1, header.end)
            if j is not None and lines[j].kind == PROSE:
                header.dek = [j]
        if is_junk_title(lines[i].text):
            continue
        header.authors = [a for a in header.authors if not is_ui_name(a)]
        label = _label_above(lines, i)
        header.label = label
        pieces.append(Piece("teaser", header, (header.end, header.end), tags=[label] if label else []))
        taken_until = header.end
    return pieces


def _label_above(lines: list[Line], i: int) -> str | None:
    """A short section label directly above a teaser's headline."""
    j = _prev_nonblank(lines, i - 1)
    if j is None or lines[j].kind not in (NAME, SHORT) or lines[j].words > 4:
        return None
    if _gap_before(lines, i) > 1:
        return None
    k = _prev_nonblank(lines, j - 1)
    if k is not None and lines[k].kind == NAME and _gap_before(lines, j) == 0:
        return None
    if k is not None and lines[k].kind in (DATE, BYLINE):
        # after a previous record's date, a label still hugs the next headline
        pass
    if lines[j].kind == NAME and not _is_label(lines, j) and k is not None and lines[k].kind == PROSE:
        return None
    return lines[j].text


__all__ = ["BULLET", "SHORT", "Header", "Piece", "candidates", "find_pieces", "read_header"]
