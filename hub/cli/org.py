"""``gridline hub grids import|export``, ``gridline hub community load-sample`` and ``gridline hub departments``."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from hub.cli.common import db_options, migrated_db


def register(subparsers) -> None:
    grids = subparsers.add_parser("grids", help="grid boundaries as GeoJSON").add_subparsers(
        dest="grids_command", required=True)
    imp = grids.add_parser("import", help="validate and load a GeoJSON FeatureCollection of grids")
    imp.add_argument("file", type=Path)
    db_options(imp)
    imp.set_defaults(func=_import)
    exp = grids.add_parser("export", help="write the stored grids as GeoJSON (stdout without FILE)")
    exp.add_argument("file", nargs="?", type=Path)
    exp.add_argument("--under", help="only grids whose code starts with this (a community or street code)")
    db_options(exp)
    exp.set_defaults(func=_export)

    community = subparsers.add_parser("community", help="community data").add_subparsers(
        dest="community_command", required=True)
    sample = community.add_parser("load-sample", help="load the shipped sample community 福石社区")
    db_options(sample)
    sample.set_defaults(func=_load_sample)

    departments = subparsers.add_parser(
        "departments", help="handling-department contacts (a category's cases also go to them)").add_subparsers(
        dest="departments_command", required=True)
    add = departments.add_parser("add", help="name PERSON as DEPARTMENT's contact at UNIT (and the units below it)")
    add.add_argument("department", help="as the taxonomy names it, e.g. 物业服务企业")
    add.add_argument("--unit", required=True, help="unit code, e.g. a community")
    add.add_argument("--person", required=True, help="people.id")
    db_options(add)
    add.set_defaults(func=_add_department)
    remove = departments.add_parser("remove", help="remove one contact")
    remove.add_argument("department")
    remove.add_argument("--unit", required=True)
    remove.add_argument("--person", required=True)
    db_options(remove)
    remove.set_defaults(func=_remove_department)
    ls = departments.add_parser("list", help="contacts, optionally under a unit")
    ls.add_argument("--under", help="unit code prefix")
    db_options(ls)
    ls.set_defaults(func=_list_departments)



def _import(args) -> int:
    from hub.org.geojson_io import OrgDataError
    from hub.org.units_admin import import_collection

    try:
        collection = json.loads(args.file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        print(f"cannot read {args.file}: {exc}", file=sys.stderr)
        return 2
    db = migrated_db(args)
    try:
        outcome = import_collection(db, collection)  # GCJ-02 / BD-09 files converted; stored neighbours checked
    except OrgDataError as exc:
        print(f"{args.file}: {len(exc.errors)} problem(s), nothing imported:", file=sys.stderr)
        for error in exc.errors:
            print(f"  {error}", file=sys.stderr)
        return 2
    finally:
        db.dispose()
    summary = outcome.summary
    converted = f"; drawn in {outcome.datum}, stored in WGS-84" if outcome.datum != "wgs84" else ""
    print(f"imported {summary.grids} grids ({summary.units_created} units new, {summary.units_updated} updated"
          f"{converted})")
    for gap in (g for report in outcome.reports.values() for g in report.gaps):
        print(f"  warning: a gap of {gap.area_m2:.0f} m² in community {gap.community} no grid covers")
    return 0


def _export(args) -> int:
    from hub.org.geojson_io import export_grids

    db = migrated_db(args)
    try:
        text = json.dumps(export_grids(db, under=args.under), ensure_ascii=False, indent=1)
    finally:
        db.dispose()
    if args.file:
        args.file.write_text(text + "\n", encoding="utf-8")
    else:
        print(text)
    return 0


def _load_sample(args) -> int:
    from hub.org.geojson_io import load_community
    from hub.sample import load_raw

    db = migrated_db(args)
    try:
        summary = load_community(db, load_raw())
    finally:
        db.dispose()
    print(f"sample community loaded: {summary.grids} grids, {summary.people} people, {summary.devices} devices, "
          f"{summary.department_contacts} department contacts")
    return 0


def _add_department(args) -> int:
    from hub.org.departments import add_contact

    db = migrated_db(args)
    try:
        new = add_contact(db, args.department, args.unit, args.person)
    except ValueError as exc:
        print(f"departments add: {exc}", file=sys.stderr)
        return 2
    finally:
        db.dispose()
    print(f"{args.department} at {args.unit}: {args.person}" + ("" if new else " (already there)"))
    return 0


def _remove_department(args) -> int:
    from hub.org.departments import remove_contact

    db = migrated_db(args)
    try:
        gone = remove_contact(db, args.department, args.unit, args.person)
    finally:
        db.dispose()
    print("removed" if gone else "no such contact")
    return 0 if gone else 1


def _list_departments(args) -> int:
    from hub.org.departments import list_contacts

    db = migrated_db(args)
    try:
        for c in list_contacts(db, args.under):
            print(f"{c.unit_code}\t{c.department}\t{c.person_id}")
    finally:
        db.dispose()
    return 0

