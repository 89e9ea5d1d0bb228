"""nginx and redis-server as unikernels vs native, runc and the Debian VM (issue 13):
`unicore bench net` with its defaults, run by `make bench` (docs/net-bench.md).

Arguments are passed through, e.g. `python benchmarks/net_bench.py --runs 1 --servers nginx`.
"""

import sys

from unicore.cli import main

if __name__ == "__main__":
    sys.exit(main(["bench", "net", *sys.argv[1:]]))
