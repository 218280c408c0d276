"""The data that flows through the pipeline, as frozen dataclasses.

Sources are read into `SourceDocument`s, the normalizer turns each into
`Entry` drafts, the content store gives every entry its path, and the
renderers turn entries into `OutputFile`s. Anything doubtful along the way is
a `Problem` tied to the file it concerns; problems are returned, never raised,
so that one broken source never takes the archive down.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import cast


class Severity(enum.Enum):
    """How bad a problem is; errors make `archive build` exit with 1."""

    ERROR = "error"
    WARNING = "warning"
    NOTICE = "notice"


@dataclass(frozen=True)
class Problem:
    """Something wrong or doubtful about one file, shown to the user."""

    path: str
    """The file the problem concerns, as the user would type it."""
    message: str
    """What is wrong and, where possible, what to do about it."""
    severity: Severity = Severity.ERROR
    """Errors make the build exit 1; warnings and notices do not."""
    line: int | None = None
    """1-based line in `path`, when known."""

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.severity.value}: {self.message}"


class SourceKind(enum.Enum):
    """The input formats the normalizer understands."""

    TEXT = "text"
    HTML = "html"
    MARKDOWN = "markdown"


@dataclass(frozen=True)
class SourceDocument:
    """One file from the sources directory, decoded but not yet interpreted."""

    path: str
    """Path relative to the sources directory, with forward slashes."""
    kind: SourceKind
    """Which reader interprets it."""
    text: str
    """The decoded text with line ends normalized to "\\n" and no BOM."""
    encoding: str
    """The encoding the bytes were decoded from (reported when not UTF-8)."""
    digest: str
    """SHA-256 of the raw bytes, so content can tell when a source changed."""
    read: bool = field(default=True, compare=False)
    """False when the file was not read because it is unchanged since the last build
    (`text` is then empty: ingest.read_again reads it when it is needed after all)."""


@dataclass(frozen=True)
class SourceHints:
    """What the user said about one source in archive.toml; it beats heuristics."""

    publication: str | None = None
    """The publication the source comes from."""
    url: str | None = None
    """Where the source was published."""
    language: str | None = None
    """ISO 639-1 language code of the source."""
    tags: tuple[str, ...] = ()
    """Tags added to every entry of the source."""
    split: tuple[str, ...] = ()
    """Titles at which a multi-post page starts a new post."""
    kind: str | None = None
    """Force every entry of the source to this kind ("article" or "teaser")."""
    authors: tuple[str, ...] = ()
    """Authors used when the page names none."""


@dataclass(frozen=True)
class SourceRef:
    """Where an entry came from: a source file and the 1-based line range in it."""

    file: str
    """Path of the source, relative to the project root (e.g. "seeds/x.txt")."""
    lines: tuple[int, int] | None = None
    """First and last line of the entry in the file, inclusive."""


ARTICLE = "article"
TEASER = "teaser"
ENTRY_KINDS = (ARTICLE, TEASER)


_WORDS = "_word_count"
"""Where an Entry keeps its body's word count once counted (see Entry.word_count)."""

_BODY_FILE = "_body_file"
"""Where an Entry kept without its body holds (content file, text hash) to read it from
(see Entry.kept)."""


