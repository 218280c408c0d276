"""The content/ store: idempotent writes, hand edits kept, orphans removed, crash-safe commits."""

import datetime as dt
import json
import os
import pickle
from pathlib import Path

import pytest

from hypothesis import given, settings
from hypothesis import strategies as st

from generator.content import (
    MANIFEST_NAME,
    MANIFEST_VERSION,
    ChangedWhileBuilding,
    Manifest,
    ManifestRecord,
    load_entries,
    sync_content,
)
from generator.models import Entry, SourceDocument, SourceKind, SourceRef


def source(path: str, digest: str = "d1") -> SourceDocument:
    return SourceDocument(path=path, kind=SourceKind.TEXT, text="", encoding="utf-8", digest=digest)


def draft(title: str, file: str = "seeds/a.txt", day: int = 1, body: str = "Body text.") -> Entry:
    return Entry(title=title, date=dt.date(2019, 3, day), authors=("A",), body=body,
                 sources=(SourceRef(file, (1, 5)),))


def sync(content: Path, drafts: list[Entry], sources: list[SourceDocument] | None = None, **kw: object):
    return sync_content(drafts, sources or [source("a.txt")], content, "seeds", **kw)  # type: ignore[arg-type]


def test_writes_one_file_per_entry_under_year_month(tmp_path: Path) -> None:
    content = tmp_path / "content"
    plan = sync(content, [draft("Hello World"), draft("Señor Ríos", day=2)])
    assert sorted(plan.writes) == ["2019/03/hello-world.md", "2019/03/senor-rios.md"]
    assert (content / "2019/03/hello-world.md").read_text().startswith("---\ntitle: Hello World\n")
    assert (content / MANIFEST_NAME).exists()


def test_second_run_rewrites_nothing(tmp_path: Path) -> None:
    content = tmp_path / "content"
    sync(content, [draft("Hello World")])
    files = [content / "2019/03/hello-world.md", content / MANIFEST_NAME]
    before = [os.stat(f).st_mtime_ns for f in files]
    plan = sync(content, [draft("Hello World")])
    assert not plan.writes and not plan.deletes and plan.unchanged == 1
    assert [os.stat(f).st_mtime_ns for f in files] == before


def test_hand_edit_is_never_overwritten_and_reported_when_source_changes(tmp_path: Path) -> None:
    content = tmp_path / "content"
    sync(content, [draft("Hello World")])
    target = content / "2019/03/hello-world.md"
    edited = target.read_text().replace("Body text.", "Corrected by a person.")
    target.write_text(edited)
    plan = sync(content, [draft("Hello World", body="Body text, normalized better.")], [source("a.txt", "d2")])
    assert target.read_text() == edited
    assert plan.kept_edits == ("2019/03/hello-world.md",)
    assert any("edited by hand" in p.message and "seeds/a.txt" in p.message for p in plan.problems)
    entries, problems = load_entries(content)
    assert not problems and "Corrected by a person." in entries[0].body


def test_deleted_source_removes_generated_entries_but_keeps_edited_ones(tmp_path: Path) -> None:
    content = tmp_path / "content"
    sync(content, [draft("Keep Me"), draft("Drop Me", day=2)])
    kept = content / "2019/03/keep-me.md"
    kept.write_text(kept.read_text() + "\nA person's note.\n")
    plan = sync(content, [], [])
    assert plan.deletes == ("2019/03/drop-me.md",)
    assert not (content / "2019/03/drop-me.md").exists()
    assert kept.exists()
    assert any("kept" in p.message and "keep-me" in p.path for p in plan.problems)


def test_unreadable_source_keeps_its_entries(tmp_path: Path) -> None:
    content = tmp_path / "content"
    sync(content, [draft("Hello World")])
    plan = sync(content, [], [], unreadable_sources=["seeds/a.txt"])
    assert not plan.deletes and (content / "2019/03/hello-world.md").exists()


def test_hand_added_file_is_an_entry_and_untouched(tmp_path: Path) -> None:
    content = tmp_path / "content"
    sync(content, [draft("Hello World")])
    mine = content / "notes" / "my-own.md"
    mine.parent.mkdir()
    mine.write_text("---\ntitle: My own\ndate: 2020-01-02\n---\n\nWritten by hand.\n")
    sync(content, [draft("Hello World")])
    entries, problems = load_entries(content)
    assert not problems
    assert {e.title for e in entries} == {"Hello World", "My own"}
    assert mine.read_text().endswith("Written by hand.\n")


