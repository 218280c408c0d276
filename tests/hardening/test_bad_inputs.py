"""A bad-input corpus, generated here (no binary blobs in git), each built with `archive build`.

For every input: the build completes for everything else (the two good sources
always get their pages), the message names the file and the reason, and the
exit code says whether errors occurred (1 errors, 0 only notices/warnings).

What each input produced (`pytest tests/hardening/test_bad_inputs.py -s` prints it again):

| input                                   | exit | message / result                                                      |
|-----------------------------------------|------|-----------------------------------------------------------------------|
| seeds/empty.txt (0 bytes)               | 1    | error: file is empty: skipped                                         |
| seeds/blank.txt (only whitespace)       | 1    | error: file is empty: skipped                                         |
| seeds/garbage.txt (4 KB random bytes)   | 1    | error: not a text file (binary content): skipped                      |
| seeds/nul.txt (article with a NUL byte) | 1    | error: not a text file (binary content): skipped                      |
| seeds/broken-utf8.txt                   | 0    | notice: not UTF-8: decoded as cp1252 (entry built)                    |
| seeds/utf16.txt (UTF-16 with BOM)       | 0    | notice: not UTF-8: decoded as utf-16 (entry built, text intact)       |
| seeds/latin1.txt                        | 0    | notice: not UTF-8: decoded as cp1252 ("José Núñez" intact)            |
| seeds/crlf.txt, seeds/cr.txt            | 0    | no message; entries built, no CR left in content/                     |
| seeds/huge.txt (50 MB)                  | 1    | error: file is too large (50 MB; the limit is 20 MB): skipped         |
| seeds/long-line.txt (one 1 MB line)     | 0    | no message; entry built                                               |
| seeds/tiny-00000..09999.md (10,000)     | 0    | no message; 10,000 entry pages (slow: ~2 min)                         |
| seeds/quotes.md (10,000 nested `>`)     | 0    | no message; entry built (markdown-it nesting limit)                   |
| seeds/lists.md (10,000 nested `- `)     | 0    | no message; entry built                                               |
| seeds/bad-yaml.md                       | 1    | error: invalid front matter: front matter is not valid YAML (line 3)  |
| seeds/bomb.md (billion laughs)          | 1    | error: invalid front matter: ... YAML aliases are not allowed         |
| content/bomb-edit.md (person's file)    | 1    | error: front matter is not valid YAML ... aliases are not allowed     |
| seeds/bad-date.md (date: next tuesday)  | 1    | error: invalid front matter: date: 'next tuesday' is not a date ...   |
| seeds/author-number.md (authors: 42)    | 1    | error: invalid front matter: authors: must be a list of names, not int|
| seeds/punct.md, seeds/emoji.md titles   | 0    | no message; slugs "untitled" and "untitled-2", titles shown as given  |
| seeds/same-a.md, same-b.md (one slug)   | 0    | no message; "a-100-eur-fine" and "a-100-eur-fine-2020-02-02"          |
| seeds/long-a.md, long-b.md (80-char cut)| 0    | no message; "<slug>" and "<slug>-2"                                   |
| "my file.md", "ñandú café.md", "-rf.md", "--help.txt" | 0 | no message; each built under its title's slug               |
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hardening.hardkit import GOOD_TXT, entry_pages, new_project, run_cli

GOOD_PAGES = ("2020/01/a-perfectly-good-entry/index.html", "2019/03/a-good-plain-text-page-about-rivers/index.html")


def article(word: str) -> str:
    """The good text page with another headline word, so its slug is its own."""
    return GOOD_TXT.replace("About Rivers", f"About {word}")


def md(title: str, extra: str = "", body: str = "Body text of the entry.") -> bytes:
    return f"---\ntitle: {title}\n{extra}---\n\n{body}\n".encode()


def write_huge(path: Path) -> None:
    line = ("All work and no play makes a very long archive file indeed. " * 16 + "\n").encode()
    with path.open("wb") as handle:
        for _ in range(50 * 1024 * 1024 // len(line) + 1):
            handle.write(line)


def write_tiny_files(seeds: Path) -> None:
    for i in range(10_000):
        (seeds / f"tiny-{i:05d}.md").write_bytes(md(f"Tiny note {i}", body=f"Note {i}."))


LONG_TITLE = "The long and winding road that leads to your door will never disappear, I have seen that road"
LONG_SLUG = "the-long-and-winding-road-that-leads-to-your-door-will-never-disappear-i-have"

BOMB = (
    "---\ntitle: Bomb\n"
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    + "".join(f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]\n" for i in range(8))
    + "---\n\nBody\n"
)


@dataclass(frozen=True)
class Case:
    name: str
    files: dict[str, bytes] = field(default_factory=dict)
    """seeds/-relative name -> bytes (paths starting with "content/" go to the project root)."""
    code: int = 0
    messages: tuple[tuple[str, str], ...] = ()
    """(file as shown, regex of the reason) that must appear on one stderr line."""
    pages: tuple[str, ...] = ()
    """Entry pages (site-relative) the input must produce."""
    contains: tuple[tuple[str, str], ...] = ()
    """(site-relative page, text) that must be in it."""
    writer: Callable[[Path], None] | None = None
    slow: bool = False


CASES = [
    Case("empty", {"empty.txt": b""}, 1, (("seeds/empty.txt", r"error: file is empty"),)),
    Case("whitespace", {"blank.txt": b"  \n\t\n   \r\n \f"}, 1, (("seeds/blank.txt", r"error: file is empty"),)),
    Case("binary", {"garbage.txt": random.Random(8).randbytes(4096)}, 1,
         (("seeds/garbage.txt", r"error: not a text file"),)),
    Case("nul", {"nul.txt": article("Ships").replace("night", "ni\x00ght").encode()}, 1,
         (("seeds/nul.txt", r"error: not a text file"),)),
    Case("invalid-utf8", {"broken-utf8.txt": article("Lakes").encode().replace(b"Lakes", b"Lakes \xff\xfe\xc3")}, 0,
         (("seeds/broken-utf8.txt", r"notice: not UTF-8: decoded as"),)),
    Case("utf16-bom", {"utf16.txt": article("Ponds").encode("utf-16")}, 0,
         (("seeds/utf16.txt", r"notice: not UTF-8: decoded as utf-16"),),
         ("2019/03/a-good-plain-text-page-about-ponds/index.html",)),
    Case("latin1", {"latin1.txt": article("Cafés").replace("Ana Ríos", "José Núñez").encode("latin-1")}, 0,
         (("seeds/latin1.txt", r"notice: not UTF-8: decoded as cp1252"),),
         ("2019/03/a-good-plain-text-page-about-cafes/index.html",),
         (("2019/03/a-good-plain-text-page-about-cafes/index.html", "José Núñez"),)),
    Case("crlf-and-cr", {"crlf.txt": article("Hills").replace("\n", "\r\n").encode(),
                         "cr.txt": article("Valleys").replace("\n", "\r").encode()}, 0, (),
         ("2019/03/a-good-plain-text-page-about-hills/index.html",
          "2019/03/a-good-plain-text-page-about-valleys/index.html")),
    Case("50MB", code=1, messages=(("seeds/huge.txt", r"error: file is too large \(50 MB"),),
         writer=lambda seeds: write_huge(seeds / "huge.txt")),
    Case("1MB-line", {"long-line.txt": ("A Title For The Long Line\n\n" + "word " * 210_000 + "\n").encode()}, 0, (),
         ("undated/a-title-for-the-long-line/index.html",)),
    Case("10000-files", code=0, writer=write_tiny_files, slow=True,
         pages=("undated/tiny-note-0/index.html", "undated/tiny-note-9999/index.html")),
    Case("nested-quotes", {"quotes.md": md("Nested quotes", body=">" * 10_000 + " deep")}, 0, (),
         ("undated/nested-quotes/index.html",)),
    Case("nested-lists", {"lists.md": md("Nested lists", body="- " * 10_000 + "deep")}, 0, (),
         ("undated/nested-lists/index.html",)),
    Case("invalid-yaml", {"bad-yaml.md": b"---\ntitle: [unclosed\ndate: 2020-01-01\n---\n\nBody\n"}, 1,
         (("seeds/bad-yaml.md", r"error: invalid front matter: front matter is not valid YAML"),)),
    Case("billion-laughs", {"bomb.md": BOMB.encode()}, 1,
         (("seeds/bomb.md", r"error: .*aliases are not allowed"),)),
    Case("billion-laughs-in-content", {"content/bomb-edit.md": BOMB.encode()}, 1,
         (("content/bomb-edit.md", r"error: .*aliases are not allowed"),)),
    Case("date-not-a-date", {"bad-date.md": md("Wrong date", "date: next tuesday\n")}, 1,
         (("seeds/bad-date.md", r"error: .*date: 'next tuesday' is not a date"),)),
    Case("authors-a-number", {"author-number.md": md("Number author", "authors: 42\n")}, 1,
         (("seeds/author-number.md", r"error: .*authors: must be a list of names"),)),
    Case("punctuation-and-emoji-titles", {"punct.md": md("'!!! ??? ...'"), "emoji.md": md("'🎉🔥🎉'")}, 0, (),
         ("undated/untitled/index.html", "undated/untitled-2/index.html"),
         (("undated/untitled/index.html", "🎉🔥🎉"), ("undated/untitled-2/index.html", "!!! ??? ..."))),
    Case("same-slug", {"same-a.md": md("'A 100 € fine'", "date: 2020-02-02\n", "One."),
                       "same-b.md": md("'A 100 EUR fine'", "date: 2020-02-02\n", "Two."),
                       "long-a.md": md(LONG_TITLE + " part one", body="Three."),
                       "long-b.md": md(LONG_TITLE + " part two", body="Four.")}, 0, (),
         ("2020/02/a-100-eur-fine/index.html", "2020/02/a-100-eur-fine-2020-02-02/index.html",
          f"undated/{LONG_SLUG}/index.html", f"undated/{LONG_SLUG}-2/index.html")),
    Case("file-names", {"my file.md": md("Spaces in name"), "ñandú café.md": md("Unicode name"),
                        "-rf.md": md("Leading dash"), "--help.txt": article("Dashes").encode()}, 0, (),
         ("undated/spaces-in-name/index.html", "undated/unicode-name/index.html", "undated/leading-dash/index.html",
          "2019/03/a-good-plain-text-page-about-dashes/index.html")),
]

RESULTS: list[tuple[str, int, str, float]] = []


def _params() -> list[object]:
    return [pytest.param(case, id=case.name, marks=[pytest.mark.slow] if case.slow else []) for case in CASES]


@pytest.mark.parametrize("case", _params())
def test_bad_input_is_reported_and_the_rest_builds(case: Case, tmp_path: Path) -> None:
    root = new_project(tmp_path / "project")
    for name, data in case.files.items():
        target = root / name if name.startswith("content/") else root / "seeds" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    if case.writer is not None:
        case.writer(root / "seeds")
    started = time.perf_counter()
    run = run_cli(root, "build", "--verbose")
    seconds = time.perf_counter() - started
    problems = [line for line in run.err.splitlines() if re.search(r": (error|warning|notice): ", line)]
    RESULTS.append((case.name, run.code, " | ".join(problems) or "no message", seconds))

    assert run.code == case.code, run.err[-3000:]
    site = root / "site"
    for page in GOOD_PAGES + case.pages:
        assert (site / page).is_file(), (page, entry_pages(site)[:20])
    for shown, reason in case.messages:
        assert any(line.startswith(shown + ":") and re.search(reason, line) for line in problems), problems
    if case.code == 0:
        assert not [p for p in problems if ": error: " in p], problems
    for page, text in case.contains:
        assert text in (site / page).read_text(encoding="utf-8"), (page, text)
    for content_file in (root / "content").rglob("*.md"):
        assert "\r" not in content_file.read_text(encoding="utf-8"), content_file


def test_print_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    """Runs last in this module: prints what each input produced (shown with -s)."""
    with capsys.disabled():
        print("\n\ninput | exit | seconds | messages")
        for name, code, messages, seconds in RESULTS:
            print(f"{name} | {code} | {seconds:.1f} | {messages[:200]}")
