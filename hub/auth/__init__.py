"""Operators of the control room: password sign-in, sessions, roles scoped to a subtree of the hierarchy."""
