"""The content/ store: normalized entries as Markdown files a person may edit.

The normalizer's drafts become files here, and the renderer reads its entries
back from here, so a person's correction is simply an edit of a file. The
store keeps a manifest (`content/.archive-manifest.json`) of every file it
generated: its path, the hash of the text it wrote, and the sources (with
their digests) it came from. That is how it tells a person's edit from its
own output:

- a file whose hash differs from the manifest's was edited by a person: it is
  never overwritten, and is reported when its source has changed since;
- a file the manifest does not know was added by a person: an entry like any
  other, never touched;
- a generated file whose source is gone is deleted, unless it was edited
  (then it stays, with a warning); a generated file a person deleted is not
  brought back.

Planning (`plan_content`) is pure; `apply_plan` commits the plan with a
journal so that a kill at any moment leaves either the old or the new state:
new texts are first written next to their targets, the journal naming them is
written atomically, then files are renamed into place and the manifest
replaced; an interrupted commit is rolled forward by the next run.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import posixpath
import stat
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .frontmatter import as_stored, body_of, dump_entry, parse_entry
from .ingest import project_files
from .models import Entry, Problem, Severity, SourceDocument
from .parallel import in_threads, parallel_map
from .urls import content_path_for, safe_relative, slugify
from .write import write_file

MANIFEST_NAME = ".archive-manifest.json"
JOURNAL_NAME = ".archive-journal.json"
MANIFEST_VERSION = 1
PARALLEL_DUMPS = 1_000
"""Drafts to write out (or files to parse) before worker processes pay for themselves."""


def text_hash(text: str) -> str:
    """The hash the manifest records for a file's text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class ChangedWhileBuilding(Exception):
    """A content file's text is not what it was when the build listed it."""

    def __init__(self, location: str) -> None:
        super().__init__(f"{location} changed while the site was being built; build again")
        self.filename = location  # (what the build names as the failed rendering's place)


def stored_body(location: str, version: str) -> str:
    """The body of the entry parsed from the content file at `location` when its text had hash
    `version` (an entry the build cache kept without its body: see Entry.kept)."""
    with open(location, encoding="utf-8") as handle:  # (as entry_of_file reads it)
        text = handle.read()
    if text_hash(text) != version:
        raise ChangedWhileBuilding(location)
    return body_of(text)


@dataclass(frozen=True)
class ManifestRecord:
    """What the store knows of one file it generated."""

    path: str
    """Path relative to content/."""
    identity: str
    """Stable key of the entry (first source + folded title): keeps its path stable."""
    hash: str
    """Hash of the text the store last wrote there."""
    sources: Mapping[str, str]
    """Source file (project-relative) -> digest of the source when the text was written."""


@dataclass(frozen=True)
class Manifest:
    """Every file the store generated, by path."""

    records: Mapping[str, ManifestRecord] = field(default_factory=dict)

    def by_identity(self) -> dict[str, ManifestRecord]:
        return {record.identity: record for record in self.records.values()}

    def to_json(self) -> str:
        return self._json

    @functools.cached_property
    def _json(self) -> str:
        # Asked for twice by a sync that writes (the commit, the next fingerprint): made once.
        # The text json.dumps(..., indent=1, ensure_ascii=False) gives, written out here because
        # json's indenting encoder is pure Python (half a second at 10,000 files), while each
        # string is quoted by its C function.
        quote = _quote_json
        files = [
            (path, _json_object([("identity", quote(r.identity)), ("hash", quote(r.hash)),
                                 ("sources", _json_object([(k, quote(v)) for k, v in sorted(r.sources.items())],
                                                          "   "))], "  "))
            for path, r in sorted(self.records.items())
        ]
        return _json_object([("version", str(MANIFEST_VERSION)), ("files", _json_object(files, " "))], "") + "\n"

    @staticmethod
    def from_json(text: str) -> Manifest:
        data = json.loads(text)
        records: dict[str, ManifestRecord] = {}
        for path, item in data.get("files", {}).items():
            records[path] = ManifestRecord(
                path=path, identity=str(item["identity"]), hash=str(item["hash"]),
                sources={str(k): str(v) for k, v in item.get("sources", {}).items()},
            )
        return Manifest(records)


