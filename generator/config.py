"""archive.toml -> a frozen `Config`.

The schema is declared once, as the dataclasses below plus `_SCHEMA`; loading
checks every key against it and reports every problem at once, each with its
key and line, instead of stopping at the first. The file is optional: without
it every default applies.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .models import ENTRY_KINDS, SourceHints

CONFIG_NAME = "archive.toml"


class ConfigError(Exception):
    """archive.toml is invalid; the message lists every problem found."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        listing = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{path}: invalid configuration ({len(problems)} problem(s)):\n{listing}")


@dataclass(frozen=True)
class SiteConfig:
    """What the site says about itself."""

    title: str = "Static Archive"
    """Name shown in the header, feeds and page titles."""
    description: str = "An archive of articles."
    """One-line description for the home page, feeds and search engines."""
    language: str = "en"
    """Default language (ISO 639-1) of the site and of entries that do not say."""
    base_url: str = "http://localhost:8000/"
    """Absolute address the site will be served from, with a trailing slash."""
    theme: str = "default"
    """Theme name (a directory under paths.themes) or a path to a theme directory."""
    per_page: int = 20
    """Entries per page on every paginated list."""
    author: str = ""
    """Who runs the archive (feeds need an author)."""


@dataclass(frozen=True)
class PathsConfig:
    """Where things are, relative to the directory holding archive.toml."""

    sources: str = "seeds"
    """The documents to normalize."""
    content: str = "content"
    """The normalized, human-editable Markdown entries."""
    output: str = "site"
    """Where the built website goes."""
    themes: str = "themes"
    """Directory holding theme directories."""
    cache: str = ".archive-cache"
    """Build cache (never committed)."""


@dataclass(frozen=True)
class NormalizeConfig:
    """Knobs of the normalizer that are knowledge about the user's material."""

    vocabulary: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Tag -> keywords: an entry whose text mentions a keyword gets the tag."""
    noise: tuple[str, ...] = ()
    """Extra lines (exact text) that are page furniture and never body text."""
    publications: Mapping[str, str] = field(default_factory=dict)
    """Text that identifies a publication on a page (e.g. a domain) -> its name."""


@dataclass(frozen=True)
class Config:
    """The whole configuration, with paths resolved against `root`."""

    root: Path = field(default_factory=Path.cwd)
    """Directory that holds archive.toml; relative paths start here."""
    site: SiteConfig = field(default_factory=SiteConfig)
    """Site identity and paging."""
    paths: PathsConfig = field(default_factory=PathsConfig)
    """Locations of sources, content, output, themes and cache."""
    normalize: NormalizeConfig = field(default_factory=NormalizeConfig)
    """Normalizer knowledge the user can edit."""
    sources: Mapping[str, SourceHints] = field(default_factory=dict)
    """Per-source overrides, keyed by path relative to the sources directory."""
    config_file: Path | None = None
    """The file this configuration was read from (None: defaults, no file)."""

    @property
    def sources_dir(self) -> Path:
        return self.root / self.paths.sources

    @property
    def content_dir(self) -> Path:
        return self.root / self.paths.content

    @property
    def output_dir(self) -> Path:
        return self.root / self.paths.output

    @property
    def cache_dir(self) -> Path:
        return self.root / self.paths.cache

    @property
    def theme_dirs(self) -> tuple[Path, ...]:
        """The theme chain, most specific first; the built-in default is always last."""
        chain: list[Path] = []
        candidate = Path(self.site.theme)
        if not candidate.is_absolute():
            by_name = self.root / self.paths.themes / self.site.theme
            candidate = by_name if by_name.is_dir() else self.root / candidate
        chain.append(candidate)
        default = DEFAULT_THEME_DIR
        project_default = self.root / self.paths.themes / "default"
        for extra in (project_default, default):
            if extra.is_dir() and all(extra.resolve() != c.resolve() for c in chain if c.exists()):
                chain.append(extra)
        return tuple(c for c in chain if c.is_dir()) or (default,)

    def hints_for(self, source_path: str) -> SourceHints:
        """The user's overrides for one source (empty hints when none)."""
        return self.sources.get(source_path, SourceHints())


# The theme that ships with the tool: themes/default next to the package when
# run from a checkout, else the copy installed with the package.
_PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_THEME_DIR = (
    _PACKAGE_DIR.parent / "themes" / "default"
    if (_PACKAGE_DIR.parent / "themes" / "default").is_dir()
    else _PACKAGE_DIR / "themes" / "default"
)

