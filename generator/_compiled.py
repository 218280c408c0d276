"""Run the normalizer's .py files whenever its compiled extensions are not theirs.

`pip install` may compile generator.normalize with mypyc (see setup.py) and stamps
the build with the extension suffix of the Python it compiled for and a hash of
the package's sources: every .py file of `generator/`, since mypyc builds the
types of the modules the normalizer imports (models, config, frontmatter ...)
into its C code. Python prefers an extension to a .py file of the same name, so
after any source is edited (or another commit checked out), the stale extensions
would still run: here, before the package is imported, a finder is put first on
sys.meta_path that loads generator.normalize and its modules from their .py files
instead. Setting ARCHIVE_PURE_PYTHON=1 does the same on purpose (to debug or
profile the normalizer, or to compare the two).

Both run the same code: tests/unit/test_compiled.py checks that they normalize
alike. (A compiled frozen dataclass cannot be pickled or copied: the normalizer's
own classes never leave it; only models' Entry and Problem do.)

setup.py loads this file by its path (the package cannot be imported while it is
being built) to hash the sources the same way.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import ModuleType

# (importlib.abc and importlib.util are not imported here: 20 ms on every command, for a
# finder that is seldom needed and that Python asks for find_spec alone.)

PACKAGE = "generator.normalize"
SHARED_LIBRARY = "generator.normalize_compiled__mypyc"
"""The extension that holds the compiled code; normalize's own extensions are shims that load it."""
DIRECTORY = Path(__file__).resolve().parent / "normalize"
STAMP = "compiled-from.sha256"
SUFFIX = importlib.machinery.EXTENSION_SUFFIXES[0]
"""The file ending of this Python's own extensions (".cpython-311-x86_64-linux-gnu.so")."""


def package_files(package: Path) -> Iterator[tuple[str, str]]:
    """(path relative to `package`, with "/", and the path) of every file under it, in a fixed
    order; __pycache__ and hidden names (".#lines.py", an editor's lock) left out."""
    for base, folders, names in os.walk(package):
        folders[:] = sorted(name for name in folders if name != "__pycache__" and not name.startswith("."))
        for name in sorted(names):
            if not name.startswith("."):
                path = os.path.join(base, name)
                yield os.path.relpath(path, package).replace(os.sep, "/"), path


def sources_hash(package: Path) -> str:
    """A hash of every .py file under `package` (the generator folder), by relative path and bytes."""
    digest = hashlib.sha256()
    for relative, path in package_files(package):
        if relative.endswith(".py"):
            with open(path, "rb") as handle:
                digest.update(relative.encode("utf-8", "surrogateescape") + b"\0" + handle.read() + b"\0")
    return digest.hexdigest()


def stamp_text(package: Path, suffix: str = SUFFIX) -> str:
    """What setup.py writes into the stamp of a build for `suffix` from the sources in `package`."""
    return f"{suffix} {sources_hash(package)}\n"


def pure_requested() -> bool:
    """ARCHIVE_PURE_PYTHON set to anything but "" or "0"."""
    return os.environ.get("ARCHIVE_PURE_PYTHON", "") not in ("", "0")


def compiled_state(directory: Path = DIRECTORY) -> str:
    """"compiled", "stale" (extensions not made from these sources for this Python, or not all of
    them there, or a file that cannot be read), "forced-pure" (ARCHIVE_PURE_PYTHON) or "pure"
    (no extension at all)."""
    try:
        names = [name for name in os.listdir(directory) if not name.startswith(".")]
        if not any(name.endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES)) for name in names):
            return "pure"
        if pure_requested():
            return "forced-pure"
        stamp = (directory / STAMP).read_text(encoding="ascii")
        modules = {name[:-3] for name in names if name.endswith(".py")}
        extensions = {name[: -len(SUFFIX)] for name in names if name.endswith(SUFFIX)}
        shared = directory.parent / f"{SHARED_LIBRARY.rpartition('.')[2]}{SUFFIX}"
        if stamp != stamp_text(directory.parent) or modules != extensions or not shared.is_file():
            return "stale"
    except (OSError, UnicodeDecodeError):  # the safe answer: the sources run
        return "stale"
    return "compiled"


class _SourceFirst:
    """A meta path finder: generator.normalize and its modules as .py files only, and never the
    compiled code."""

    def find_spec(self, fullname: str, path: Sequence[str] | None = None,
                  target: ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        import importlib.util

        if fullname == SHARED_LIBRARY:
            raise ModuleNotFoundError(f"{fullname} is not used: the normalizer runs from its sources",
                                      name=fullname)
        if fullname == PACKAGE:
            return importlib.util.spec_from_file_location(
                fullname, DIRECTORY / "__init__.py", submodule_search_locations=[str(DIRECTORY)])
        if not fullname.startswith(PACKAGE + "."):
            return None
        parts = fullname[len(PACKAGE) + 1:].split(".")
        folder = DIRECTORY.joinpath(*parts)
        if (folder / "__init__.py").is_file():
            return importlib.util.spec_from_file_location(fullname, folder / "__init__.py",
                                                          submodule_search_locations=[str(folder)])
        source = folder.with_suffix(".py")
        if source.is_file():
            return importlib.util.spec_from_file_location(fullname, source)
        # Not None: the path finder would then find an extension left from a module since removed.
        raise ModuleNotFoundError(f"No module named {fullname!r}", name=fullname)


def use_sources_unless_compiled() -> str:
    """Put the source finder in place unless the compiled normalizer is current; the state."""
    state = compiled_state()
    if state in ("stale", "forced-pure") and not any(isinstance(f, _SourceFirst) for f in sys.meta_path):
        sys.meta_path.insert(0, _SourceFirst())
    return state