_quote_json: Callable[[str], str] = json.encoder.encode_basestring
"""A JSON string literal, non-ASCII kept (json.dumps(text, ensure_ascii=False), without its overhead)."""


def _json_object(members: Sequence[tuple[str, str]], indent: str) -> str:
    """An object of (key, value already as JSON) members, as json.dumps with indent=1 lays out
    one whose closing brace is at `indent`."""
    if not members:
        return "{}"
    inner = ",\n".join(f"{indent} {_quote_json(key)}: {value}" for key, value in members)
    return f"{{\n{inner}\n{indent}}}"


@dataclass(frozen=True)
class ContentPlan:
    """What syncing the drafts into content/ will change, and what it noticed."""

    writes: Mapping[str, str]
    """Path -> new text, for files to create or update."""
    deletes: tuple[str, ...]
    """Generated files to remove (their entries are gone from the sources)."""
    manifest: Manifest | None
    """The manifest after the plan is applied; None in a replayed plan (see sync_content),
    whose manifest is already the one on disk."""
    unchanged: int
    """Generated files already up to date."""
    kept_edits: tuple[str, ...]
    """Files edited by a person that the store left alone."""
    problems: tuple[Problem, ...]
    """Warnings for the user: stale edits, kept orphans, respected deletions."""
    settled: frozenset[str] = frozenset()
    """Paths whose new manifest record is the hash of their draft's text (written or unchanged)."""
    written_drafts: Mapping[str, Entry] = field(default_factory=dict)
    """Path -> the draft whose text `writes` holds (its slug and path set): loading can take
    `frontmatter.as_stored` of it instead of parsing the text back."""
    written_hashes: Mapping[str, str] = field(default_factory=dict)
    """Path -> text_hash of the text `writes` holds."""

    def replayed(self) -> ContentPlan:
        """This plan as a sync of the same drafts right after it sees it: nothing to write."""
        return replace(self, writes={}, deletes=(), manifest=None, unchanged=self.unchanged + len(self.writes),
                       written_drafts={}, written_hashes={})


def entry_identity(entry: Entry) -> str:
    """A key that survives re-normalization: the first source plus the folded title."""
    first = entry.sources[0].file if entry.sources else ""
    title = unicodedata.normalize("NFKC", entry.title).casefold()
    return f"{first}#{' '.join(title.split())}"


