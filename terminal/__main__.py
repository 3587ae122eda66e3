"""``python -m terminal simulate ...``: the terminal subcommands without the rest of the CLI."""
from __future__ import annotations

import argparse
import logging
import sys

from . import cli


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m terminal")
    parser.add_argument("--log-level", default="WARNING")
    cli.register(parser.add_subparsers(dest="terminal_command", required=True))
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
