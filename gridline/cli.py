"""``gridline`` console script: ``gridline hub ...``, ``gridline terminal ...``, ``gridline demo``.

Each package registers its own subcommands (``register(subparsers)``) and sets ``func``;
a command's ``func(args)`` returns the process exit code.
"""
from __future__ import annotations

import argparse
import logging
import sys


def build_parser() -> argparse.ArgumentParser:
    from gridline import demo
    from hub import cli as hub_cli
    from terminal import cli as terminal_cli

    parser = argparse.ArgumentParser(prog="gridline", description="Community grid governance: terminals, hub, demo.")
    parser.add_argument("--log-level", default="WARNING", help="DEBUG, INFO, WARNING (default), ERROR")
    commands = parser.add_subparsers(dest="command", required=True)
    hub_cli.register(
        commands.add_parser("hub", help="the hub service").add_subparsers(dest="hub_command", required=True))
    terminal_cli.register(
        commands.add_parser("terminal", help="terminal devices").add_subparsers(dest="terminal_command", required=True)
    )
    demo.register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
