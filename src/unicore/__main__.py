import sys

from unicore.cli import main

sys.exit(main())