def plan_content(
    drafts: Sequence[Entry],
    manifest: Manifest,
    existing: Mapping[str, str],
    source_digests: Mapping[str, str],
    unreadable_sources: Iterable[str] = (),
    content_label: str = "content",
    settled: frozenset[str] = frozenset(),
    jobs: int | None = None,
) -> ContentPlan:
    """Decide which content files to write, keep and delete. Pure.

    `existing` maps every Markdown file now in content/ to its text hash;
    `source_digests` maps each source read this run (project-relative path) to
    its digest; entries of `unreadable_sources` (sources that failed this run)
    are kept, not deleted, so one broken read never loses entries.
    `settled`: paths whose manifest record holds the hash of these very drafts'
    text (`ContentPlan.settled` of a plan made from the same drafts, whose
    manifest this is): a draft there needs no writing out to know its hash.
    `jobs`: processes to write drafts out in (see parallel_map; default: one per core).
    """
    problems: list[Problem] = []
    writes: dict[str, str] = {}
    written_drafts: dict[str, Entry] = {}
    written_hashes: dict[str, str] = {}
    kept_edits: list[str] = []
    unchanged = 0
    records: dict[str, ManifestRecord] = {}
    fresh: list[str] = []
    previous_by_identity = manifest.by_identity()
    taken_slugs = {_stem(path) for path in existing} | {_stem(p) for p in manifest.records}
    failed = set(unreadable_sources)

    def label(path: str) -> str:
        return f"{content_label}/{path}"

    ordered = sorted(drafts, key=lambda e: (entry_identity(e), e.sources[0].lines if e.sources and e.sources[0].lines else (0, 0)))
    seen_identities: set[str] = set()
    placements: list[tuple[Entry, str, ManifestRecord | None, str]] = []  # draft (at its path), identity, record, path
    for draft in ordered:
        identity = entry_identity(draft)
        if identity in seen_identities:  # two drafts of one title in one source: keep them apart
            n = 2
            while f"{identity}#{n}" in seen_identities:
                n += 1
            identity = f"{identity}#{n}"
        seen_identities.add(identity)
        previous = previous_by_identity.get(identity)
        if previous is not None:
            path = previous.path
        else:
            slug = _unique_slug(slugify(draft.title), draft, taken_slugs)
            taken_slugs.add(slug)
            path = content_path_for(draft, slug)
        placements.append((draft.placed(_stem(path), path), identity, previous, path))
    # Writing drafts out is most of a first sync's time (thousands of them): spread over the cores
    # (unless the caller keeps them busy otherwise: see `jobs`).
    todo = [draft for draft, _, previous, path in placements if previous is None or path not in settled]
    dumped = iter(parallel_map(dump_entry, todo, jobs, minimum=PARALLEL_DUMPS))
    for draft, identity, previous, path in placements:
        if previous is not None and path in settled:
            text, new_hash = None, previous.hash
        else:
            text = next(dumped)
            new_hash = text_hash(text)
        sources = {ref.file: source_digests.get(ref.file, "") for ref in draft.sources}
        current_hash = existing.get(path)
        if previous is not None and current_hash is None:
            # The store wrote it and a person deleted it: respect that.
            problems.append(Problem(label(path), "was deleted by hand; not regenerated "
                                    f"(remove its line from {MANIFEST_NAME} to get it back)", Severity.NOTICE))
            records[path] = previous
            continue
        if previous is not None and current_hash != previous.hash:
            kept_edits.append(path)
            records[path] = previous
            if any(previous.sources.get(f) not in (None, d) for f, d in sources.items()):
                changed = ", ".join(f for f, d in sources.items() if previous.sources.get(f) not in (None, d))
                problems.append(Problem(label(path), f"edited by hand, kept; its source {changed} "
                                        "has changed since: review the new normalization "
                                        "with `archive check`", Severity.WARNING))
            continue
        if previous is None and current_hash is not None:
            # A person's own file already sits at this path: never overwrite it.
            kept_edits.append(path)
            continue
        records[path] = ManifestRecord(path, identity, new_hash, sources)
        fresh.append(path)
        if current_hash == new_hash:
            unchanged += 1
        else:
            writes[path] = text if text is not None else dump_entry(draft)
            written_drafts[path], written_hashes[path] = draft, new_hash

    produced = set(records)
    deletes: list[str] = []
    for path, record in sorted(manifest.records.items()):
        if path in produced:
            continue
        if any(source in failed for source in record.sources):
            records[path] = record  # its source failed to read this time: keep everything
            continue
        current_hash = existing.get(path)
        if current_hash is None:
            continue  # already gone
        if current_hash == record.hash:
            deletes.append(path)
        else:
            records[path] = record
            kept_edits.append(path)
            problems.append(Problem(label(path), "edited by hand, kept although its source no longer "
                                    "yields it (delete the file if it should go)", Severity.WARNING))
    return ContentPlan(
        writes=writes, deletes=tuple(deletes), manifest=Manifest(records), unchanged=unchanged,
        kept_edits=tuple(sorted(set(kept_edits))), problems=tuple(problems), settled=frozenset(fresh),
        written_drafts=written_drafts, written_hashes=written_hashes,
    )


def _stem(path: str) -> str:
    """Path(path).stem, without building a Path (thousands per build)."""
    return posixpath.splitext(posixpath.basename(path))[0]


def _unique_slug(base: str, draft: Entry, taken: set[str]) -> str:
    """`base`, or base plus the date, or base plus a counter: first one free."""
    if base not in taken:
        return base
    if draft.date is not None:
        dated = f"{base}-{draft.date.isoformat()}"
        if dated not in taken:
            return dated
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


# --- the edges: reading and committing -------------------------------------


StatCache = dict[str, tuple[int, int, str]]
"""Relative path -> (size, mtime_ns, text hash) of content files seen by an earlier run."""


