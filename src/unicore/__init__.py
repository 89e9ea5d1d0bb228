"""unicore: turn an existing Linux application into a specialised unikernel, and run it."""

__version__ = "0.1.0"