def test_slugs_stay_stable_when_a_colliding_entry_arrives(tmp_path: Path) -> None:
    content = tmp_path / "content"
    sync(content, [draft("Same Title", file="seeds/b.txt")], [source("b.txt")])
    plan = sync(content, [draft("Same Title", file="seeds/a.txt"), draft("Same Title", file="seeds/b.txt")],
                [source("a.txt"), source("b.txt")])
    assert list(plan.writes) == ["2019/03/same-title-2019-03-01.md"]
    assert (content / "2019/03/same-title.md").read_text().count("seeds/b.txt") == 1


def test_interrupted_commit_is_rolled_forward(tmp_path: Path) -> None:
    content = tmp_path / "content"
    sync(content, [draft("Hello World")])
    # Simulate a kill after the journal was committed but before the renames.
    from generator import content as store

    real_recover = store.recover
    store.recover = lambda _dir, sweep=True: None  # type: ignore[assignment]
    try:
        sync(content, [draft("Hello World", body="New body.")], [source("a.txt", "d2")])
    finally:
        store.recover = real_recover
    assert "Body text." in (content / "2019/03/hello-world.md").read_text()
    entries, _ = load_entries(content)
    store.recover(content)
    assert "New body." in (content / "2019/03/hello-world.md").read_text()
    plan = sync(content, [draft("Hello World", body="New body.")], [source("a.txt", "d2")])
    assert not plan.writes and not plan.kept_edits


def test_invalid_content_file_is_reported_by_name(tmp_path: Path) -> None:
    content = tmp_path / "content"
    content.mkdir()
    (content / "bad.md").write_text("---\ntitle: [unclosed\n---\nx\n")
    (content / "good.md").write_text("---\ntitle: Good\n---\nx\n")
    entries, problems = load_entries(content)
    assert [e.title for e in entries] == ["Good"]
    assert problems[0].path == "content/bad.md" and "YAML" in problems[0].message


def test_a_listing_patched_with_changed_files_equals_a_fresh_listing(tmp_path: Path) -> None:
    from generator.content import list_content, patch_listing

    content = tmp_path / "content"
    sync(content, [draft("Hello World"), draft("Second One", day=2)])
    listing = list_content(content)
    edited, added, removed = content / "2019/03/hello-world.md", content / "2019/03/added.md", \
        content / "2019/03/second-one.md"
    edited.write_text(edited.read_text() + "More.\n")
    added.write_text(edited.read_text())
    removed.unlink()
    (content / "notes.txt").write_text("not an entry")
    patched = patch_listing(listing, content, [edited, added, removed, content / "notes.txt", content / ".hidden.md"])
    assert patched == list_content(content)
    # A folder cannot be patched file by file: the caller lists content/ again.
    (content / "2020").mkdir()
    assert patch_listing(listing, content, [content / "2020"]) is None


def test_a_large_plan_is_staged_and_committed_whole(tmp_path: Path) -> None:
    """Many files (written by several threads): all of them land, no staged file is left."""
    from generator.content import ContentPlan, Manifest, apply_plan

    writes = {f"{2000 + n % 7}/{n % 12 + 1:02d}/entry-{n}.md": f"---\ntitle: Entry {n}\n---\n\nText {n}.\n"
              for n in range(300)}
    apply_plan(tmp_path / "content", ContentPlan(writes=writes, deletes=(), manifest=Manifest(), unchanged=0,
                                                  kept_edits=(), problems=()))
    written = {p.relative_to(tmp_path / "content").as_posix(): p.read_text(encoding="utf-8")
               for p in (tmp_path / "content").rglob("*") if p.is_file() and p.suffix == ".md"}
    assert written == writes
    leftovers = [p.name for p in (tmp_path / "content").rglob(".*") if p.is_file() and p.name != MANIFEST_NAME]
    assert leftovers == [], leftovers


def test_the_listing_skips_hidden_names_and_symlinked_folders_and_sweeps_leftovers_when_asked(tmp_path: Path) -> None:
    from generator.content import list_content

    content = tmp_path / "content"
    (content / "2019" / "03").mkdir(parents=True)
    (content / ".hidden").mkdir()
    for path in ("a.md", "2019/03/b.md", "notes.txt", ".hidden/c.md", ".d.md", "2019/.e.md.new"):
        (content / path).write_text("---\ntitle: x\n---\n", encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "f.md").write_text("---\ntitle: f\n---\n", encoding="utf-8")
    (content / "linked").symlink_to(elsewhere, target_is_directory=True)  # not entered: no loops
    (content / "g.md").symlink_to(elsewhere / "f.md")  # a symlinked file is read

    assert [f.relative for f in list_content(content)] == ["2019/03/b.md", "a.md", "g.md"]
    assert (content / "2019" / ".e.md.new").exists()  # not swept unless asked
    assert [f.relative for f in list_content(content, sweep=True)] == ["2019/03/b.md", "a.md", "g.md"]
    assert not (content / "2019" / ".e.md.new").exists()
    assert (content / ".d.md").exists()  # only the store's own leftovers go


