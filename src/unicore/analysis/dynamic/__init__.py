"""Dynamic analysis: what a program does when run under strace with scenarios."""
