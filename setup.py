"""The normalizer compiled to C with mypyc when this machine can, the pure-Python package otherwise.

Everything else about the package is declared in pyproject.toml. The normalizer is
most of a cold build's time (every page dump goes through it); compiled, the same
code runs about a quarter faster. Compiling is optional, the way PyYAML and
MarkupSafe build their C speed-ups: without a C compiler or Python headers, or
with ARCHIVE_PURE_PYTHON=1 set, the install carries on with the .py files.

Next to the compiled modules goes a hash of the sources they were compiled from
(generator/_compiled.py reads it): after a source is edited or checked out
again, the stale extensions are ignored and the .py files run until the next
`pip install`.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_ext import build_ext

HERE = Path(__file__).resolve().parent
PACKAGE = "generator/normalize"
STAMP = "compiled-from.sha256"
GROUP = "generator.normalize_compiled"
"""The name of the shared library that holds the compiled modules (generator/normalize's
extensions are shims that load it): inside the generator package, not at the top of
site-packages, and not inside generator.normalize, whose compiled __init__ would have to
import it before it exists (an endless import)."""


def sources_hash(directory: Path) -> str:
    """Must equal generator/_compiled.py's: the same files, hashed the same way."""
    digest = hashlib.sha256()
    for path in sorted(directory.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def compiled_modules() -> list:  # type: ignore[type-arg]
    if os.environ.get("ARCHIVE_PURE_PYTHON"):
        return []
    try:
        from mypyc.build import mypycify
    except ImportError as error:
        print(f"static-archive: mypyc is not available ({error}); installing the pure-Python normalizer",
              file=sys.stderr)
        return []
    paths = sorted(str(path.relative_to(HERE)) for path in (HERE / PACKAGE).glob("*.py"))
    # The build environment holds mypy but not the package's dependencies: their types are
    # unknown there (Any), which costs the compiled code nothing but a check at the boundary.
    options = ["--ignore-missing-imports", "--follow-imports=silent", "--no-warn-unused-ignores"]
    try:
        return mypycify([*options, *paths], group_name=GROUP, opt_level="3")
    except (Exception, SystemExit) as error:  # noqa: BLE001 - mypy's verdict must not stop the install
        print(f"static-archive: the normalizer was not compiled ({error}); installing the pure-Python one",
              file=sys.stderr)
        return []


class OptionalBuildExt(build_ext):
    """build_ext that leaves the pure-Python package in place of a build that fails, and stamps
    a build that succeeds with the hash of its sources."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as error:  # noqa: BLE001 - compiling is an optimization, never a requirement
            self._remove_built()
            print(f"static-archive: the normalizer was not compiled ({error}); the pure-Python one is used",
                  file=sys.stderr)
            return
        for directory in self._built_directories():
            if directory.is_dir():
                (directory / STAMP).write_text(sources_hash(HERE / PACKAGE) + "\n", encoding="ascii")

    def _built_paths(self) -> list[Path]:
        """Where this run puts each extension (in the source tree for an in-place build)."""
        return [Path(self.get_ext_fullpath(extension.name)) for extension in self.extensions]

    def _built_directories(self) -> set[Path]:
        return {path.parent for path in self._built_paths() if path.parent.name == "normalize"}

    def _remove_built(self) -> None:
        """A half-built group would fail on import (the shims need the shared library)."""
        for directory in self._built_directories():
            (directory / STAMP).unlink(missing_ok=True)
        for path in self._built_paths():
            path.unlink(missing_ok=True)


setup(ext_modules=compiled_modules(), cmdclass={"build_ext": OptionalBuildExt})
