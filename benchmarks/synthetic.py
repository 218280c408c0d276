"""A deterministic synthetic archive of N entries, for benchmarks and scale tests.

Takes N and a seed; returns `SyntheticEntry`s (an `Entry` plus what its page
dump shows around it) and writes them out in the two forms the tool reads:

- raw page dumps (`write_sources`): text files shaped like copies of real
  article pages (a nav line, headline, dek, byline, date line, share line,
  paragraphs, a few "related" teasers of *other* synthetic entries, footer),
  so a build exercises the normalizer;
- ready front-mattered Markdown (`write_content`), exactly what the content
  store keeps, at `generator.urls.content_path_for(entry, slug)`.

Everything comes from `random.Random` instances seeded with strings (stable
across Python versions and runs), one per entry, so entry i is the same
whatever N is and two runs give byte-identical files. The body text is
pseudo-English drawn with a Zipf-like distribution from a vocabulary of a few
thousand made-up words plus real English function words, so a full-text
search index over it has a realistic number of distinct terms.

    python -m benchmarks.synthetic 1000 /tmp/synthetic   # writes seeds/, content/, archive.toml
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import itertools
import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from generator.frontmatter import dump_entry
from generator.models import ARTICLE, Entry
from generator.urls import content_path_for, slugify

DEFAULT_SEED = 7
FIRST_DAY = dt.date(2010, 1, 1)
SPAN_DAYS = (dt.date(2024, 12, 31) - FIRST_DAY).days + 1  # about 15 years
VOCABULARY_SIZE = 4000
TAG_POOL = 60
AUTHOR_POOL = 150
MONTHS = (
    "January", "February", "March", "April", "May", "June", "July",
    "August", "September", "October", "November", "December",
)

# Real English function words, most frequent first: they make up about half of
# running English text, and a search index has to skip or stem them.
FUNCTION_WORDS = (  # noqa: SIM905 - a paragraph of words reads better than a 150-item literal
    "the of and to in a is that for it as was with on by be at this are from or "
    "have an they which one you were her all she there would their we him been has "
    "when who will more no if out so said what up its about into than them can only "
    "other new some could time these two may then do first any my now such like our "
    "over man me even most made after also did many before must through back years "
    "where much your way well down should because each just those people how too "
    "little state good very make world still own see men work long get here between "
    "both life being under never day same another know while last might us great old "
    "year off come since against go came right used take three"
).split()

_ONSETS = ("b", "br", "c", "ch", "cl", "cr", "d", "dr", "f", "fl", "fr", "g", "gl", "gr", "h", "j", "k",
           "l", "m", "n", "p", "pl", "pr", "qu", "r", "s", "sc", "sh", "sl", "sp", "st", "str", "t", "th",
           "tr", "v", "w", "wh", "y", "z", "")
_VOWELS = ("a", "e", "i", "o", "u", "ai", "ea", "ee", "ie", "oa", "ou", "io", "y")
_CODAS = ("", "", "n", "r", "s", "t", "l", "m", "nd", "st", "ng", "ck", "rt", "nt", "x", "ll")
_SUFFIXES = ("", "", "", "", "", "", "", "", "ion", "ment", "ing", "ed", "er", "ly", "ity", "al", "ness", "ist", "ive", "ous")
_FIRST_NAMES = (
    "Ana", "Bastian", "Carmen", "Dmitri", "Elena", "Farida", "Gabriel", "Hana", "Ibrahim", "Julia",
    "Kwame", "Lucía", "Marco", "Nadia", "Oscar", "Priya", "Quentin", "Rosa", "Samuel", "Tomás",
    "Ursula", "Víctor", "Wladek", "Ximena", "Yusuf", "Zoë", "Aylin", "Bruno", "Chen", "Dolores",
    "Emeka", "Fatima", "Günter", "Helga", "Inés", "José", "Kenji", "Leila", "Miriam", "Noor",
)
_LAST_NAMES = (
    "Alvarez", "Belano", "Cruz", "Dubois", "Eriksen", "Flakin", "García", "Hoff", "Ibáñez", "Jansen",
    "Kowalski", "López", "Mahajan", "Nakamura", "Okafor", "Petrov", "Quispe", "Ríos", "Schmidt", "Taylor",
    "Ulloa", "Vargas", "Wallace", "Xu", "Yilmaz", "Zeledon", "Andersen", "Byce", "Castillo", "Dennis",
    "Espinoza", "Ferre", "Gómez", "Hernández", "Ivanova", "Jiménez", "Kaur", "Lindqvist", "Morris", "Novak",
)
_PUBLICATIONS = (
    "The Daily Ledger", "Workers' Weekly", "Border Notes", "The Continental Review", "Harbor Press",
)
_SECTIONS = ("News", "Analysis", "Opinion", "International", "Labor", "Culture", "Interviews")
_NAV_LINES = (
    "Home News Analysis Opinion Archive Subscribe Donate",
    "Facebook Instagram Twitter YouTube",
    "Menu Search Sign in Subscribe",
)
_SHARE_LINES = ("Facebook Twitter Share", "Share this article: Facebook Twitter Email", "Share Tweet Email Print")


@dataclass(frozen=True)
class SyntheticEntry:
    """One synthetic article: the entry itself and the page its dump shows."""

    entry: Entry
    """The article as the normalizer should find it (slug and path filled in)."""
    source_name: str
    """File name of its raw page dump under the sources directory."""
    layout: int
    """Which of the page layouts its dump uses (0 or 1)."""
    related: tuple[int, ...]
    """Indices of the other entries its dump shows as "related" teasers."""


@lru_cache(maxsize=4)
def vocabulary(seed: int = DEFAULT_SEED, size: int = VOCABULARY_SIZE) -> tuple[str, ...]:
    """Function words first, then `size` distinct made-up words, in rank order."""
    rng = random.Random(f"synthetic-vocabulary:{seed}")
    words: dict[str, None] = dict.fromkeys(FUNCTION_WORDS)
    made: dict[str, None] = {}
    while len(made) < size:
        syllables = rng.choice((1, 1, 1, 2, 2, 2, 2, 3))
        word = "".join(rng.choice(_ONSETS) + rng.choice(_VOWELS) + rng.choice(_CODAS) for _ in range(syllables))
        word += rng.choice(_SUFFIXES)
        if 2 <= len(word) <= 14 and word not in words:
            made.setdefault(word)
    # Frequent words are short (Zipf's law of abbreviation): rank by length.
    return (*words, *sorted(made, key=len))


@lru_cache(maxsize=4)
def _cumulative_weights(count: int) -> tuple[float, ...]:
    # Zipf with exponent ~1: rank r has weight 1/(r + 2.7), as in English text.
    return tuple(itertools.accumulate(1.0 / (rank + 2.7) for rank in range(count)))


@lru_cache(maxsize=4)
def _content_words(seed: int) -> tuple[str, ...]:
    words = vocabulary(seed)
    return words[len(FUNCTION_WORDS):]


@lru_cache(maxsize=4)
def tag_pool(seed: int = DEFAULT_SEED) -> tuple[str, ...]:
    """TAG_POOL distinct topic names, one or two capitalized words."""
    rng = random.Random(f"synthetic-tags:{seed}")
    words = _content_words(seed)[:800]
    tags: dict[str, None] = {}
    while len(tags) < TAG_POOL:
        count = 1 if rng.random() < 0.7 else 2
        tags.setdefault(" ".join(rng.choice(words).capitalize() for _ in range(count)))
    return tuple(tags)


@lru_cache(maxsize=4)
def author_pool(seed: int = DEFAULT_SEED) -> tuple[str, ...]:
    """AUTHOR_POOL distinct "First Last" names (accents included)."""
    rng = random.Random(f"synthetic-authors:{seed}")
    names: dict[str, None] = {}
    while len(names) < AUTHOR_POOL:
        names.setdefault(f"{rng.choice(_FIRST_NAMES)} {rng.choice(_LAST_NAMES)}")
    return tuple(names)


def _words(rng: random.Random, seed: int, count: int) -> list[str]:
    words = vocabulary(seed)
    return rng.choices(words, cum_weights=_cumulative_weights(len(words)), k=count)


def _sentence(rng: random.Random, seed: int, length: int) -> str:
    words = _words(rng, seed, length)
    content = _content_words(seed)
    # A proper noun now and then, a comma in longer sentences.
    if rng.random() < 0.3:
        words[rng.randrange(len(words))] = rng.choice(content).capitalize()
    if length > 10 and rng.random() < 0.6:
        cut = rng.randrange(3, length - 3)
        words[cut] += ","
    words[0] = words[0][:1].upper() + words[0][1:]
    return " ".join(words) + rng.choice((".", ".", ".", ".", ".", "?", "!"))


def _paragraphs(rng: random.Random, seed: int, target_words: int) -> list[str]:
    paragraphs: list[str] = []
    total = 0
    while total < target_words:
        sentences = []
        for _ in range(rng.randint(3, 7)):
            length = rng.randint(6, 28)
            sentences.append(_sentence(rng, seed, length))
            total += length
        paragraphs.append(" ".join(sentences))
    return paragraphs


def _title(rng: random.Random, seed: int) -> str:
    content = _content_words(seed)
    count = rng.randint(4, 9)
    head = [rng.choice(content[:2000]).capitalize() for _ in range(count)]
    # Headlines have a few small words in them, lower-cased as in "Title Case".
    for _ in range(rng.randint(0, 2)):
        head.insert(rng.randrange(1, len(head)), rng.choice(("of", "in", "and", "for", "the", "on", "against")))
    return " ".join(head)


def _metadata(index: int, seed: int) -> Entry:
    rng = random.Random(f"synthetic-entry:{seed}:{index}")
    date = FIRST_DAY + dt.timedelta(days=rng.randrange(SPAN_DAYS))
    summary = _sentence(rng, seed, rng.randint(15, 30))
    return Entry(
        title=_title(rng, seed),
        kind=ARTICLE,
        date=date,
        authors=tuple(rng.sample(author_pool(seed), rng.randint(1, 3))),
        publication=_PUBLICATIONS[index % len(_PUBLICATIONS)],
        summary=summary,
        tags=tuple(sorted(rng.sample(tag_pool(seed), rng.randint(2, 5)))),
        language="en",
    )


def generate(count: int, seed: int = DEFAULT_SEED, words: int = 1000) -> list[SyntheticEntry]:
    """`count` synthetic entries of about `words` words each, deterministic in (count, seed)."""
    metadata = [_metadata(i, seed) for i in range(count)]
    used: set[str] = set()
    result: list[SyntheticEntry] = []
    for index, meta in enumerate(metadata):
        rng = random.Random(f"synthetic-body:{seed}:{index}")
        body = "\n\n".join(_paragraphs(rng, seed, rng.randint(int(words * 0.9), int(words * 1.1))))
        base = slugify(meta.title)
        slug, n = base, 1
        while content_path_for(meta, slug) in used:
            n += 1
            slug = f"{base}-{n}"
        path = content_path_for(meta, slug)
        used.add(path)
        wanted = min(rng.randint(2, 3), count - 1)
        picked: list[int] = []
        while len(picked) < wanted:
            other = rng.randrange(count)
            if other != index and other not in picked:
                picked.append(other)
        digest = hashlib.sha256(f"{seed}:{index}:{meta.title}".encode()).hexdigest()[:16]
        result.append(SyntheticEntry(
            entry=replace(meta, body=body + "\n", slug=slug, path=path),
            source_name=f"{index:06d}_{digest}.txt",
            layout=rng.randrange(2),
            related=tuple(picked),
        ))
    return result


def format_date(date: dt.date, layout: int) -> str:
    """The date line as pages print it: "March 13, 2019" or "13 March 2019"."""
    month = MONTHS[date.month - 1]
    return f"{month} {date.day}, {date.year}" if layout == 0 else f"{date.day} {month} {date.year}"


def _byline(authors: Sequence[str]) -> str:
    if len(authors) == 1:
        return f"By {authors[0]}"
    return "By " + ", ".join(authors[:-1]) + f" and {authors[-1]}"


def page_dump(item: SyntheticEntry, everything: Sequence[SyntheticEntry]) -> str:
    """The raw text dump of `item`'s page, the way a "save as text" copy looks."""
    entry = item.entry
    assert entry.date is not None  # synthetic entries are all dated
    rng = random.Random(f"synthetic-page:{entry.path}")
    lines: list[str] = [rng.choice(_NAV_LINES), ""]
    if item.layout == 0:
        # Like a magazine page: section, headline, dek, publication, date, share line.
        lines += [rng.choice(_SECTIONS), "", entry.title, "", entry.summary, "",
                  _byline(entry.authors), "", format_date(entry.date, 0), rng.choice(_SHARE_LINES), ""]
    else:
        # Like a news site: headline, dek, authors one per line, date line.
        lines += [entry.title, "", entry.summary, "", *entry.authors, format_date(entry.date, 1), ""]
    lines.append(entry.body.strip("\n"))
    lines += ["", rng.choice(_SHARE_LINES), ""]
    if item.related:
        lines += ["Related articles", ""]
        for index in item.related:
            other = everything[index].entry
            assert other.date is not None
            lines += [other.title, "", other.summary, "", ", ".join(other.authors), "",
                      format_date(other.date, item.layout), "", ""]
    publication = entry.publication or "The Archive"
    lines += [f"© {entry.date.year} {publication}. All rights reserved.",
              "About Contact Privacy policy Newsletter", ""]
    return "\n".join(lines)


