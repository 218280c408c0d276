"""`python -m generator` runs the same CLI as `archive`."""

import sys

from .cli import main

sys.exit(main())
