"""``gridline hub operators add|list|passwd|disable``: control-room accounts from the command line.

The first admin is made here — there is no default account and no default password. A password is read
from a prompt (twice) or, for scripts, from stdin with ``--password-stdin``; it never appears in argv.
"""
from __future__ import annotations

import getpass
import sys

from hub.cli.common import db_options, migrated_db
from hub.store.vocabulary import OPERATOR_ROLES


def register(subparsers) -> None:
    ops = subparsers.add_parser("operators", help="control-room accounts (sign-in for the dashboard and API)")
    sub = ops.add_subparsers(dest="operators_command", required=True)
    add = sub.add_parser("add", help="create an account; the first one must be an admin")
    add.add_argument("username")
    add.add_argument("--role", choices=OPERATOR_ROLES, required=True)
    add.add_argument("--scope", required=True, help="unit code whose subtree the account sees (a community, ...)")
    add.add_argument("--name", default="", help="display name")
    add.add_argument("--person", help="people.id this operator acts as in case audit trails")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    db_options(add)
    add.set_defaults(func=_add)
    ls = sub.add_parser("list", help="list accounts")
    db_options(ls)
    ls.set_defaults(func=_list)
    pw = sub.add_parser("passwd", help="set a new password (ends the account's sessions)")
    pw.add_argument("username")
    pw.add_argument("--password-stdin", action="store_true")
    db_options(pw)
    pw.set_defaults(func=_passwd)
    dis = sub.add_parser("disable", help="disable an account (ends its sessions)")
    dis.add_argument("username")
    db_options(dis)
    dis.set_defaults(func=_disable)


def _directory(args):
    from hub.auth.operators import OperatorDirectory

    return OperatorDirectory(migrated_db(args))


def _read_password(args) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise ValueError("the two passwords differ")
    return first


def _by_name(directory, username: str):
    op = next((o for o in directory.all_operators() if o.username == username), None)
    if op is None:
        raise ValueError(f"no operator {username!r}")
    return op


def _add(args) -> int:
    directory = _directory(args)
    try:
        if args.role != "admin" and directory.count_admins() == 0:
            raise ValueError("create an admin first (--role admin)")
        op = directory.create(args.username, _read_password(args), role=args.role, scope_code=args.scope,
                              display_name=args.name, person_id=args.person)
    except ValueError as exc:
        print(f"operators add: {exc}", file=sys.stderr)
        return 2
    print(f"created {op.role} {op.username} scoped to {op.scope_code}")
    return 0


def _list(args) -> int:
    for op in _directory(args).all_operators():
        state = "disabled" if op.disabled else "active"
        print(f"{op.username}\t{op.role}\t{op.scope_code}\t{op.display_name}\t{state}")
    return 0


def _passwd(args) -> int:
    directory = _directory(args)
    try:
        directory.set_password(_by_name(directory, args.username).id, _read_password(args))
    except ValueError as exc:
        print(f"operators passwd: {exc}", file=sys.stderr)
        return 2
    print(f"password changed for {args.username}; its sessions have ended")
    return 0


def _disable(args) -> int:
    directory = _directory(args)
    try:
        directory.set_disabled(_by_name(directory, args.username).id, True)
    except ValueError as exc:
        print(f"operators disable: {exc}", file=sys.stderr)
        return 2
    print(f"disabled {args.username}")
    return 0
