"""``gridline`` console script: ``gridline hub ...``, ``gridline terminal ...``, ``gridline demo``.

Each package registers its own subcommands (``register(subparsers)``) and sets ``func``;
a command's ``func(args)`` returns the process exit code.
"""
from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable
from importlib import metadata

from gridline import logs

# each part of the command line: its package (which has a cli module), the extra that installs it, its help
PARTS = (("hub", "hub", "the hub service"), ("terminal", "terminal", "terminal devices"))


def version() -> str:
    try:
        return metadata.version("gridline")
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


def _not_installed(extra: str, missing: str) -> Callable[[argparse.Namespace], int]:
    def explain(args: argparse.Namespace) -> int:
        print(f"this install has no {missing!r}: pip install 'gridline[{extra}]'", file=sys.stderr)
        return 2
    return explain


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gridline", description="Community grid governance: terminals, hub, demo.")
    parser.add_argument("--version", action="version", version=f"gridline {version()}")
    parser.add_argument("--log-level", default="WARNING", help="DEBUG, INFO, WARNING (default), ERROR")
    parser.add_argument("--log-format", choices=("text", "json"), default="text",
                        help="text (default) or json: one object per line with request and device ids")
    commands = parser.add_subparsers(dest="command", required=True)
    missing = ""
    for name, extra, helptext in PARTS:
        sub = commands.add_parser(name, help=helptext)
        try:  # a hub-only install has no OpenCV or Kivy, a terminal-only one no SQLAlchemy: say which extra to add
            module = importlib.import_module(f"{name}.cli")
        except ModuleNotFoundError as error:
            missing = missing or (error.name or "?")
            sub.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
            sub.set_defaults(func=_not_installed(extra, missing))
            continue
        module.register(sub.add_subparsers(dest=f"{name}_command", required=True))
    if missing:  # the demo runs a hub and its terminals
        demo_parser = commands.add_parser("demo", help="a live demo community")
        demo_parser.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
        demo_parser.set_defaults(func=_not_installed("demo", missing))
    else:
        from gridline import demo

        demo.register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logs.configure(args.log_level, args.log_format)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