@dataclass(frozen=True)
class Entry:
    """One article or teaser: what the normalizer makes and the renderer shows."""

    title: str
    """The headline, exactly as the page gives it (typographic quotes kept)."""
    kind: str = ARTICLE
    """"article" when the full text is here, "teaser" when only a summary is."""
    date: dt.date | None = None
    """Day of publication; None when the page does not say."""
    authors: tuple[str, ...] = ()
    """People and organizations credited, in page order."""
    publication: str | None = None
    """Name of the publication the entry appeared in."""
    summary: str = ""
    """The dek or teaser text, without truncation markers."""
    tags: tuple[str, ...] = ()
    """Topic labels, in a stable order."""
    language: str | None = None
    """ISO 639-1 code of the entry's language."""
    translator: str | None = None
    """Who translated it, when the page credits a translator."""
    original_publication: str | None = None
    """Where it was first published, when the page says it is a reprint."""
    image_credit: str | None = None
    """Credit line of the lead image."""
    url: str | None = None
    """Address of the original on the web, when known."""
    body: str = ""
    """The article text as Markdown (empty for most teasers)."""
    sources: tuple[SourceRef, ...] = ()
    """Every source the entry was found in."""
    confidence: Mapping[str, float] = field(default_factory=dict, compare=False)
    """Per extracted field, how sure the normalizer is (0 to 1). A plain dict, only ever read (the
    type says so): one that pickles as it is, for the caches and worker processes."""
    slug: str = ""
    """URL-safe name, unique in the archive; assigned by the content store."""
    path: str = ""
    """Path of the entry's file relative to content/, once stored."""

    def __getstate__(self) -> dict[str, object]:
        # Another mapping (a mappingproxy cannot be pickled) is shipped as the dict that the
        # entry's own code makes. No __setstate__: without one, unpickling fills the entry's
        # __dict__ in C (10,000 cached entries load in 2/3 of the time).
        if type(self.confidence) is dict:
            return self.__dict__
        state = dict(self.__dict__)
        state["confidence"] = dict(self.confidence)
        return state

    @property
    def word_count(self) -> int:
        """Words in the body (CJK characters count as words).

        Counted once per entry and kept beside its fields (not one of them: equality, hashing
        and the front matter's fields ignore it). A cold build from page dumps needs every
        draft's count twice, for its front matter and for its page; the normalizer's workers
        count it, and the count travels with the draft.
        """
        words = self.__dict__.get(_WORDS)
        if words is None:
            words = self.__dict__[_WORDS] = count_words(self.body)
        return cast(int, words)

    @property
    def counted_words(self) -> int | None:
        """word_count if it has been counted, else None (nothing is counted)."""
        return cast("int | None", self.__dict__.get(_WORDS))

    def knowing_word_count(self, words: int | None) -> Entry:
        """This entry, told its word count (None: nothing to tell), counted on a body with the
        same words: the draft it was stored from, say."""
        if words is not None:
            self.__dict__[_WORDS] = words
        return self

    def with_changes(self, **changes: object) -> Entry:
        """dataclasses.replace(self, **changes), without its generic field walk and the frozen
        __init__ (one object.__setattr__ per field): the normalizer finishes every draft this way.
        Nothing is checked but the names: the fields hold what the caller gives."""
        unknown = changes.keys() - self.__dict__.keys() - {"body"}  # (an entry kept without it)
        if unknown:
            raise TypeError(f"Entry has no field {min(unknown)!r}")
        entry = object.__new__(type(self))
        state = self.__dict__.copy()
        if "body" in changes:
            state.pop(_WORDS, None)
            state.pop(_BODY_FILE, None)
        state.update(changes)
        entry.__dict__.update(state)
        return entry

    def placed(self, slug: str, path: str) -> Entry:
        """replace(self, slug=slug, path=path): the entry at its place in content/.

        Without dataclasses.replace's generic field walk, which a cold build of 10,000 entries
        pays twice per entry (the store places every draft, loading places every file).
        """
        return self.with_changes(slug=slug, path=path)

    def kept(self) -> Entry:
        """This entry as the build cache keeps it: its body left out, and each name it may share
        with other entries (authors, tags, publication, language) one string, pickled once.

        Once told where its file is (`with_body_file`), the entry reads its body from there
        the first time it is asked for: a rebuild after one edit of 10,000 entries looks at a
        hundred bodies, and unpickling them all (60 MB) took longer than the rest of the
        cached entries. The same entry: equal and hashed the same (both read the body).
        """
        state = self.__dict__.copy()
        if state.get("body"):  # (an empty one has nothing to read back: a teaser's)
            del state["body"]
        state.pop(_BODY_FILE, None)
        state["authors"] = tuple(map(sys.intern, self.authors))
        state["tags"] = tuple(map(sys.intern, self.tags))
        for name in ("publication", "language", "kind"):
            if state[name] is not None:
                state[name] = sys.intern(state[name])
        entry = object.__new__(type(self))
        entry.__dict__.update(state)
        return entry

    def with_body_file(self, location: str, version: str) -> Entry:
        """This entry, kept without its body, told the content file it was parsed from (`location`,
        whose text has hash `version`); itself if it has its body. Changes it in place: where
        the body is stays out of equality, like the word count."""
        if "body" not in self.__dict__:
            self.__dict__[_BODY_FILE] = (location, version)
        return self