# key -> expected type, per table. The dataclass defaults above are the defaults.
_SCHEMA: dict[str, dict[str, type | tuple[type, ...]]] = {
    "site": {
        "title": str, "description": str, "language": str, "base_url": str,
        "theme": str, "per_page": int, "author": str,
    },
    "paths": {"sources": str, "content": str, "output": str, "themes": str, "cache": str},
    "normalize": {"vocabulary": dict, "noise": list, "publications": dict},
}
_SOURCE_KEYS: dict[str, type] = {
    "publication": str, "url": str, "language": str, "tags": list,
    "split": list, "kind": str, "authors": list,
}
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")


class _LineFinder:
    """Finds the line of a key in TOML text, for error messages.

    tomllib keeps no positions, so this scans for table headers and
    `key =` lines; good enough to point a person at the right place.
    """

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()

    def find(self, table: str, key: str | None = None) -> int | None:
        if table == "" and key is not None:  # a top-level key may be a table header
            header = self.find(key)
            if header is not None:
                return header
        in_table = table == ""
        header_line: int | None = None
        for number, raw in enumerate(self.lines, start=1):
            line = raw.strip()
            if line.startswith("["):
                name = line.strip("[]").strip()
                in_table = _norm_table(name) == _norm_table(table)
                if in_table and header_line is None:
                    header_line = number
                    if key is None:
                        return number
                continue
            if in_table and key is not None:
                match = re.match(r'^("?)(.+?)\1\s*=', line)
                if match and match.group(2).strip() == key:
                    return number
        return header_line


def _norm_table(name: str) -> str:
    return re.sub(r'\s*\.\s*', ".", name.replace('"', "").replace("'", ""))


def _type_name(expected: type | tuple[type, ...]) -> str:
    names = {str: "a string", int: "an integer", list: "a list", dict: "a table"}
    if isinstance(expected, tuple):
        return " or ".join(names.get(t, t.__name__) for t in expected)
    return names.get(expected, expected.__name__)


def output_overlaps(root: Path, paths: PathsConfig) -> list[str]:
    """Why `paths.output` may not be used, if it may not.

    A build replaces the output directory whole (and deletes the previous one),
    so it must be a directory of its own: never the project, a directory above
    it, or one holding (or inside) the sources, content, themes or cache.
    """
    output = (root / paths.output).resolve()
    if output == Path(output.anchor) or root.resolve().is_relative_to(output):
        return [(f"{paths.output!r} is the project directory or above it; the build replaces the output "
                 "directory whole, so it must be a directory of its own such as 'site'")]
    problems = []
    for name in ("sources", "content", "themes", "cache"):
        other = (root / getattr(paths, name)).resolve()
        if output == other or output.is_relative_to(other) or other.is_relative_to(output):
            problems.append(f"{paths.output!r} overlaps paths.{name} ({getattr(paths, name)!r}); the build "
                            "replaces the output directory whole, so it must be a directory of its own")
    return problems


