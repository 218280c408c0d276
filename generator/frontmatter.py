"""Front-mattered Markdown <-> `Entry`, both directions, pure.

`dump_entry` writes the canonical form the content store keeps; `parse_entry`
reads any Markdown file with YAML front matter (generated or written by a
person), validating types and reporting every problem with the file's name.
YAML is loaded with a loader that refuses aliases, so a "billion laughs"
document cannot blow up memory.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import fields
from typing import Any, TypeGuard

import yaml

from .models import ARTICLE, ENTRY_KINDS, Entry, Problem, SourceRef

FRONT_MATTER = re.compile(r"\A\ufeff?---[ \t]*\r?\n(.*?)(?:\r?\n)?^(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.S | re.M)

# Front matter keys in the order they are written; README documents each.
KEYS = (
    "title", "kind", "date", "authors", "publication", "summary", "tags", "language",
    "translator", "original_publication", "image_credit", "url", "slug", "word_count",
    "sources", "confidence",
)
_LIST_KEYS = ("authors", "tags")
_TEXT_KEYS = ("title", "publication", "summary", "language", "translator",
              "original_publication", "image_credit", "url", "slug")


class FrontMatterError(ValueError):
    """The front matter is missing, not YAML, or has fields of the wrong type."""


class _SafeNoAliasLoader(yaml.SafeLoader):
    """SafeLoader that rejects anchors/aliases: no alias bombs, no shared nodes."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]  # (untyped in types-PyYAML)
            raise yaml.composer.ComposerError(
                None, None, "YAML aliases are not allowed in front matter", event.start_mark
            )
        return super().compose_node(parent, index)


# Dates stay strings until we validate them ourselves, so "2019-13-45" is our
# error with our message rather than PyYAML's exception.
_SafeNoAliasLoader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


# libyaml parses about 8x faster than the pure-Python loader, but its composer
# cannot be told to refuse aliases; so a block that could hold an anchor or an
# alias goes to the slow loader, which refuses them with a clear message.
_FastBase: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _FastLoader(_FastBase):  # type: ignore[misc]
    """libyaml-backed safe loader with the same resolvers as `_SafeNoAliasLoader`."""


_FastLoader.yaml_implicit_resolvers = _SafeNoAliasLoader.yaml_implicit_resolvers
_MAYBE_ANCHOR_OR_ALIAS = re.compile(r"(?:^|[\s,\[{:?-])[&*][^\s,\]}]")


def _load_yaml(text: str) -> Any:
    plain = _read_plain_block(text)
    if plain is not None:
        return plain
    if _FastBase is not yaml.SafeLoader and not _MAYBE_ANCHOR_OR_ALIAS.search(text):
        return yaml.load(text, Loader=_FastLoader)  # noqa: S506 - safe loader subclass
    return yaml.load(text, Loader=_SafeNoAliasLoader)  # noqa: S506 - safe loader subclass


def split_front_matter(text: str) -> tuple[dict[str, Any], str, int]:
    """Split `---` YAML front matter from the body.

    Returns (metadata, body, body_start_line). A text without front matter
    gives ({}, text, 1). Raises FrontMatterError when the YAML is invalid or
    not a mapping.
    """
    match = FRONT_MATTER.match(text)
    if not match:
        return {}, text, 1
    try:
        data = _load_yaml(match.group(1))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
        where = f" (line {mark.line + 2})" if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error)
        raise FrontMatterError(f"front matter is not valid YAML{where}: {problem}") from None
    except RecursionError:
        raise FrontMatterError("front matter is nested too deeply") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise FrontMatterError("front matter must be a mapping of keys to values")
    body = text[match.end():]
    body_line = text.count("\n", 0, match.end()) + 1
    return data, body, body_line


def _as_date(value: Any) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            return dt.date.fromisoformat(text[:10])
        except ValueError:
            pass
    raise FrontMatterError(f"date: {value!r} is not a date in the form YYYY-MM-DD")


def _as_text(key: str, value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return str(value).strip()
    raise FrontMatterError(f"{key}: must be text, not {type(value).__name__}")


def _as_list(key: str, value: Any) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        return (value.strip(),) if value.strip() else ()
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in value):
        return tuple(str(v).strip() for v in value if str(v).strip())
    raise FrontMatterError(f"{key}: must be a list of names, not {type(value).__name__}")


