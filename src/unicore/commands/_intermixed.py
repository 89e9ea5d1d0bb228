"""Options may follow positionals (`run IMAGE --timeout 5 -- ARGS`): argparse's plain parsing
would give the trailing positional nothing and then reject the words after `--`."""

import argparse


class IntermixedParser(argparse.ArgumentParser):
    _inner = False

    def parse_known_args(self, args=None, namespace=None):
        if self._inner:
            return super().parse_known_args(args, namespace)
        self._inner = True
        try:
            return self.parse_known_intermixed_args(args, namespace)
        finally:
            self._inner = False


def intermixed(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Make a sub-command's parser accept options anywhere, positionals after `--` included."""
    parser.__class__ = IntermixedParser
    return parser