def parse_config(text: str, path: Path, root: Path | None = None) -> Config:
    """Parse archive.toml text into a Config, or raise ConfigError listing every problem."""
    root = root if root is not None else path.parent
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(path, [f"not valid TOML: {error}"]) from None
    finder = _LineFinder(text)
    problems: list[str] = []

    def problem(table: str, key: str | None, message: str) -> None:
        line = finder.find(table, key)
        where = f"line {line}: " if line else ""
        dotted = f"{table}.{key}" if key and table else (key or table)
        problems.append(f"{where}{dotted}: {message}")

    values: dict[str, dict[str, Any]] = {}
    for table, table_value in data.items():
        if table == "sources":
            continue
        if table not in _SCHEMA:
            problem("", table, f"unknown key (expected one of: {', '.join([*_SCHEMA, 'sources'])})")
            continue
        if not isinstance(table_value, dict):
            problem("", table, "must be a table")
            continue
        values[table] = {}
        for key, value in table_value.items():
            expected = _SCHEMA[table].get(key)
            if expected is None:
                problem(table, key, f"unknown key (expected one of: {', '.join(_SCHEMA[table])})")
            elif isinstance(value, bool) or not isinstance(value, expected):
                problem(table, key, f"must be {_type_name(expected)}, not {type(value).__name__}")
            else:
                values[table][key] = value

    site_values = values.get("site", {})
    if "per_page" in site_values and not 1 <= site_values["per_page"] <= 1000:
        problem("site", "per_page", "must be between 1 and 1000")
    if "language" in site_values and not _LANGUAGE.match(site_values["language"]):
        problem("site", "language", "must be a language code such as 'en' or 'pt-BR'")
    if "base_url" in site_values:
        base = site_values["base_url"]
        if not re.match(r"^(https?://[^/\s]+)?/", base if "://" in base else "/" + base.lstrip("/")) or " " in base:
            problem("site", "base_url", "must be an absolute http(s) URL such as 'https://example.org/archive/'")
        elif not base.endswith("/"):
            site_values["base_url"] = base + "/"

    normalize_values = values.get("normalize", {})
    vocabulary: dict[str, tuple[str, ...]] = {}
    for tag, keywords in normalize_values.get("vocabulary", {}).items():
        if not isinstance(keywords, list) or not all(isinstance(k, str) for k in keywords):
            problem("normalize.vocabulary", tag, "must be a list of keyword strings")
        else:
            vocabulary[tag] = tuple(keywords)
    noise = normalize_values.get("noise", [])
    if not all(isinstance(n, str) for n in noise):
        problem("normalize", "noise", "must be a list of strings")
        noise = []
    publications = normalize_values.get("publications", {})
    if not all(isinstance(v, str) for v in publications.values()):
        problem("normalize", "publications", "values must be publication names (strings)")
        publications = {}

    sources: dict[str, SourceHints] = {}
    raw_sources = data.get("sources", {})
    if not isinstance(raw_sources, dict):
        problem("", "sources", "must be a table of per-source tables")
        raw_sources = {}
    for name, hints in raw_sources.items():
        table = f"sources.{name}"
        if not isinstance(hints, dict):
            problem("sources", name, "must be a table")
            continue
        ok = True
        for key, value in hints.items():
            expected_type = _SOURCE_KEYS.get(key)
            if expected_type is None:
                problem(table, key, f"unknown key (expected one of: {', '.join(_SOURCE_KEYS)})")
                ok = False
            elif not isinstance(value, expected_type):
                problem(table, key, f"must be {_type_name(expected_type)}, not {type(value).__name__}")
                ok = False
            elif isinstance(value, list) and not all(isinstance(v, str) for v in value):
                problem(table, key, "must be a list of strings")
                ok = False
        if hints.get("kind") not in (None, *ENTRY_KINDS):
            problem(table, "kind", f"must be one of {', '.join(ENTRY_KINDS)}")
            ok = False
        if isinstance(hints.get("language"), str) and not _LANGUAGE.match(hints["language"]):
            problem(table, "language", "must be a language code such as 'en'")
            ok = False
        if ok:
            sources[name] = SourceHints(
                publication=hints.get("publication"),
                url=hints.get("url"),
                language=hints.get("language"),
                tags=tuple(hints.get("tags", ())),
                split=tuple(hints.get("split", ())),
                kind=hints.get("kind"),
                authors=tuple(hints.get("authors", ())),
            )

    if not problems:
        for message in output_overlaps(root, PathsConfig(**values.get("paths", {}))):
            problem("paths", "output", message)
    if problems:
        raise ConfigError(path, problems)
    return Config(
        root=root,
        config_file=path.absolute(),
        site=SiteConfig(**values.get("site", {})),
        paths=PathsConfig(**values.get("paths", {})),
        normalize=NormalizeConfig(
            vocabulary=vocabulary, noise=tuple(noise), publications=dict(publications)
        ),
        sources=sources,
    )


def load_config(path: Path | None = None, root: Path | None = None) -> Config:
    """Read archive.toml (when it exists) into a Config.

    `path` defaults to archive.toml in `root` (default: the current directory);
    a missing default file means "all defaults", a missing explicit file is an error.
    """
    if path is None:
        base = root if root is not None else Path.cwd()
        path = base / CONFIG_NAME
        if not path.exists():
            return Config(root=base.resolve())
    if not path.is_file():
        raise ConfigError(path, ["file not found"])
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(path, [f"cannot read: {error}"]) from None
    return parse_config(text, path, root=(root or path.parent).resolve())
