"""Binary formats more than one stage reads or writes: ELF headers (elf.py), cpio newc (cpio.py).

Each has one reader or writer here; the stage modules hold the policy (what goes in, what is
checked), these modules only the bytes.
"""
