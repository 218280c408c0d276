"""Entries -> taxonomies (tags, authors, publications, years, months), pure.

One generic `Taxonomy` of `Term`s serves every way of grouping entries; what
differs between tags and authors is only which values an entry contributes
(`values_of`). Terms hold entry *keys* (the entry's content path), never
copies of entries, in the archive's one deterministic order (`sort_key`).

Names are compared after Unicode NFC and whitespace folding, so "Left  Voice"
and "Left Voice" are one term. Different names that slugify alike ("Ríos" and
"Rios") stay different terms: the name that sorts first gets the plain slug,
the next ones "-2", "-3" ..., and a warning says so.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from .models import Entry, Problem, Severity
from .urls import slugify

MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June", "July",
    "August", "September", "October", "November", "December",
)


def entry_key(entry: Entry) -> str:
    """The key terms use to refer to an entry: its content path (unique)."""
    return entry.path or f"{entry.slug}.md"


def sort_key(entry: Entry) -> tuple[int, int, str, str]:
    """Newest first, undated last, then title (case-folded), then path."""
    if entry.date is None:
        return (1, 0, entry.title.casefold(), entry_key(entry))
    return (0, -entry.date.toordinal(), entry.title.casefold(), entry_key(entry))


def sort_entries(entries: Iterable[Entry]) -> tuple[Entry, ...]:
    """Entries in the archive's order (see `sort_key`)."""
    return tuple(sorted(entries, key=sort_key))


def normalize_name(name: str) -> str:
    """NFC with runs of whitespace folded to one space, trimmed."""
    return " ".join(unicodedata.normalize("NFC", name).split())


@dataclass(frozen=True)
class Term:
    """One value of a taxonomy (a tag, an author, a month ...) and its entries."""

    name: str
    """The display name, e.g. "Elena Zeledon" or "March 2019"."""
    slug: str
    """URL segment(s) under the taxonomy's base, unique within the taxonomy."""
    keys: tuple[str, ...]
    """Keys (`entry_key`) of the entries under this term, in archive order."""

    @property
    def count(self) -> int:
        """How many entries carry this term."""
        return len(self.keys)


@dataclass(frozen=True)
class Taxonomy:
    """A named grouping of entries: all of its terms, sorted for display."""

    kind: str
    """Plural identifier used in URLs and templates: "tags", "authors" ..."""
    singular: str
    """Singular identifier ("tag", "author" ...), e.g. to pick a template."""
    terms: tuple[Term, ...]
    """Every term, in display order (by name, or by date for dates)."""

    def by_slug(self) -> Mapping[str, Term]:
        """Terms keyed by slug."""
        return {term.slug: term for term in self.terms}

    def by_name(self) -> Mapping[str, Term]:
        """Terms keyed by normalized name."""
        return {term.name: term for term in self.terms}


def build_taxonomy(
    kind: str,
    singular: str,
    entries: Sequence[Entry],
    values_of: Callable[[Entry], Iterable[str]],
) -> tuple[Taxonomy, tuple[Problem, ...]]:
    """Group `entries` by the names `values_of` gives each; terms sorted by name.

    Returns the taxonomy and a warning per slug collision resolved.
    """
    ordered = sort_entries(entries)
    members: dict[str, list[str]] = {}
    for entry in ordered:
        seen: set[str] = set()
        for raw in values_of(entry):
            name = normalize_name(raw)
            if not name or name in seen:
                continue
            seen.add(name)
            members.setdefault(name, []).append(entry_key(entry))
    names = sorted(members, key=lambda n: (n.casefold(), n))
    slugs = assign_slugs(names, fallback=singular)
    problems = tuple(
        Problem(
            path=f"{kind}/{slugs[name]}",
            message=f"{singular} {name!r} has the same URL name as another {singular}; "
            f"using {slugs[name]!r}",
            severity=Severity.WARNING,
        )
        for name in names
        if slugs[name] != slugify(name, fallback=singular)
    )
    terms = tuple(Term(name=name, slug=slugs[name], keys=tuple(members[name])) for name in names)
    return Taxonomy(kind=kind, singular=singular, terms=terms), problems


def assign_slugs(names: Sequence[str], fallback: str = "term") -> dict[str, str]:
    """Unique slugs for `names`, deterministically: earlier names win the plain slug."""
    taken: set[str] = set()
    result: dict[str, str] = {}
    for name in names:
        base = slugify(name, fallback=fallback)
        slug, number = base, 1
        while slug in taken:
            number += 1
            slug = f"{base}-{number}"
        taken.add(slug)
        result[name] = slug
    return result


def month_name(year: int, month: int) -> str:
    """"March 2019", in English regardless of the process locale."""
    return f"{MONTH_NAMES[month - 1]} {year}"


def format_date(date: dt.date) -> str:
    """"13 March 2019", explicitly (no locale)."""
    return f"{date.day} {MONTH_NAMES[date.month - 1]} {date.year}"


def build_date_taxonomies(entries: Sequence[Entry]) -> tuple[Taxonomy, Taxonomy]:
    """Years ("2019", slug "2019") and months ("March 2019", slug "2019/03").

    Sorted newest first; undated entries belong to neither.
    """
    ordered = sort_entries(entries)
    years: dict[int, list[str]] = {}
    months: dict[tuple[int, int], list[str]] = {}
    for entry in ordered:
        if entry.date is None:
            continue
        years.setdefault(entry.date.year, []).append(entry_key(entry))
        months.setdefault((entry.date.year, entry.date.month), []).append(entry_key(entry))
    year_terms = tuple(
        Term(name=str(year), slug=f"{year:04d}", keys=tuple(keys))
        for year, keys in sorted(years.items(), reverse=True)
    )
    month_terms = tuple(
        Term(name=month_name(y, m), slug=f"{y:04d}/{m:02d}", keys=tuple(keys))
        for (y, m), keys in sorted(months.items(), reverse=True)
    )
    return Taxonomy("years", "year", year_terms), Taxonomy("months", "month", month_terms)
