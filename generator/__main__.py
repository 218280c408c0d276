"""`python -m generator` runs the same CLI as `archive`."""

from .cli import run

run()
