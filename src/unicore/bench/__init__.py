"""The seed's comparison harness: one SQLite workload measured on several systems.

A *system* is a pluggable entry (`systems.System`): it prepares itself (builds or finds what it
needs, or says why it cannot run), reports its size, and launches the workload once. `seed.py`
measures every registered system N times and `output.py` writes the CSV, Markdown and PNG figures.
"""
