"""The seed's comparison (issue 6): `unicore bench seed` with its defaults, run by `make bench`.

Arguments are passed through, e.g. `python benchmarks/seed.py --runs 10 --out build/bench/seed`.
"""

import sys

from unicore.cli import main

if __name__ == "__main__":
    sys.exit(main(["bench", "seed", *sys.argv[1:]]))
