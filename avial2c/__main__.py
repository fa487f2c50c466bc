"""`python -m avial2c` and the `avial2c` console script."""

from __future__ import annotations

import sys

from avial2c.driver import main as _main


def main() -> None:
    sys.exit(_main(sys.argv[1:]))


if __name__ == "__main__":
    main()