_TEXTS = st.text(alphabet=st.sampled_from(['a', 'é', '"', '\\', '\n', '\u2028', '\x00', '😀', '/', '\x7f', ' ']),
                 max_size=6)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(_TEXTS, st.tuples(_TEXTS, _TEXTS, st.dictionaries(_TEXTS, _TEXTS, max_size=3)), max_size=4))
def test_the_manifest_text_is_what_json_dumps_writes(records: dict[str, tuple[str, str, dict[str, str]]]) -> None:
    # The manifest writes its JSON itself (json's indenting encoder is slow): same bytes, any text.
    manifest = Manifest({path: ManifestRecord(path, identity, digest, sources)
                         for path, (identity, digest, sources) in records.items()})
    expected = {path: {"identity": r.identity, "hash": r.hash, "sources": dict(sorted(r.sources.items()))}
                for path, r in sorted(manifest.records.items())}
    assert manifest.to_json() == json.dumps({"version": MANIFEST_VERSION, "files": expected},
                                            indent=1, ensure_ascii=False) + "\n"
    assert Manifest.from_json(manifest.to_json()) == manifest


def test_url_keys_survive_a_body_edit(tmp_path: Path) -> None:
    """The URL of each entry is kept by what it is made of (path, slug, date): after a person edits
    a body, the build finds the same keys and has no URL cache to save again."""
    content = tmp_path / "content"
    sync(content, [draft("Hello World"), draft("Second Piece", day=2)])
    urls: dict[str, str] = {}
    entries, _ = load_entries(content, urls=urls)
    before = dict(urls)
    assert sorted(before.values()) == sorted(e.path.removesuffix(".md") + "/" for e in entries)
    target = content / "2019/03/hello-world.md"
    target.write_text(target.read_text().replace("Body text.", "Body text, corrected."))
    load_entries(content, urls=urls)
    assert urls == before
    target.rename(content / "2019/03/hello-again.md")  # a new path: a new key and URL
    load_entries(content, urls=urls)
    assert "2019/03/hello-again/" in urls.values() and "2019/03/hello-world/" not in urls.values()


def test_entries_kept_without_their_bodies_read_them_from_their_files(tmp_path: Path) -> None:
    """The build cache keeps entries without their bodies (Entry.kept): loaded from it, an
    entry reads its body from its content file when first asked, and only from the text it was
    parsed from."""
    content = tmp_path / "content"
    sync(content, [draft("Hello World", body="First paragraph.\n\n## A heading\n\n- one\n- two"),
                   draft("A Teaser", day=2, body="")])
    cache: dict[str, Entry] = {}
    stats: dict[str, tuple[int, int, str]] = {}
    first, _ = load_entries(content, cache=cache, stat_cache=stats)

    def kept() -> dict[str, Entry]:  # as the build cache saves and loads it
        return pickle.loads(pickle.dumps({key: entry.kept() for key, entry in cache.items()}))

    again, problems = load_entries(content, cache=kept(), stat_cache=stats)
    article = next(entry for entry in again if entry.title == "Hello World")
    assert not problems and "body" not in vars(article)  # not read until asked for
    assert article.body == "First paragraph.\n\n## A heading\n\n- one\n- two\n"
    assert again == first and [entry.body for entry in again] == [entry.body for entry in first]
    assert pickle.loads(pickle.dumps(article)) == article

    lazy = next(entry for entry in load_entries(content, cache=kept(), stat_cache=stats)[0]
                if entry.title == "Hello World")
    target = content / "2019/03/hello-world.md"
    target.write_text(target.read_text().replace("First paragraph.", "Edited meanwhile."))
    with pytest.raises(ChangedWhileBuilding, match="hello-world.md changed while the site was being built"):
        _ = lazy.body
    with pytest.raises(LookupError, match="not told its file"):
        _ = next(entry for entry in first if entry.body).kept().body
