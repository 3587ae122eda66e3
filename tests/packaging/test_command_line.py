"""The ``gridline`` command loads only the part a command line names: a kiosk's ``gridline terminal run`` does not
import the hub's stack, a hub worker's ``gridline hub serve`` not the terminal's, and ``gridline --help`` neither;
every command stays named and reachable."""
from __future__ import annotations

import subprocess
import sys

import pytest

from gridline.cli import build_parser, chosen_part, main

LOADED = """
import sys
from gridline.cli import build_parser, chosen_part
build_parser(chosen_part({argv!r}))
print(" ".join(sorted({{m.split(".")[0] for m in sys.modules}} & {{"hub", "terminal"}})))
"""


@pytest.mark.parametrize(("argv", "loaded"), [
    (["terminal", "run", "--help"], "terminal"),
    (["--log-level", "INFO", "hub", "serve"], "hub"),
    (["--log-format=json", "hub", "migrate"], "hub"),
    (["demo", "--for", "10"], "hub terminal"),
    (["--help"], ""),
    (["--version"], ""),
])
def test_only_the_named_part_is_imported(argv, loaded):
    done = subprocess.run([sys.executable, "-c", LOADED.format(argv=argv)], capture_output=True, text=True,
                          timeout=60, check=True)
    assert done.stdout.strip() == loaded, done.stderr[-2000:]


def test_chosen_part_reads_the_command_past_the_global_options():
    assert chosen_part(["--log-level", "DEBUG", "--log-format", "json", "terminal", "run"]) == "terminal"
    assert chosen_part(["-h"]) is None and chosen_part([]) is None


def test_every_command_stays_named_and_each_part_parses_its_own(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    listing = capsys.readouterr().out
    assert all(f"    {name} " in listing for name in ("hub", "terminal", "demo")), listing
    assert "run a live demo community" in listing
    with pytest.raises(SystemExit) as exited:
        main(["termnal", "run"])
    assert exited.value.code == 2 and "invalid choice: 'termnal'" in capsys.readouterr().err
    args = build_parser("hub").parse_args(["hub", "migrate", "--db", "sqlite:///x.db"])
    assert (args.command, args.hub_command, args.db) == ("hub", "migrate", "sqlite:///x.db")
    args = build_parser("terminal").parse_args(
        ["terminal", "simulate", "--broker", "mqtt://127.0.0.1:1883", "--data-dir", "d", "--for", "3"])
    assert (args.terminal_command, args.duration) == ("simulate", 3.0)
    args = build_parser("demo").parse_args(["demo", "--for", "5"])
    assert args.duration == 5.0 and callable(args.func)
