"""Dependency analysis: what a program needs from the OS (static ELF reading and dynamic tracing)."""
