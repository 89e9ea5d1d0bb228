"""The guest's root file system chosen by policy: trace, package, package+depends (docs/rootfs.md).

Public API: `assemble(...) -> Rootfs` (groups of entries, each with a reason and a size),
`FILE_POLICIES`, `parse_policy(text) -> (syscall policy, file policy)`, `interpreter_family(program)`.
"""

from unicore.rootfs.policy import DEFAULT_POLICY, FILE_POLICIES, Group, Rootfs, assemble, interpreter_family, parse_policy

__all__ = ["DEFAULT_POLICY", "FILE_POLICIES", "Group", "Rootfs", "assemble", "interpreter_family", "parse_policy"]
