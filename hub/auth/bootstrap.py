"""The demo's own admin: created on its first start with a random password printed once, never a default.

Production deployments make their first admin with ``gridline hub operators add ... --role admin``; the demo
does it for the user so that ``gridline demo`` is usable at once, and signs its own API calls (the welcome
notices) with a session it opens in-process, so later starts need no password at all.
"""
from __future__ import annotations

import secrets

from hub.auth.operators import Operator, OperatorDirectory

DEMO_ADMIN = "admin"


def ensure_demo_admin(directory: OperatorDirectory, scope_code: str, username: str = DEMO_ADMIN,
                      person_id: str | None = None) -> tuple[Operator, str | None]:
    """The demo admin, and its password if it was created just now (None when it already existed)."""
    existing = directory.by_username(username)
    if existing is not None:
        return existing, None
    password = secrets.token_urlsafe(12)  # 16 characters, ~96 bits; shown once
    return directory.create(username, password, role="admin", scope_code=scope_code,
                            display_name="演示管理员 demo admin",
                            person_id=person_id), password
