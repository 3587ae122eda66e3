"""Shared by the device administration tests: operators created with one password, signed in by name."""
from __future__ import annotations

from collections.abc import Callable


def password_login(client, password: str) -> Callable[[str], dict]:
    """``login(username) -> headers``: signs in through ``POST /api/auth/login`` and returns the session as an
    ``Authorization: Bearer`` header; the client keeps no cookie, so each call acts as the operator it names."""
    def login(user: str) -> dict:
        response = client.post("/api/auth/login", json={"username": user, "password": password})
        assert response.status_code == 200, response.text
        client.cookies.clear()
        return {"Authorization": f"Bearer {response.json()['token']}"}
    return login
