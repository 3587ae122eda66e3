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

from gridline import demo, logs

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


def chosen_part(argv: list[str]) -> str | None:
    """The part the command line names (``hub``, ``terminal``, ``demo``), read before the parser is built so that
    only its commands are imported: each part's command modules import its whole stack, and a kiosk's
    ``gridline terminal run`` or a hub worker's ``gridline hub serve`` need not load the other's."""
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--log-level")
    pre.add_argument("--log-format")
    pre.add_argument("command", nargs="?")
    return pre.parse_known_args(argv)[0].command


def _placeholder(commands: argparse._SubParsersAction, name: str, helptext: str) -> None:
    """A part the command line did not choose: named in ``gridline --help`` and in a wrong command's error, never
    parsed."""
    commands.add_parser(name, help=helptext).add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)


def build_parser(part: str | None) -> argparse.ArgumentParser:
    """The command line with the commands of ``part`` (``chosen_part``; ``demo`` needs both parts') and the other
    parts' names. Without a part (``gridline --help``, ``--version``, a mistyped command) only the names."""
    parser = argparse.ArgumentParser(prog="gridline", description="Community grid governance: terminals, hub, demo.")
    parser.add_argument("--version", action="version", version=f"gridline {version()}")
    parser.add_argument("--log-level", default="WARNING", help="DEBUG, INFO, WARNING (default), ERROR")
    parser.add_argument("--log-format", choices=("text", "json"), default="text",
                        help="text (default) or json: one object per line with request and device ids")
    commands = parser.add_subparsers(dest="command", required=True)
    missing = ""
    for name, extra, helptext in PARTS:
        if part not in (name, "demo"):
            _placeholder(commands, name, helptext)
            continue
        sub = commands.add_parser(name, help=helptext)
        try:  # a hub-only install has no OpenCV or Kivy, a terminal-only one no SQLAlchemy: say which extra to add
            module = importlib.import_module(f"{name}.cli")
        except ModuleNotFoundError as error:
            missing = missing or (error.name or "?")
            sub.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
            sub.set_defaults(func=_not_installed(extra, missing))
            continue
        module.register(sub.add_subparsers(dest=f"{name}_command", required=True))
    if part != "demo":
        _placeholder(commands, "demo", demo.HELP)
    elif missing:  # the demo runs a hub and its terminals
        demo_parser = commands.add_parser("demo", help=demo.HELP)
        demo_parser.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
        demo_parser.set_defaults(func=_not_installed("demo", missing))
    else:
        demo.register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser(chosen_part(argv)).parse_args(argv)
    logs.configure(args.log_level, args.log_format)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
