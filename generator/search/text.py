"""Text analysis shared by the index builder and the browser: str -> terms.

Takes field text and an entry's language and returns the terms lunr indexes,
or takes a query term and returns the terms lunr looks up. Every step exists
twice, here and in assets/search-core.js, under the same lunr pipeline names,
and tests/unit/test_search_text.py runs the same strings through both.

The steps, in order (the names are the lunr pipeline labels):

- tokenizer: lowercase, split on JavaScript's `\\s` and "-" (lunr.js's
  separator; lunr.py's own list is shorter, so other spaces are mapped first);
- ``archive-fold``: accents folded (NFD, combining marks dropped), so "Ríos"
  and "Rios" are one term;
- ``archive-words``: the token split into runs of Unicode letters and digits
  (inner "'" and "." kept, a possessive "'s" dropped), which also trims
  punctuation ("caravan?" -> "caravan"; lunr's own trimmer uses ASCII ``\\W``
  and would eat the "Á" of "Ángel"); runs of CJK characters become
  overlapping bigrams, since Chinese has no spaces ("佳士工人" -> 佳士, 士工, 工人);
- per language, a stop word filter and a stemmer: English uses lunr's Porter
  stemmer (lunr.py's, with lunr.js's rule for a final "y", where the two
  disagree); other languages use the Snowball stemmers of the
  `snowballstemmer` package, the same algorithms lunr-languages ships as
  ``stemmer-<lang>``. Stop word lists come from lunr.py (English) and from the
  lunr-languages files in the installed mkdocs package (the others).

Documents are analysed in their own language; a query term is analysed in
every language of the archive and looks up each resulting stem.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from functools import cache

from lunr.pipeline import Pipeline  # type: ignore[import-untyped]
from lunr.stemmer import PorterStemmer  # type: ignore[import-untyped]
from lunr.stop_word_filter import WORDS as _LUNR_EN_STOP_WORDS  # type: ignore[import-untyped]
from lunr.token import Token  # type: ignore[import-untyped]

from . import vendor

# JavaScript's \s (what lunr.js's tokenizer splits on, with "-").
JS_SPACE = "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
SPACE_TABLE = {ord(c): " " for c in JS_SPACE + "-"}
_SEPARATOR = re.compile(f"[{JS_SPACE}\\-]+")

# ISO 639-1 code -> Snowball algorithm whose lunr-languages file is lunr.<code>.js
# (lunr-languages calls Dutch "du"). English is handled by lunr's Porter stemmer.
SNOWBALL = {
    "da": "danish", "de": "german", "es": "spanish", "fi": "finnish", "fr": "french",
    "hu": "hungarian", "it": "italian", "nl": "dutch", "no": "norwegian", "pt": "portuguese",
    "ro": "romanian", "ru": "russian", "sv": "swedish", "tr": "turkish",
}
LUNR_LANGUAGE_FILE = {code: ("du" if code == "nl" else code) for code in SNOWBALL}
SUPPORTED = ("en", *sorted(SNOWBALL))

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
# CJK runs, or runs of other letters/digits joined by single inner "'" or ".".
_PIECES = f"[{_CJK}]+|[^\\W_{_CJK}]+(?:['.][^\\W_{_CJK}]+)*"
# The same for ASCII text, where [^\W_] is [A-Za-z0-9] and there is no CJK: compiled in a
# fraction of the time the classes above take (milliseconds, on every build that searches).
_ASCII_PIECES = re.compile(r"[A-Za-z0-9]+(?:['.][A-Za-z0-9]+)*")


@cache
def _unicode_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """(_PIECES, one CJK character), compiled when a token first needs them."""
    return re.compile(_PIECES), re.compile(f"[{_CJK}]")


def language_of(code: str | None, default: str) -> str:
    """The analysis language for an entry: its code if supported, else the default, else English."""
    for candidate in (code, default):
        base = (candidate or "").lower().split("-")[0]
        if base in SUPPORTED:
            return base
    return "en"


# Whitespace to Python's str.split() but not to JavaScript's \s.
_PYTHON_ONLY_SPACE = "\x1c\x1d\x1e\x1f\x85"


def split_words(text: str) -> list[str]:
    """lunr.js's tokenizer: lowercase, split on whitespace and hyphens."""
    lowered = text.lower()
    if not any(space in lowered for space in _PYTHON_ONLY_SPACE):
        # str.split() (C speed) splits on JavaScript's \s but for U+FEFF.
        return lowered.replace("-", " ").replace("\ufeff", " ").split()
    return [word for word in _SEPARATOR.split(lowered) if word]


def fold(word: str) -> str:
    """Drop accents: "ríos" -> "rios" (combining marks removed after NFD)."""
    if word.isascii():
        return word
    decomposed = unicodedata.normalize("NFD", word)
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if unicodedata.category(c) != "Mn"))


def words(token: str) -> list[str]:
    """A folded token -> its words: letters/digits runs (inner ' and . kept), CJK runs as bigrams.

    "caravan?" -> ["caravan"]; "deportation—trying" -> two words;
    "gonzalez’s" -> ["gonzalez"] (a possessive 's is dropped); "佳士工人" ->
    ["佳士", "士工", "工人"]; "u.s." -> ["u.s"].
    """
    if token.isascii():
        return [run.removesuffix("'s") for run in _ASCII_PIECES.findall(token)]
    return _unicode_words(token)


