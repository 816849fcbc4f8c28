"""`python -m xpander_sdk`: the `xpander-tasks` command line (see `xpander_sdk.cli`)."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
