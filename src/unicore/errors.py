"""Errors meant for people: one clear line, a non-zero exit, never a traceback.

Every module raises UnicoreError (or a subclass) for bad input; the CLI prints
`unicore: <message>` and exits with `exit_code`.
"""


class UnicoreError(Exception):
    """A failure the user can act on; the message is shown as one line."""

    exit_code = 2

    def __init__(self, message: str, exit_code: int | None = None):
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class BadInputError(UnicoreError):
    """The user's input (file, ELF, scenario, option) is unusable."""


class ToolMissingError(UnicoreError):
    """A host tool (strace, qemu, musl-gcc...) is not installed."""

    exit_code = 3