def _as_sources(value: Any) -> tuple[SourceRef, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (SourceRef(value),)
    if not isinstance(value, list):
        raise FrontMatterError("sources: must be a list")
    refs: list[SourceRef] = []
    for item in value:
        if isinstance(item, str):
            refs.append(SourceRef(item))
        elif isinstance(item, dict) and isinstance(item.get("file"), str):
            lines = item.get("lines")
            span: tuple[int, int] | None = None
            if _is_span(lines):
                span = (lines[0], lines[1])
            refs.append(SourceRef(item["file"], span))
        else:
            raise FrontMatterError("sources: each item needs a 'file'")
    return tuple(refs)


def _as_confidence(value: Any) -> Mapping[str, float]:
    if not isinstance(value, dict):
        return {}
    return {
        str(k): float(v) for k, v in value.items()
        if isinstance(v, (int, float)) and not isinstance(v, bool)
    }


def entry_from_metadata(data: Mapping[str, Any], body: str) -> Entry:
    """Build an Entry from front matter values, validating every field.

    Raises FrontMatterError naming the first bad field; unknown keys are kept
    out of the Entry (a person may add their own notes).
    """
    errors: list[str] = []

    def attempt(fn: Any, *args: Any) -> Any:
        try:
            return fn(*args)
        except FrontMatterError as error:
            errors.append(str(error))
            return None

    title = attempt(_as_text, "title", data.get("title"))
    if not title:
        errors.append("title: missing or empty")
    kind = data.get("kind", ARTICLE) or ARTICLE
    if kind not in ENTRY_KINDS:
        errors.append(f"kind: must be one of {', '.join(ENTRY_KINDS)}, not {kind!r}")
    values = {key: attempt(_as_text, key, data.get(key)) for key in _TEXT_KEYS if key != "title"}
    lists = {key: attempt(_as_list, key, data.get(key)) for key in _LIST_KEYS}
    date = attempt(_as_date, data.get("date"))
    sources = attempt(_as_sources, data.get("sources", data.get("source")))
    if errors:
        raise FrontMatterError("; ".join(errors))
    return Entry(
        title=title or "",
        kind=kind,
        date=date,
        authors=lists["authors"] or (),
        publication=values["publication"] or None,
        summary=values["summary"] or "",
        tags=lists["tags"] or (),
        language=values["language"] or None,
        translator=values["translator"] or None,
        original_publication=values["original_publication"] or None,
        image_credit=values["image_credit"] or None,
        url=values["url"] or None,
        body=_entry_body(body),
        sources=sources or (),
        confidence=_as_confidence(data.get("confidence")),
        slug=values["slug"] or "",
    )


def _entry_body(body: str) -> str:
    return body.strip("\n") + "\n" if body.strip() else ""


def body_of(text: str) -> str:
    """The body of the entry parse_entry makes of `text`, its front matter not even read."""
    match = FRONT_MATTER.match(text)
    return _entry_body(text[match.end():] if match else text)


def parse_entry(text: str, path: str) -> tuple[Entry | None, Problem | None]:
    """Parse a front-mattered Markdown file into an Entry, or a Problem naming `path`."""
    try:
        data, body, _ = split_front_matter(text)
        if not data:
            raise FrontMatterError("no front matter: the file must start with '---' and a YAML block")
        return entry_from_metadata(data, body), None
    except FrontMatterError as error:
        return None, Problem(path, str(error))


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """Block-style YAML with readable Unicode and long lines kept whole."""


# Line breaks to YAML besides "\n": in a block or plain scalar the emitter writes them raw (a
# block could then end without "\n", running into the closing fence, and a plain or quoted
# scalar folds them into spaces on reading); a double-quoted scalar escapes them.
_OTHER_BREAKS = re.compile("[\r\x85\u2028\u2029]")


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = '"' if _OTHER_BREAKS.search(value) else "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_representer)


def metadata_of(entry: Entry) -> dict[str, Any]:
    """The front matter mapping for an entry, keys in canonical order, empties dropped."""
    data: dict[str, Any] = {
        "title": entry.title,
        "kind": entry.kind,
        "date": entry.date,
        "authors": list(entry.authors),
        "publication": entry.publication,
        "summary": entry.summary or None,
        "tags": list(entry.tags),
        "language": entry.language,
        "translator": entry.translator,
        "original_publication": entry.original_publication,
        "image_credit": entry.image_credit,
        "url": entry.url,
        "word_count": entry.word_count,
        "sources": [
            {"file": ref.file, "lines": list(ref.lines)} if ref.lines else {"file": ref.file}
            for ref in entry.sources
        ],
        "confidence": {k: round(v, 2) for k, v in sorted(entry.confidence.items())} or None,
    }
    # authors and tags stay even when empty: "nobody credited" is information.
    return {k: v for k, v in data.items() if v is not None and (v != [] or k in _LIST_KEYS)}


def dump_entry(entry: Entry) -> str:
    """The canonical front-mattered Markdown text of an entry (deterministic)."""
    metadata = metadata_of(entry)
    front = _plain_block(metadata)
    if front is None:
        front = yaml.dump(metadata, Dumper=_Dumper, allow_unicode=True, sort_keys=False,
                          width=100_000, default_flow_style=False)
        # After a text ending in blank lines (a "|+" block), PyYAML ends the document with "...":
        # FRONT_MATTER would take that for the closing fence, and the fence for the body's first
        # line. Our "---" ends the document as well.
        if front.endswith("\n...\n"):  # the marker's own line, not a value ending in "..."
            front = front[:-len("...\n")]
    body = entry.body.strip("\n")
    return f"---\n{front}---\n\n{body}\n" if body else f"---\n{front}---\n"


# Characters of a front matter field whose YAML round trip as_stored does not vouch for: line
# breaks other than "\n" (a file read back turns "\r" into one), the byte order mark and the
# other C0/C1 controls (escaped or refused by the emitter).
_UNVOUCHED = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff]")