def _unicode_words(token: str) -> list[str]:
    """words(token) by the general expressions, for any text (words() takes ASCII a shorter way)."""
    pieces_pattern, cjk_char = _unicode_patterns()
    pieces: list[str] = []
    for run in pieces_pattern.findall(token.replace("’", "'")):
        if cjk_char.match(run):
            if len(run) > 1:
                pieces.extend(run[i:i + 2] for i in range(len(run) - 1))
            else:
                pieces.append(run)
        else:
            pieces.append(run.removesuffix("'s"))
    return pieces


class _LunrJsPorter(PorterStemmer):  # type: ignore[misc]
    """lunr.py's Porter stemmer with lunr.js's step 1c.

    lunr.js turns a final "y" into "i" after a consonant that is not the
    first letter (/^(.+?[^aeiou])y$/: "cry" -> "cri", "day" stays); lunr.py
    does it when the stem has a vowel ("day" -> "dai"). The browser runs
    lunr.js's, so the index must agree with it.
    """

    def step1c(self) -> None:
        k = int(self.k)
        word = str(getattr(self, "b"))  # noqa: B009 - untyped base class attribute
        if k - self.k0 >= 2 and word[k] == "y" and word[k - 1] not in "aeiou":
            self.b = word[:k] + "i" + word[k + 1:]


_PORTER = _LunrJsPorter()


@cache
def stop_words(language: str) -> frozenset[str]:
    """The language's stop words, accent-folded like the tokens they meet."""
    if language == "en":
        words: Iterable[str] = _LUNR_EN_STOP_WORDS
    else:
        words = vendor.stop_words(LUNR_LANGUAGE_FILE[language])
    return frozenset(fold(w) for w in words)


@cache
def stemmer(language: str) -> Callable[[str], str]:
    """str -> stem for one language."""
    if language == "en":
        return lambda word: str(_PORTER.stem(word))
    import snowballstemmer  # type: ignore[import-untyped]  # (imports every language: only when needed)

    snowball = snowballstemmer.stemmer(SNOWBALL[language])
    return lambda word: str(snowball.stemWord(word))


def normalize(word: str) -> list[str]:
    """The language-independent steps: fold, then split into words."""
    return words(fold(word))


def analyzer(language: str) -> Callable[[str], tuple[str, ...]]:
    """A cached word -> index terms function for documents in `language`."""
    stops = stop_words(language)
    stem = stemmer(language)

    @cache
    def analyze(word: str) -> tuple[str, ...]:
        return tuple(stem(piece) for piece in normalize(word) if piece not in stops)

    return analyze


def analyze_text(text: str, language: str) -> list[str]:
    """Field text -> the terms a document in `language` is indexed under."""
    analyze = analyzer_for(language)
    return [term for word in split_words(text) for term in analyze(word)]


@cache
def analyzer_for(language: str) -> Callable[[str], tuple[str, ...]]:
    return analyzer(language)


def query_terms(term: str, languages: Sequence[str]) -> list[str]:
    """A query term -> the terms it looks up: its stem in each archive language, deduplicated."""
    found: list[str] = []
    for piece in normalize(term.lower()):
        for language in languages:
            if piece in stop_words(language):
                continue
            stem = stemmer(language)(piece)
            if stem not in found:
                found.append(stem)
    return found


# --- lunr.py pipeline functions (the reference builder and its serialized pipeline) ---

def _pipeline_fold(token: Token, i: int | None = None, tokens: object = None) -> Token:
    return token.update(lambda s, m: fold(s))


def _pipeline_words(token: Token, i: int | None = None, tokens: object = None) -> list[Token]:
    return [token.clone(lambda s, m, p=piece: p) for piece in words(token.string)]


Pipeline.register_function(_pipeline_fold, "archive-fold")
Pipeline.register_function(_pipeline_words, "archive-words")


def query_pipeline_name(languages: Sequence[str]) -> str:
    """The lunr label of the query-side stemming step for these languages."""
    return "archive-stem-" + "-".join(languages)


def _register(fn: Callable[..., object], label: str) -> Callable[..., object]:
    """Register once: lunr.py warns when a label is registered again."""
    registered: dict[str, Callable[..., object]] = Pipeline.registered_functions
    if label not in registered:
        Pipeline.register_function(fn, label)
    return registered[label]


@cache
def lunr_pipeline(language: str) -> Pipeline:
    """The lunr.py indexing pipeline for documents in `language` (reference builder)."""
    stops = stop_words(language)
    stem = stemmer(language)

    def stop_filter(token: Token, i: int | None = None, tokens: object = None) -> Token | None:
        return None if token.string in stops else token

    def stem_step(token: Token, i: int | None = None, tokens: object = None) -> Token:
        return token.update(lambda s, m: stem(s))

    pipeline = Pipeline()
    pipeline.add(
        _pipeline_fold, _pipeline_words,
        _register(stop_filter, f"archive-stopwords-{language}"),
        _register(stem_step, f"archive-stemmer-{language}"),
    )
    return pipeline


@cache
def lunr_search_pipeline(languages: tuple[str, ...]) -> Pipeline:
    """The lunr.py search pipeline whose labels the browser resolves (see search-core.js)."""

    def multi_stem(token: Token, i: int | None = None, tokens: object = None) -> list[Token]:
        found: list[str] = []
        for language in languages:
            if token.string in stop_words(language):
                continue
            stem = stemmer(language)(token.string)
            if stem not in found:
                found.append(stem)
        return [token.clone(lambda s, m, t=t: t) for t in found]

    pipeline = Pipeline()
    pipeline.add(_pipeline_fold, _pipeline_words, _register(multi_stem, query_pipeline_name(languages)))
    return pipeline