class _BodyFromFile:
    """Entry.body of an entry kept without it (Entry.kept): read from its content file
    the first time it is asked for, then kept. (A non-data descriptor: an entry that has its
    body, in its __dict__ like every field, never gets here.)"""

    def __get__(self, entry: Entry | None, owner: type | None = None) -> str:
        if entry is None:
            return ""  # (the field's default, for whoever asks the class)
        source = entry.__dict__.get(_BODY_FILE)
        if source is None:
            raise LookupError(f"{entry.path or entry.title}: entry kept without its body, and not told its file")
        from .content import stored_body  # (content imports this module)

        body: str = stored_body(*source)
        entry.__dict__["body"] = body
        return body


# After the dataclass is made: its __init__ and field default are the plain "" they were.
setattr(Entry, "body", _BodyFromFile())  # noqa: B010 - an assignment mypy would take for a field's


_CJK_RANGES = r"\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af"


# Compiled on first use: a class of tens of thousands of code points takes milliseconds to
# compile, on every start of every command, and ASCII text never needs these.
@functools.cache
def _word_pattern() -> re.Pattern[str]:
    return re.compile(f"[{_CJK_RANGES}]|[^\\W_]+(?:['’-][^\\W_]+)*")


@functools.cache
def _cjk_pattern() -> re.Pattern[str]:
    return re.compile(f"[{_CJK_RANGES}]")


# Bytes of a text's UTF-8 once every non-ASCII character left is a word character
# (see count_words): word characters -> "a", joiners (' and -) -> "-", the rest -> " ".
_WORD_BYTES = bytes(
    ord("a") if byte >= 0x80 or chr(byte).isalnum() else ord("-") if chr(byte) in "'-" else ord(" ")
    for byte in range(256)
)


def count_words_slowly(text: str) -> int:
    """What count_words counts, by its definition: one regular expression."""
    return len(_word_pattern().findall(text))


def count_words(text: str) -> int:
    """Count words the way a reader would, ignoring Markdown punctuation.

    A word is a run of word characters ([^\\W_]); a run joined to the next by
    one ' ’ or - counts once; each CJK character is a word (count_words_slowly
    says it in one expression). Counted here on a translation of the text to
    three byte classes, about ten times faster, since every cold build counts
    every body: the number of runs minus the number of joins. Text with CJK
    characters goes to the expression.
    """
    if not text.isascii():
        if _cjk_pattern().search(text) is not None:
            return count_words_slowly(text)
        text = text.replace("’", "'")
        for char in {char for char in set(text) if char > "\x7f" and not char.isalnum()}:
            text = text.replace(char, " ")
    classes = text.encode("utf-8").translate(_WORD_BYTES)
    runs = classes.count(b" a") + classes.count(b"-a") + classes.startswith(b"a")
    # "a-a" matches do not overlap once every run after a joiner is at least two long.
    joins = classes.replace(b"-a", b"-aa").count(b"a-a") if b"-" in classes else 0
    return runs - joins


@dataclass(frozen=True)
class OutputFile:
    """One file of the built site: where it goes (relative to site/) and its bytes."""

    path: str
    """Path relative to the output directory, forward slashes, no leading slash."""
    data: bytes
    """The exact bytes to write."""