def write_sources(items: Sequence[SyntheticEntry], sources_dir: Path) -> int:
    """Write every page dump into `sources_dir`; returns the number of files."""
    sources_dir.mkdir(parents=True, exist_ok=True)
    for item in items:
        (sources_dir / item.source_name).write_text(page_dump(item, items), encoding="utf-8")
    return len(items)


def write_content(items: Sequence[SyntheticEntry], content_dir: Path) -> int:
    """Write every entry as front-mattered Markdown into `content_dir`; returns the count."""
    made: set[Path] = set()
    for item in items:
        target = content_dir / item.entry.path
        if target.parent not in made:
            target.parent.mkdir(parents=True, exist_ok=True)
            made.add(target.parent)
        target.write_text(dump_entry(item.entry), encoding="utf-8")
    return len(items)


ARCHIVE_TOML = """\
[site]
title = "Synthetic Archive"
description = "A synthetic archive for benchmarks."
language = "en"
base_url = "https://archive.example.org/"
per_page = 20
author = "Benchmark"
"""


def archive_toml() -> str:
    """The project's archive.toml: site settings, and how pages name their publication."""
    # The dumps name their publication only in the footer; telling the
    # normalizer so is what a user of a real archive would do too.
    publications = "".join(f'"{name}" = "{name}"\n' for name in _PUBLICATIONS)
    return f"{ARCHIVE_TOML}\n[normalize.publications]\n{publications}"


def make_project(root: Path, items: Sequence[SyntheticEntry], *, dumps: bool, content: bool) -> Path:
    """A project dir with archive.toml, seeds/ (dumps or empty) and content/ (or empty)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "archive.toml").write_text(archive_toml(), encoding="utf-8")
    (root / "seeds").mkdir(exist_ok=True)
    (root / "content").mkdir(exist_ok=True)
    if dumps:
        write_sources(items, root / "seeds")
    if content:
        write_content(items, root / "content")
    return root


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write a deterministic synthetic archive project.")
    parser.add_argument("count", type=int, help="number of entries")
    parser.add_argument("root", type=Path, help="project directory to create")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--form", choices=("content", "dumps", "both"), default="content")
    args = parser.parse_args(argv)
    items = generate(args.count, args.seed)
    make_project(args.root, items, dumps=args.form in ("dumps", "both"), content=args.form in ("content", "both"))
    print(f"{args.count} entries -> {args.root}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
