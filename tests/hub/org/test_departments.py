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
    assert run(["departments", "list", "--under", COMMUNITY, "--db", db]) == 0
    listed = capsys.readouterr().out.strip().splitlines()  # the sample's own contact, and the one added here
    assert listed == [f"{COMMUNITY}\t消防救援站/物业服务企业\tp-fs-wy-01", f"{COMMUNITY}\t物业服务企业\tp-worker-01"]
    assert run(["departments", "remove", "物业服务企业", "--unit", COMMUNITY, "--person", "p-worker-01",
                "--db", db]) == 0
    assert capsys.readouterr().out.strip() == "removed"
    assert run(["departments", "list", "--under", COMMUNITY, "--db", db]) == 0
    assert capsys.readouterr().out.strip() == f"{COMMUNITY}\t消防救援站/物业服务企业\tp-fs-wy-01"


def test_nearest_unit_with_a_contact_answers(store):
    load_community(store, sample.load_raw())
    with store.write() as conn:
        save_people(conn, [Person("p-wy-01", "物业经理", "handler", COMMUNITY, None)])
    assert add_contact(store, "物业服务企业", COMMUNITY, "p-wy-01")
    assert [c.person_id for c in list_contacts(store, COMMUNITY) if c.department == "物业服务企业"] == ["p-wy-01"]
    with pytest.raises(ValueError, match="no person"):
        add_contact(store, "物业服务企业", COMMUNITY, "nobody")
    with store.engine.connect() as conn:  # a case in grid 3 finds the community's contact by walking up
        assert department_people(conn, "物业服务企业", unit_chain(conn, COMMUNITY + "003")) == ["p-wy-01"]
        assert department_people(conn, "交警", unit_chain(conn, COMMUNITY + "003")) == []
    assert remove_contact(store, "物业服务企业", COMMUNITY, "p-wy-01")
    assert "p-wy-01" not in {c.person_id for c in list_contacts(store)}


def test_the_community_file_brings_its_department_contacts(store):
    """``department_contacts`` in a community file: loaded with it, found by the category's department name, the same
    on a reload; a contact naming someone not in the file refuses the whole file."""
    import copy

    from hub.org.geojson_io import OrgDataError
    from hub.org.repo import list_people
    from hub.org.taxonomy import install_taxonomy, list_categories

    summary = load_community(store, sample.load_raw())
    contacts = list_contacts(store)
    assert summary.department_contacts == len(contacts) == 7
    assert load_community(store, sample.load_raw()).department_contacts == 7 and list_contacts(store) == contacts
    install_taxonomy(store)
    departments = {c.department for c in list_categories(store)}
    assert {c.department for c in contacts} <= departments  # spelled as the taxonomy spells them
    with store.engine.connect() as conn:  # a blocked fire lane (E0504) in grid 3: the property company answers
        assert department_people(conn, "消防救援站/物业服务企业", unit_chain(conn, COMMUNITY + "003")) == ["p-fs-wy-01"]
        assert department_people(conn, "供水公司", unit_chain(conn, COMMUNITY + "003")) == ["p-zh-gs-01"]  # city's

    bad = copy.deepcopy(sample.load_raw())
    bad["department_contacts"].append({"department": "交警大队", "unit": COMMUNITY, "person": "p-nobody"})
    bad["people"].append({"id": "p-new", "name": "新人", "role": "handler", "unit": COMMUNITY})
    with pytest.raises(OrgDataError, match=r"department_contacts\[7\] \(交警大队\): person p-nobody"):
        load_community(store, bad)
    assert "p-new" not in {p.id for p in list_people(store)}  # one transaction: nothing of the bad file stored
