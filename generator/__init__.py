"""Static Archive: turn saved articles into a searchable static archive website."""

__version__ = "0.1.0"