@dataclass(frozen=True)
class ContentFile:
    """A Markdown file found in content/, with the stat that tells whether it changed."""

    relative: str
    """Path relative to content/, with "/" separators."""
    location: str
    """The file's path as os.scandir gave it (a Path per file costs more than the walk)."""
    size: int
    mtime_ns: int

    @property
    def path(self) -> Path:
        return Path(self.location)


def note_written(stat_cache: StatCache, listing: Sequence[ContentFile], plan: ContentPlan) -> None:
    """Put the files `plan` just wrote (as `listing`, made after it, stats them) into `stat_cache`
    with their manifest hash: they need not be read back to know it."""
    records = plan.manifest.records if plan.manifest is not None else {}
    for listed in listing:
        if listed.relative in plan.writes and (record := records.get(listed.relative)) is not None:
            stat_cache[listed.relative] = (listed.size, listed.mtime_ns, record.hash)


def list_content(content_dir: Path, sweep: bool = False) -> list[ContentFile]:
    """Every Markdown file under content/, hidden files and folders skipped, in path order.

    One os.scandir walk: the stat comes with the directory entry, which keeps a
    rebuild of 10,000 entries from spending half a second in pathlib. Like
    Path.rglob, symlinked folders are not entered (no loops); symlinked files are read.
    `sweep`: the walk also deletes the temporary files of an uncommitted sync
    (as `recover` does; call recover(sweep=False) first to roll a committed one forward).
    """
    found: list[ContentFile] = []

    def leftover(item: os.DirEntry[str]) -> None:
        if sweep and item.name.endswith(".new") and item.is_file(follow_symlinks=False):
            os.unlink(item.path)

    for relative, item in project_files(content_dir, on_hidden=leftover):
        if not item.name.endswith(".md"):
            continue
        try:
            if item.is_file():
                info = item.stat()
                found.append(ContentFile(relative, item.path, info.st_size, info.st_mtime_ns))
        except OSError:
            continue
    return _in_path_order(found)


def _in_path_order(files: Iterable[ContentFile]) -> list[ContentFile]:
    """Folder by folder, as Path ordering sorts ("a/b.md" before "a-b.md")."""
    return sorted(files, key=lambda file: file.relative.split("/"))


def patch_listing(listing: Sequence[ContentFile], content_dir: Path,
                  changed: Iterable[Path]) -> list[ContentFile] | None:
    """`listing` brought up to date with the files in `changed` (absolute paths); None when a
    change cannot be applied file by file (a folder, say) and content/ must be listed again."""
    by_path = {file.relative: file for file in listing}
    for path in changed:
        try:
            relative = path.relative_to(content_dir).as_posix()
        except ValueError:
            continue  # not in content/
        parts = relative.split("/")
        if any(part.startswith(".") for part in parts):
            continue
        if not relative.endswith(".md"):
            if path.is_dir() or any(known.startswith(f"{relative}/") for known in by_path):
                return None
            continue
        try:
            info = os.stat(path)
        except FileNotFoundError:
            by_path.pop(relative, None)
            continue
        except OSError:
            return None
        if not stat.S_ISREG(info.st_mode):
            return None
        by_path[relative] = ContentFile(relative, str(path), info.st_size, info.st_mtime_ns)
    return _in_path_order(by_path.values())


def scan_content(content_dir: Path, stat_cache: StatCache | None = None,
                 files: Sequence[ContentFile] | None = None) -> dict[str, str]:
    """Every Markdown file in content/ (relative path -> text hash), hidden ones skipped.

    With `stat_cache`, a file whose size and modification time are unchanged is
    not read again (as make does); the cache is updated in place. `files` is
    the listing when the caller has it already.
    """
    found: dict[str, str] = {}
    fresh: StatCache = {}
    for file in list_content(content_dir) if files is None else files:
        relative = file.relative
        known = stat_cache.get(relative) if stat_cache is not None else None
        if known is not None and known[0] == file.size and known[1] == file.mtime_ns:
            digest = known[2]
        else:
            try:
                with open(file.location, encoding="utf-8") as handle:
                    digest = text_hash(handle.read())
            except (OSError, UnicodeDecodeError):
                digest = "unreadable"
        found[relative] = digest
        fresh[relative] = (file.size, file.mtime_ns, digest)
    if stat_cache is not None:
        stat_cache.clear()
        stat_cache.update(fresh)
    return found