def as_stored(entry: Entry) -> Entry | None:
    """What `parse_entry(dump_entry(entry))` gives, without writing the text and reading it back.

    A cold build stores thousands of drafts in content/ and loads them at once: parsing the
    texts it has just written cost it seconds. None where that is not known to hold (a field
    holding a character of `_UNVOUCHED` or a line break; a text that would not parse, such as
    an empty title): the caller parses, and reports what parsing finds. The strings of `entry`
    are kept, not copied, wherever parsing would give equal ones. A property test holds this
    equal to parsing (tests/unit/test_frontmatter_dump.py).
    """
    texts = (entry.title, entry.kind, entry.summary, *entry.authors, *entry.tags,
             *(ref.file for ref in entry.sources),
             *(value for value in (entry.publication, entry.language, entry.translator,
                                   entry.original_publication, entry.image_credit, entry.url)
               if value is not None))
    if (not all(type(text) is str for text in (*texts, entry.body))
            or (entry.date is not None and type(entry.date) is not dt.date)  # a datetime, a subclass
            or not _CONFIDENCE_KEYS.issuperset(entry.confidence)):
        return None  # not what the normalizer makes: parsing says what becomes of it
    # A field of several lines is a YAML block scalar, a very long one is folded: left to parsing
    # too. The body is not YAML: only the "\r" that reading the file back turns into "\n" counts.
    if "\r" in entry.body or any("\n" in text or len(text) > _MAX_PLAIN or _UNVOUCHED.search(text)
                                 for text in texts):
        return None
    title = entry.title.strip()
    kind = entry.kind or ARTICLE
    if not title or kind not in ENTRY_KINDS:
        return None
    return Entry(
        title=title, kind=kind, date=entry.date, authors=_stripped(entry.authors),
        publication=_text_or_none(entry.publication), summary=entry.summary.strip(), tags=_stripped(entry.tags),
        language=_text_or_none(entry.language), translator=_text_or_none(entry.translator),
        original_publication=_text_or_none(entry.original_publication),
        image_credit=_text_or_none(entry.image_credit), url=_text_or_none(entry.url),
        body=_stored_body(entry.body), sources=_stored_sources(entry.sources),
        confidence={key: float(round(value, 2)) for key, value in sorted(entry.confidence.items())},
    ).knowing_word_count(entry.counted_words)  # (stripping the body's blank lines leaves its words)


