"""Static Archive: turn saved articles into a searchable static archive website."""

from ._compiled import use_sources_unless_compiled

__version__ = "0.1.0"

NORMALIZER_BUILD = use_sources_unless_compiled()
"""How generator.normalize runs here: "compiled" (mypyc), "pure", "forced-pure" or "stale"
(compiled from other sources, so the .py files run): see _compiled.py."""
