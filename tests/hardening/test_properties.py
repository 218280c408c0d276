"""Property tests (hypothesis) for the parts that meet arbitrary input.

- normalizer: `normalize_all` never raises, never hits its own "could not be
  normalized" safety net, and every entry it makes dumps to front-mattered
  Markdown that parses back to the same entry;
- front-matter reader: `split_front_matter` raises nothing but
  FrontMatterError, `parse_entry` never raises (an Entry or a Problem), and
  any Entry round-trips through `dump_entry`/`parse_entry`;
- slugger: `urls.slugify` is non-empty, [a-z0-9-] only, at most 80 characters,
  idempotent;
- URL builder: `safe_relative`, `entry_url`, `page_file` and `relative_url`
  never give a path that leaves the site root, and relative links resolve to
  their target;
- content store: a person's edit in content/ survives every sequence of source
  edits, additions, deletions, normalize and build runs (a small stateful test).

The strategies live in `hardening.fuzzkit`, shared with benchmarks/fuzz.py.
"""

from __future__ import annotations

import posixpath
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path

import pytest
from hardening import fuzzkit
from hardening.hardkit import new_project, run_cli
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, rule

from generator import urls

SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(fuzzkit.source_documents())
def test_normalizer_never_raises_and_its_entries_parse_back(docs: list[object]) -> None:
    fuzzkit.check_normalizer(docs)  # type: ignore[arg-type]


@SETTINGS
@given(fuzzkit.front_matter_texts())
def test_front_matter_reader_raises_only_its_own_error(text: str) -> None:
    fuzzkit.check_front_matter(text)


@SETTINGS
@given(fuzzkit.entries())
def test_every_entry_round_trips_through_its_file(entry: object) -> None:
    fuzzkit.check_round_trip(entry)  # type: ignore[arg-type]


@settings(max_examples=400, deadline=None)
@given(st.text())
def test_slugify_is_safe_and_idempotent(text: str) -> None:
    fuzzkit.check_slug(text)


@settings(max_examples=300, deadline=None)
@given(fuzzkit.url_paths(), fuzzkit.url_paths())
def test_urls_never_leave_the_root(a: str, b: str) -> None:
    fuzzkit.check_urls(a, b)


@pytest.mark.parametrize(("a", "b"), [
    ("0/0", "0/0/C:"),  # found by benchmarks/fuzz.py: a link "C:/" reads as scheme "c:"
    ("2020/01", "2020/01/Update: strike #2?"), ("hand", "note: x"), ("a", "a/%3F"),
])
def test_urls_regressions(a: str, b: str) -> None:
    fuzzkit.check_urls(a, b)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127)) | st.text())
@example("Tom &amp; Jerry &#38; &#x26; co")
@example("AT&T's 3,000 ways")
@example("Ｒíos ＆amp;")
def test_slugify_equals_python_slugify_with_every_option_it_skips(text: str) -> None:
    # urls.slugify skips python-slugify's entity decoding when it cannot apply: same slug.
    from slugify import slugify as full

    expected = full(text, max_length=urls.MAX_SLUG, word_boundary=True, save_order=True).strip("-") or "untitled"
    assert urls.slugify(text) == expected


@pytest.mark.parametrize("text", ["", " ", "---", "¿¡", "🎉", "ß" * 200, "ǅ", "İstanbul", "\u0130\u0307", "ﬃ"])
def test_slugify_edge_cases(text: str) -> None:
    fuzzkit.check_slug(text)


# --- a person's edit survives everything ------------------------------------

EDIT_MARK = "\n\nA correction made by a person, {n}.\n"


def _source(n: int, version: int) -> str:
    return (f"---\ntitle: Story number {n}\ndate: 2021-0{1 + n % 9}-1{n % 10}\nauthors: [Writer {n}]\n---\n\n"
            f"Version {version} of story {n}, with enough words in it to read as a short article.\n")


class PersonAndStore(RuleBasedStateMachine):
    """Random sequences of source changes, hand edits, normalize and build runs."""

    generated = Bundle("generated")

    def __init__(self) -> None:
        super().__init__()
        self.base = Path(tempfile.mkdtemp(prefix="hardening-edits-"))
        self.root = new_project(self.base / "p", good=False)
        self.versions: dict[int, int] = {}
        self.edits: dict[str, str] = {}  # content path -> the text the person saved
        self.next_source = 0
        self.edit_count = 0

    def teardown(self) -> None:
        shutil.rmtree(self.base, ignore_errors=True)

    @initialize()
    def start(self) -> None:
        for _ in range(3):
            self.add_source()
        assert run_cli(self.root, "normalize", "--quiet").code == 0

    def _sources(self) -> Path:
        return self.root / "seeds"

    @rule()
    def add_source(self) -> None:
        n = self.next_source
        self.next_source += 1
        self.versions[n] = 1
        (self._sources() / f"story-{n}.md").write_text(_source(n, 1), encoding="utf-8")

    @rule(data=st.data())
    def change_source(self, data: st.DataObject) -> None:
        if not self.versions:
            return
        n = data.draw(st.sampled_from(sorted(self.versions)))
        self.versions[n] += 1
        (self._sources() / f"story-{n}.md").write_text(_source(n, self.versions[n]), encoding="utf-8")

    @rule(data=st.data())
    def delete_source(self, data: st.DataObject) -> None:
        if not self.versions:
            return
        n = data.draw(st.sampled_from(sorted(self.versions)))
        del self.versions[n]
        (self._sources() / f"story-{n}.md").unlink()

    @rule(data=st.data())
    def edit_content(self, data: st.DataObject) -> None:
        files = sorted(p for p in (self.root / "content").rglob("*.md"))
        if not files:
            return
        path = data.draw(st.sampled_from(files))
        self.edit_count += 1
        text = path.read_text(encoding="utf-8") + EDIT_MARK.format(n=self.edit_count)
        path.write_text(text, encoding="utf-8")
        self.edits[path.relative_to(self.root / "content").as_posix()] = text

    @rule()
    def normalize(self) -> None:
        assert run_cli(self.root, "normalize", "--quiet").code == 0

    @rule()
    def build(self) -> None:
        run = run_cli(self.root, "build", "--quiet")
        assert run.code == 0, run.err
        for path in self.edits:
            # The edited version is what the site shows.
            slug_dir = self.root / "site" / path[:-3]
            page = (slug_dir / "index.html").read_text(encoding="utf-8")
            assert "A correction made by a person" in page, path

    @invariant()
    def every_edit_is_still_there(self) -> None:
        for path, text in self.edits.items():
            target = self.root / "content" / path
            assert target.is_file(), f"content/{path} (edited by hand) was removed"
            assert target.read_text(encoding="utf-8") == text, f"content/{path} (edited by hand) was overwritten"


PersonAndStore.TestCase.settings = settings(max_examples=8, stateful_step_count=8, deadline=None,
                                            suppress_health_check=[HealthCheck.too_slow])
test_a_persons_edit_survives_every_sequence = PersonAndStore.TestCase


def test_fuzzkit_round_trip_sanity() -> None:
    """The checks themselves catch a broken round trip (they are not vacuous)."""
    from generator.models import Entry

    entry = Entry(title="A title", body="Body.\n", authors=("Ana",))
    fuzzkit.check_round_trip(entry)
    with pytest.raises(AssertionError):
        fuzzkit.assert_same_entry(entry, replace(entry, title="Another"))
    assert posixpath.normpath("/r/a/../..").startswith("/")
