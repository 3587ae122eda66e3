"""Notices (居务公开): authored in the control room, versioned, fanned out to the kiosks of a unit's subtree."""