def read_manifest(content_dir: Path) -> tuple[Manifest, list[Problem]]:
    """The store's manifest (empty when none), after finishing any interrupted commit."""
    recover(content_dir)
    return _parse_manifest(content_dir, _manifest_text(content_dir))


def _manifest_text(content_dir: Path) -> str | None:
    try:
        return (content_dir / MANIFEST_NAME).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError):
        return "\x00unreadable"  # parsed below into the warning


def _parse_manifest(content_dir: Path, text: str | None) -> tuple[Manifest, list[Problem]]:
    if text is None:
        return Manifest(), []
    try:
        return Manifest.from_json(text), []
    except (ValueError, KeyError, TypeError) as error:
        return Manifest(), [Problem(str(content_dir / MANIFEST_NAME),
                                    f"unreadable manifest, treating every file as hand-made: {error}",
                                    Severity.WARNING)]


def _write(path: Path, data: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_text(path, data)


def _write_text(path: str | Path, data: str) -> None:
    """`data` as the file's UTF-8 text, "\n" line ends kept as they are (its folder exists;
    a first sync writes thousands of files)."""
    write_file(path, data.encode("utf-8"), os.O_TRUNC, 0o666)


STAGING_WRITERS = 4
"""Threads that write a plan's files: the time is the kernel's, which threads overlap."""
STAGING_IN_THREADS = 64
"""Files from which a plan's are written (and renamed) in threads."""


def apply_plan(content_dir: Path, plan: ContentPlan) -> None:
    """Commit a plan to disk so that an interruption leaves the old or the new state."""
    staged: dict[str, str] = {}
    for path in sorted(plan.writes):
        relative = safe_relative(path)
        folder, name = posixpath.split(relative)
        staged[path] = posixpath.join(folder, f".{name}.new")
    root = str(content_dir)
    folders = sorted({posixpath.dirname(temp) for temp in staged.values()})
    for folder in folders:
        os.makedirs(os.path.join(root, folder), exist_ok=True)

    def stage(paths: Sequence[str]) -> None:
        for path in paths:
            _write_text(os.path.join(root, staged[path]), plan.writes[path])

    in_threads(stage, list(staged), STAGING_WRITERS, STAGING_IN_THREADS)
    assert plan.manifest is not None, "a replayed plan has nothing to apply"
    manifest_temp = content_dir / f".{MANIFEST_NAME}.new"
    _write(manifest_temp, plan.manifest.to_json())
    # One flush of everything staged before the commit point, rather than an fsync per
    # file (thousands of them on a first normalize): after a power cut the journal never
    # names a file that is not on disk.
    os.sync()
    journal: dict[str, Any] = {"renames": staged, "deletes": list(plan.deletes),
                               "manifest": manifest_temp.name}
    journal_temp = content_dir / f".{JOURNAL_NAME}.new"
    _write(journal_temp, json.dumps(journal, ensure_ascii=False))
    os.replace(journal_temp, content_dir / JOURNAL_NAME)  # the commit point
    recover(content_dir)


def recover(content_dir: Path, sweep: bool = True) -> None:
    """Roll a committed-but-unfinished journal forward; drop uncommitted temp files (`sweep`)."""
    journal_path = content_dir / JOURNAL_NAME
    if journal_path.exists():
        journal = json.loads(journal_path.read_text(encoding="utf-8"))
        root = str(content_dir)
        renames = [(os.path.join(root, temp), os.path.join(root, safe_relative(path)))
                   for path, temp in journal["renames"].items()]

        def rename(pairs: Sequence[tuple[str, str]]) -> None:
            for source, target in pairs:
                with contextlib.suppress(FileNotFoundError):  # renamed before an interruption
                    os.replace(source, target)

        in_threads(rename, renames, STAGING_WRITERS, STAGING_IN_THREADS)
        for path in journal["deletes"]:
            target = content_dir / safe_relative(path)
            if target.exists():
                target.unlink()
                _remove_empty_dirs(target.parent, content_dir)
        manifest_temp = content_dir / journal["manifest"]
        if manifest_temp.exists():
            os.replace(manifest_temp, content_dir / MANIFEST_NAME)
        journal_path.unlink()
    for directory, _, names in os.walk(content_dir) if sweep else ():
        for name in names:
            if name.startswith(".") and name.endswith(".new"):
                os.unlink(os.path.join(directory, name))


def _remove_empty_dirs(directory: Path, stop: Path) -> None:
    while directory != stop and directory.is_dir() and not any(directory.iterdir()):
        directory.rmdir()
        directory = directory.parent


def load_entries(
    content_dir: Path, content_label: str = "content", cache: dict[str, Entry] | None = None,
    stat_cache: StatCache | None = None, files: Sequence[ContentFile] | None = None,
    texts: Mapping[str, str] | None = None, urls: dict[str, str] | None = None,
    plan: ContentPlan | None = None,
) -> tuple[list[Entry], list[Problem]]:
    """Every entry in content/, generated or hand-made, with `path` and `slug` set.

    `cache` maps "path:text-hash" to the parsed entry; hits skip the YAML parse,
    misses are added, and entries no longer present are dropped from it. With
    `stat_cache` too, unchanged files are not even read. `files`: the listing of
    content/ when the caller has a current one. `texts`: path -> text of files the
    caller has just written (they are not read back). `plan`: the plan that wrote
    them; a text it wrote from a draft is not even parsed (frontmatter.as_stored).
    Many misses (a first build) are parsed in worker processes. `urls` maps each entry's
    path, slug and date (what its URL is made of) to its URL (updated in place like `cache`).
    """
    problems: list[Problem] = []
    if files is None:
        files = list_content(content_dir)
    hashes = scan_content(content_dir, stat_cache, files) if cache is not None and stat_cache is not None else None
    found: list[tuple[str, Entry | None, Problem | None] | None] = []
    misses: list[tuple[int, ContentFile]] = []
    for listed in files:
        if hashes is not None and cache is not None:
            version = hashes.get(listed.relative)
            key = f"{listed.relative}:{version}"
            hit = cache.get(key)
            if hit is not None and version is not None:
                found.append((key, hit.with_body_file(listed.location, version), None))
                continue
        stored = _as_written(listed, plan) if plan is not None else None
        if stored is not None:
            found.append(stored)
            continue
        misses.append((len(found), listed))
        found.append(None)

    def read_and_parse(item: tuple[int, ContentFile]) -> tuple[str, Entry | None, Problem | None]:
        listed = item[1]
        known = texts.get(listed.relative) if texts is not None else None
        # Reading a file back turns "\r" into "\n": such a text is read, not taken as written.
        return entry_of_file(listed, content_label, cache, None if known is None or "\r" in known else known)

    for (position, _), result in zip(misses, parallel_map(read_and_parse, misses, minimum=PARALLEL_DUMPS)):
        found[position] = result
    parsed: list[Entry] = []
    fresh: dict[str, Entry] = {}
    for key, entry, problem in filter(None, found):
        if problem is not None:
            problems.append(problem)
        elif entry is not None:
            fresh[key] = entry
            parsed.append(entry)
    if cache is not None:
        cache.clear()
        cache.update(fresh)
    return _dedupe_slugs(parsed, problems, content_label, urls)


def _as_written(listed: ContentFile, plan: ContentPlan) -> tuple[str, Entry, None] | None:
    """What entry_of_file gives for a file `plan` has just written from a draft, without
    parsing its text; None when that is not known (see frontmatter.as_stored)."""
    relative = listed.relative
    draft = plan.written_drafts.get(relative)
    if draft is None or "\r" in plan.writes[relative]:  # (read back, a "\r" is a "\n")
        return None
    entry = as_stored(draft)
    if entry is None:
        return None
    return f"{relative}:{plan.written_hashes[relative]}", _placed(entry, relative), None


def _placed(entry: Entry, relative: str) -> Entry:
    """A parsed entry at its place in content/: its path, and its slug (its own, or its file's name)."""
    return entry.placed(slugify(entry.slug or Path(relative).stem), relative)


def entry_of_file(listed: ContentFile, content_label: str = "content", cache: Mapping[str, Entry] | None = None,
                  text: str | None = None) -> tuple[str, Entry | None, Problem | None]:
    """(cache key "path:text-hash", the file's entry with `path` and `slug` set, or the problem).

    `text`: the file's text when the caller has it."""
    relative = listed.relative
    label = f"{content_label}/{relative}"
    if text is None:
        try:
            safe_relative(relative)
            with open(listed.location, encoding="utf-8") as handle:
                text = handle.read()
        except UnicodeDecodeError:
            return "", None, Problem(label, "not UTF-8 text; save it as UTF-8")
        except (OSError, ValueError) as error:
            return "", None, Problem(label, f"cannot read: {error}")
    version = text_hash(text)
    key = f"{relative}:{version}"
    cached = cache.get(key) if cache is not None else None
    if cached is not None:
        return key, cached.with_body_file(listed.location, version), None
    entry, problem = parse_entry(text, label)
    if problem is not None:
        return key, None, problem
    assert entry is not None
    return key, _placed(entry, relative), None


def _dedupe_slugs(entries: Sequence[Entry], problems: list[Problem], label: str,
                  urls: dict[str, str] | None = None) -> tuple[list[Entry], list[Problem]]:
    """Two files in different folders may share a stem; their URLs differ, so that is fine,
    but two files claiming one URL is an error for the later one. `urls`: the URLs as last
    computed (see load_entries)."""
    from .urls import entry_url, url_key

    seen: dict[str, str] = {}
    kept: list[Entry] = []
    known = dict(urls) if urls is not None else {}
    fresh: dict[str, str] = {}
    for entry in entries:
        # By what entry_url reads (not by the file's text): editing a body keeps the URLs' keys,
        # and an unchanged set of keys is not saved again.
        key = url_key(entry)
        url = known.get(key)
        if url is None:
            try:
                url = entry_url(entry)
            except ValueError as error:
                problems.append(Problem(f"{label}/{entry.path}", str(error)))
                continue
        fresh[key] = url
        if url in seen:
            problems.append(Problem(f"{label}/{entry.path}", f"has the same URL {url} as {label}/{seen[url]}; skipped"))
            continue
        seen[url] = entry.path
        kept.append(entry)
    if urls is not None:
        urls.clear()
        urls.update(fresh)
    return kept, problems


def sync_content(
    drafts: Sequence[Entry],
    sources: Sequence[SourceDocument],
    content_dir: Path,
    sources_label: str,
    unreadable_sources: Iterable[str] = (),
    content_label: str = "content",
    dry_run: bool = False,
    stat_cache: StatCache | None = None,
    files: Sequence[ContentFile] | None = None,
    replay: dict[str, Any] | None = None,
    drafts_key: str = "",
    swept: bool = False,
    jobs: int | None = None,
) -> ContentPlan:
    """Plan and (unless dry_run) apply the sync of drafts into content/ (listed in `files`, when given).

    Planning writes out every draft to compare it with its file: seconds for
    tens of thousands. `replay` (a mapping the caller keeps between runs)
    skips that when nothing changed: given `drafts_key` (equal keys, equal
    drafts), the plan is replayed when the drafts, the manifest and every file
    of content/ are as the last sync left them; the mapping is then updated.
    `swept`: the caller has just run `recover` on content/. `jobs`: see plan_content.
    """
    if not dry_run:
        recover(content_dir, sweep=not swept)
    text = _manifest_text(content_dir)
    if text is None and not drafts and not unreadable_sources:
        # Nothing generated before, nothing to generate now (an archive kept as content/
        # alone): every file is a person's, and there is nothing to plan.
        return ContentPlan(writes={}, deletes=(), manifest=Manifest(), unchanged=0, kept_edits=(), problems=())
    existing = scan_content(content_dir, stat_cache, files)
    failed = sorted(unreadable_sources)
    text_digest = text_hash(text or "")
    fingerprint = _sync_fingerprint(drafts_key, text_digest, existing, failed)
    replayed = replay.get("plan") if replay is not None and replay.get("fingerprint") == fingerprint else None
    if isinstance(replayed, ContentPlan):
        return replayed  # content/ is as the last sync of these drafts left it: nothing to do
    edited = _edited_by_hand(replay, drafts_key, text_digest, existing, failed)
    if edited is not None and replay is not None:
        # The same drafts and manifest, and the only change since the last sync is that a person
        # edited files it had generated (or edited again files it keeps as edited): plan_content
        # would keep those edits and change nothing else.
        last: ContentPlan = replay["plan"]
        plan = replace(last, unchanged=last.unchanged - len(edited),
                       kept_edits=tuple(sorted({*last.kept_edits, *edited})), settled=last.settled - edited)
        if not dry_run:
            replay["fingerprint"] = fingerprint
            replay["kept"] = {**replay["kept"], **{path: replay["after"][path] for path in edited}}
            replay["plan"], replay["after"] = plan, dict(existing)
        return plan
    manifest, problems = _parse_manifest(content_dir, text)
    digests = {f"{sources_label}/{doc.path}": doc.digest for doc in sources}
    current = (replay is not None and bool(drafts_key) and replay.get("drafts") == drafts_key
               and replay.get("manifest") == text_digest)
    plan = plan_content(drafts, manifest, existing, digests, failed, content_label,
                        settled=replay["plan"].settled if current and replay else frozenset(), jobs=jobs)
    new_manifest = plan.manifest
    assert new_manifest is not None  # only a replayed plan has none
    written = not dry_run and (plan.writes or plan.deletes or new_manifest != manifest)
    if written:
        content_dir.mkdir(parents=True, exist_ok=True)
        apply_plan(content_dir, plan)
    plan = replace(plan, problems=tuple(problems) + plan.problems)
    if replay is not None and not dry_run:
        # What a sync of the same drafts right after this one finds: nothing to write.
        deleted = set(plan.deletes)
        after = {path: digest for path, digest in existing.items() if path not in deleted}
        after.update((path, plan.written_hashes[path]) for path in plan.writes)
        manifest_hash = text_hash(new_manifest.to_json()) if written else text_digest
        replay["fingerprint"] = _sync_fingerprint(drafts_key, manifest_hash, after, failed)
        replay["plan"] = plan.replayed()
        replay["drafts"], replay["manifest"] = drafts_key, manifest_hash
        replay["after"], replay["failed"] = after, failed
        # The manifest's hash of each file kept as edited by hand: another edit keeps it so.
        replay["kept"] = {path: new_manifest.records[path].hash for path in plan.kept_edits
                          if path in new_manifest.records}
    return plan


def _edited_by_hand(replay: Mapping[str, Any] | None, drafts_key: str, manifest_hash: str,
                    existing: Mapping[str, str], failed: list[str]) -> frozenset[str] | None:
    """The generated files a person edited since the last sync, when a person's edits are all
    that changed: the same drafts, manifest, failed sources and set of files, and every
    changed file either one the last sync generated and left as generated (returned), or one
    it keeps as edited that still differs from what the manifest records; else None."""
    if (replay is None or not drafts_key or replay.get("drafts") != drafts_key
            or replay.get("manifest") != manifest_hash or replay.get("failed") != failed
            or not isinstance(replay.get("plan"), ContentPlan)):
        return None
    after, kept = replay.get("after"), replay.get("kept")
    if not isinstance(after, dict) or not isinstance(kept, dict) or after.keys() != existing.keys():
        return None
    changed = [path for path, digest in existing.items() if after[path] != digest]
    settled = replay["plan"].settled
    edited = frozenset(path for path in changed if path in settled)
    still_kept = all(path in kept and existing[path] != kept[path] for path in changed if path not in settled)
    return edited if changed and still_kept else None


def _sync_fingerprint(drafts_key: str, manifest_hash: str, existing: Mapping[str, str], failed: list[str]) -> str:
    digest = hashlib.sha256(f"{MANIFEST_VERSION}|{drafts_key}|{manifest_hash}|".encode())
    digest.update(repr((sorted(existing.items()), failed)).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


