"""The build cache under `.archive-cache/`: named pickled mappings, one file each.

Every cache file is keyed by the tool's version and the configuration, so a
new release or an edited archive.toml never reuses stale work; entries inside
are keyed by content hashes by their users. A missing, corrupt or foreign
cache is simply empty: the cache can only make a build faster, never different.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from pathlib import Path
from typing import Any

from . import __version__
from .config import Config

CACHE_FORMAT = 1


class BuildCache:
    """Load and save named caches for one configuration."""

    def __init__(self, config: Config) -> None:
        self.directory = config.cache_dir
        self.key = hashlib.sha256(
            f"{__version__}|{CACHE_FORMAT}|{config.site!r}|{config.paths!r}|{config.normalize!r}".encode()
        ).hexdigest()

    def _path(self, name: str) -> Path:
        return self.directory / f"{name}.pickle"

    def load(self, name: str) -> dict[str, Any]:
        """The saved mapping, or an empty one when there is none usable."""
        try:
            with open(self._path(name), "rb") as handle:
                key, data = pickle.load(handle)  # noqa: S301 - our own file, in the project
        except (OSError, pickle.PickleError, EOFError, ValueError, TypeError, AttributeError, ImportError):
            return {}
        return data if key == self.key and isinstance(data, dict) else {}

    def save(self, name: str, data: dict[str, Any]) -> None:
        """Write atomically; a cache that cannot be written is skipped silently."""
        temp = self._path(name).with_suffix(f".tmp-{os.getpid()}")
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            with open(temp, "wb") as handle:
                pickle.dump((self.key, data), handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temp, self._path(name))
        except (OSError, pickle.PickleError, TypeError, AttributeError):
            temp.unlink(missing_ok=True)
