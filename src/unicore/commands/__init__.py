"""One module per sub-command; each is a thin adapter over the library modules."""