def _stored_body(body: str) -> str:
    """The body as parsing gives it back: one final newline, or nothing for a blank one (`body`
    itself when it is so already)."""
    text = body.strip("\n")
    if not text.strip():
        return ""
    return body if len(text) + 1 == len(body) and body[-1] == "\n" else text + "\n"


def _stored_sources(sources: tuple[SourceRef, ...]) -> tuple[SourceRef, ...]:
    """The sources as parsing gives them back: spans as (first, last) tuples of ints, or none
    (`sources` itself when they are so already)."""
    if type(sources) is tuple and all(ref.lines is None or (type(ref.lines) is tuple and _is_span(ref.lines))
                                      for ref in sources):
        return sources
    return tuple(SourceRef(ref.file, (ref.lines[0], ref.lines[1]) if _is_span(ref.lines) else None)
                 for ref in sources)


def _is_span(lines: object) -> TypeGuard[Sequence[int]]:
    """Whether `lines` is a (first, last) pair, as _as_sources reads it (ints: not yes/no)."""
    return isinstance(lines, (tuple, list)) and len(lines) == 2 and all(type(n) is int for n in lines)


# The confidence keys as_stored vouches for: the entry's field names, which the normalizer
# uses (others may be YAML words, or need quoting, which the fast writer does not do).
_CONFIDENCE_KEYS = frozenset(field.name for field in fields(Entry))


def _stripped(names: tuple[str, ...]) -> tuple[str, ...]:
    """_as_list of a dumped list of names."""
    return tuple(stripped for stripped in (name.strip() for name in names) if stripped)


def _text_or_none(value: str | None) -> str | None:
    """An optional text field as parsing gives it back: stripped, empty as None."""
    return (value.strip() or None) if value is not None else None


# --- the fast path of dump_entry ---------------------------------------------
#
# PyYAML's representer runs in Python and costs ~0.35 ms an entry: 12 s for the
# 34,000 drafts of a 10,000-page archive. Most front matter is short one-line
# strings that PyYAML writes plain (unquoted); for a mapping made only of those
# (and of lists, dates, ints and floats), `_plain_block` writes the very bytes
# yaml.dump would, and gives up (None) on anything else, which yaml.dump then
# writes. The conditions are a strict subset of PyYAML's emitter's rules
# (libyaml's yaml_emitter_analyze_scalar and select_scalar_style, Resolver.resolve); a property
# test checks the equality on generated entries.

_PLAIN_CHARACTERS = "[\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd]+\\Z"  # libyaml quotes astral ones


@functools.cache
def _plain_characters() -> re.Pattern[str]:
    # Compiled when first needed (milliseconds, for its wide ranges): ASCII text never needs it.
    return re.compile(_PLAIN_CHARACTERS)


def _all_plain_characters(value: str) -> bool:
    """_PLAIN_CHARACTERS matches the whole of `value` (ASCII text: all of it printable)."""
    if value.isascii():
        return value.isprintable() and value != ""
    return _plain_characters().match(value) is not None


_PLAIN_FIRST_NOT = frozenset("#,[]{}&*!|>'\"%@`?:- ")
_MAX_PLAIN = 2_000


def _resolves_to_string(value: str, resolvers: dict[Any, Any]) -> bool:
    return not any(regexp.match(value) for _, regexp in (*resolvers.get(value[0], ()), *resolvers.get(None, ())))


def _plain(value: str, resolvers: dict[Any, Any] | None = None) -> bool:
    """Whether yaml.dump surely writes `value` plain (as it is) in block context, and reading it
    back plain gives the string itself (with `resolvers`, the loader's; default: the dumper's)."""
    return (
        0 < len(value) <= _MAX_PLAIN
        and value[0] not in _PLAIN_FIRST_NOT
        and value[-1] not in " :"
        and not value.startswith("...")
        and ": " not in value
        and " #" not in value
        and _all_plain_characters(value)
        and _resolves_to_string(value, _Dumper.yaml_implicit_resolvers if resolvers is None else resolvers)
    )


def _scalar(value: object) -> str | None:
    if isinstance(value, str):
        return value if _plain(value) else None
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = repr(value)
        return text if "e" not in text and "n" not in text else None
    if type(value) is dt.date:
        return value.isoformat()
    return None


