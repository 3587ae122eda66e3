"""Department contacts: managed from the command line, and a category's cases reach them (informed)."""
from __future__ import annotations

import argparse

import pytest

from hub import cli, sample
from hub.cases.recipients import department_people, unit_chain
from hub.org.departments import add_contact, list_contacts, remove_contact
from hub.org.geojson_io import load_community
from hub.org.repo import Person, save_people

COMMUNITY = "440402004005"


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers(required=True))
    args = parser.parse_args(argv)
    return args.func(args)


def test_contacts_cli_add_list_remove(tmp_path, capsys):
    db = f"sqlite:///{tmp_path / 'h.db'}"
    assert run(["community", "load-sample", "--db", db]) == 0
    assert run(["departments", "add", "物业服务企业", "--unit", COMMUNITY, "--person", "p-worker-01", "--db", db]) == 0
    assert run(["departments", "add", "物业服务企业", "--unit", COMMUNITY, "--person", "p-worker-01", "--db", db]) == 0
    assert "already there" in capsys.readouterr().out
    assert run(["departments", "add", "物业服务企业", "--unit", "440402999999", "--person", "p-worker-01",
                "--db", db]) == 2
    assert "no unit" in capsys.readouterr().err
    assert run(["departments", "list", "--under", "4404", "--db", db]) == 0
    assert capsys.readouterr().out.strip() == f"{COMMUNITY}\t物业服务企业\tp-worker-01"
    assert run(["departments", "remove", "物业服务企业", "--unit", COMMUNITY, "--person", "p-worker-01", "--db", db]) == 0
    assert capsys.readouterr().out.strip() == "removed"
    assert run(["departments", "list", "--db", db]) == 0 and capsys.readouterr().out.strip() == ""


def test_nearest_unit_with_a_contact_answers(store):
    load_community(store, sample.load_raw())
    with store.write() as conn:
        save_people(conn, [Person("p-wy-01", "物业经理", "handler", COMMUNITY, None)])
    assert add_contact(store, "物业服务企业", COMMUNITY, "p-wy-01")
    assert [c.person_id for c in list_contacts(store, COMMUNITY)] == ["p-wy-01"]
    with pytest.raises(ValueError, match="no person"):
        add_contact(store, "物业服务企业", COMMUNITY, "nobody")
    with store.engine.connect() as conn:  # a case in grid 3 finds the community's contact by walking up
        assert department_people(conn, "物业服务企业", unit_chain(conn, COMMUNITY + "003")) == ["p-wy-01"]
        assert department_people(conn, "交警", unit_chain(conn, COMMUNITY + "003")) == []
    assert remove_contact(store, "物业服务企业", COMMUNITY, "p-wy-01") and not list_contacts(store)
