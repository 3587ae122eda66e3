"""``gridline hub devices add|code|list|revoke|clear-flag|broker-files``: device identity from the command line.

Changes land in the database; a running hub applies them to the broker within ``broker_auth_sync_s``.
When this process is configured to manage the broker's files too (``GRIDLINE_BROKER_AUTH_DIR``), it
applies them at once as well.
"""
from __future__ import annotations

import sys
from pathlib import Path

from hub.cli.common import db_options, migrated_db, settings_from_args
from hub.store.vocabulary import DEVICE_KINDS

BY = "cli"


def register(subparsers) -> None:
    devices = subparsers.add_parser("devices", help="device identity: enrol, list, revoke (broker accounts)")
    sub = devices.add_subparsers(dest="devices_command", required=True)
    add = sub.add_parser("add", help="register a device and print its one-time enrolment code")
    add.add_argument("device_id")
    add.add_argument("--kind", choices=DEVICE_KINDS, required=True)
    add.add_argument("--unit", required=True, help="grid (or community) code the device serves")
    add.add_argument("--owner", help="people.id of the phone's owner")
    _code_options(add)
    add.set_defaults(func=_add)
    code = sub.add_parser("code", help="issue a new one-time enrolment code (re-enrol, or bring back a revoked device)")
    code.add_argument("device_id")
    _code_options(code)
    code.set_defaults(func=_code)
    ls = sub.add_parser("list", help="registered devices, their state and flags")
    db_options(ls)
    ls.set_defaults(func=_list)
    revoke = sub.add_parser("revoke", help="cut a device off the broker for good (its stored records stay)")
    revoke.add_argument("device_id")
    revoke.add_argument("--reason", default="")
    db_options(revoke)
    revoke.set_defaults(func=_revoke)
    clear = sub.add_parser("clear-flag", help="mark a device's spoofing flag as looked into")
    clear.add_argument("device_id")
    db_options(clear)
    clear.set_defaults(func=_clear)
    files = sub.add_parser("broker-files", help="write Mosquitto's password and ACL files (and reload it if "
                                                "configured); for a broker the hub does not manage itself")
    files.add_argument("--out", type=Path, help="directory (default GRIDLINE_BROKER_AUTH_DIR)")
    db_options(files)
    files.set_defaults(func=_broker_files)


def _code_options(parser) -> None:
    parser.add_argument("--qr", type=Path, metavar="PNG", help="also write the enrolment QR code to this file")
    parser.add_argument("--hub-url", help="hub address the device enrols at, put into the QR (http://host:port)")
    db_options(parser)


def _context(args):
    from hub.devices.identities import utc_now
    from hub.devices.jobs import registry_from_settings

    settings = settings_from_args(args)
    return settings, registry_from_settings(settings, migrated_db(args), utc_now)


def _apply(settings, registry) -> None:
    if not settings.broker_auth_dir:
        print("a running hub applies this to the broker within "
              f"{settings.broker_auth_sync_s:g}s (or run: gridline hub devices broker-files)")
        return
    from hub.devices.broker_sync import BrokerAuthSync

    BrokerAuthSync.from_settings(settings, registry).sync_once(force=True)
    print(f"broker accounts written to {settings.broker_auth_dir} and reloaded")


def _print_code(args, issued) -> None:
    from hub.devices.qr import enrollment_uri, qr_png

    print(f"device {issued.device_id}: enrolment code {issued.code} (one use, valid until "
          f"{issued.expires_at:%Y-%m-%d %H:%M} UTC)")
    print(f"on the device: gridline terminal enroll --hub {args.hub_url or 'http://HUB:8080'} --code {issued.code} "
          f"--data-dir DIR")
    if args.qr:
        args.qr.write_bytes(qr_png(enrollment_uri(issued.code, args.hub_url)))
        print(f"QR code: {args.qr}")


def _add(args) -> int:
    from hub.devices.identities import IdentityError

    _, registry = _context(args)
    try:
        issued = registry.register(args.device_id, kind=args.kind, unit_code=args.unit, owner_person_id=args.owner,
                                   by=BY)
    except IdentityError as exc:
        print(f"devices add: {exc}", file=sys.stderr)
        return 2
    _print_code(args, issued)
    return 0


def _code(args) -> int:
    from hub.devices.identities import IdentityError

    _, registry = _context(args)
    try:
        issued = registry.issue_code(args.device_id, by=BY)
    except IdentityError as exc:
        print(f"devices code: {exc}", file=sys.stderr)
        return 2
    _print_code(args, issued)
    return 0


def _list(args) -> int:
    _, registry = _context(args)
    for i in registry.list():
        flag = f"FLAGGED {i.flag.reason} x{i.flag.count}: {i.flag.detail}" if i.flag else ""
        print(f"{i.device_id}\t{i.state}\t{i.kind or '-'}\t{i.unit_code or '-'}\t{i.owner_person_id or '-'}\t{flag}")
    return 0


def _revoke(args) -> int:
    from hub.devices.identities import IdentityError

    settings, registry = _context(args)
    try:
        registry.revoke(args.device_id, by=BY, reason=args.reason)
    except IdentityError as exc:
        print(f"devices revoke: {exc}", file=sys.stderr)
        return 2
    print(f"revoked {args.device_id}")
    _apply(settings, registry)
    return 0


def _clear(args) -> int:
    _, registry = _context(args)
    if not registry.clear_flag(args.device_id, by=BY):
        print(f"devices clear-flag: {args.device_id} has no open flag", file=sys.stderr)
        return 2
    print(f"flag cleared for {args.device_id}")
    return 0


def _broker_files(args) -> int:
    settings, registry = _context(args)
    if args.out:
        settings = settings.model_copy(update={"broker_auth_dir": args.out})
    if not settings.broker_auth_dir:
        print("devices broker-files: give --out DIR or set GRIDLINE_BROKER_AUTH_DIR", file=sys.stderr)
        return 2
    try:
        _apply(settings, registry)
    except ValueError as exc:
        print(f"devices broker-files: {exc}", file=sys.stderr)
        return 2
    return 0