def _plain_block(data: Mapping[str, Any], indent: str = "") -> str | None:
    """yaml.dump(data) in our dumper's style when every scalar is one it writes plain, else None."""
    lines: list[str] = []
    for key, value in data.items():
        if isinstance(value, list):
            if not value:
                lines.append(f"{indent}{key}: []")
                continue
            lines.append(f"{indent}{key}:")
            for item in value:
                if isinstance(item, dict):
                    nested = _plain_block(item, indent + "  ")
                    if nested is None or not item:
                        return None
                    lines.append(f"{indent}- {nested[len(indent) + 2:]}".rstrip("\n"))
                    continue
                scalar = _scalar(item)
                if scalar is None:
                    return None
                lines.append(f"{indent}- {scalar}")
        elif isinstance(value, dict):
            if not value:
                return None
            nested = _plain_block(value, indent + "  ")
            if nested is None:
                return None
            lines.append(f"{indent}{key}:")
            lines.append(nested.rstrip("\n"))
        else:
            scalar = _scalar(value)
            if scalar is None:
                return None
            lines.append(f"{indent}{key}: {scalar}")
    return "\n".join(lines) + "\n"


# --- the fast path of reading front matter -------------------------------------
#
# The converse of `_plain_block`: front matter in the very shape dump_entry
# writes (plain scalars only, lists and mappings in PyYAML's block style) is
# read by hand, 10x faster than libyaml's loader plus PyYAML's constructor;
# any other line, scalar or shape gives None and the YAML loader reads it.

_KEY_LINE = re.compile(r"([a-z_]+):(?: (.*))?\Z")
_NESTED_KEY_LINE = re.compile(r"  ([a-z_]+):(?: (.*))?\Z")
_INT = re.compile(r"(?:0|[1-9][0-9]*)\Z")
_FLOAT = re.compile(r"[0-9]+\.[0-9]+\Z")


def _read_scalar(text: str) -> tuple[bool, Any]:
    """(ok, value) of a plain scalar as the loader resolves it; not ok when unsure."""
    if _INT.match(text):
        return True, int(text)
    if _FLOAT.match(text):
        return True, float(text)
    if _plain(text, _FastLoader.yaml_implicit_resolvers):
        return True, text
    return False, None


def _read_plain_block(text: str) -> dict[str, Any] | None:
    lines = text.split("\n")
    data: dict[str, Any] = {}
    index = 0
    while index < len(lines):
        match = _KEY_LINE.match(lines[index])
        if match is None or match.group(1) in data:
            return None
        key, rest = match.group(1), match.group(2)
        index += 1
        if rest == "[]":
            data[key] = []
        elif rest is not None:
            ok, value = _read_scalar(rest)
            if not ok:
                return None
            data[key] = value
        elif index < len(lines) and lines[index].startswith("- "):
            items: list[Any] = []
            while index < len(lines) and lines[index].startswith("- "):
                item = lines[index][2:]
                index += 1
                nested = _NESTED_KEY_LINE.match(f"  {item}")
                if nested is None:
                    ok, value = _read_scalar(item)
                    if not ok:
                        return None
                    items.append(value)
                    continue
                mapping, index = _read_indented(lines, index, [f"  {item}"])
                if mapping is None:
                    return None
                items.append(mapping)
            data[key] = items
        elif index < len(lines) and lines[index].startswith("  "):
            mapping, index = _read_indented(lines, index, [])
            if mapping is None:
                return None
            data[key] = mapping
        else:
            return None  # "key:" alone is null in YAML: rare enough to leave to the loader
    return data if data else None


def _read_indented(lines: list[str], index: int, block: list[str]) -> tuple[dict[str, Any] | None, int]:
    """The mapping indented by two spaces from lines[index] on (after `block`, its first lines
    when already taken), and the index of the first line after it."""
    while index < len(lines) and lines[index].startswith("  "):
        block.append(lines[index])
        index += 1
    return _read_nested(block), index


def _read_nested(block: list[str]) -> dict[str, Any] | None:
    """An indented mapping (two spaces) of scalars and of lists of scalars."""
    return _read_plain_block("\n".join(line[2:] for line in block)) if all(
        line.startswith("  ") and not line.startswith("   ") for line in block) else None
