"""Which photos a device may fetch in full: those of cases it currently holds an open task for (its own report's
photos come back to it only that way too), and on a kiosk the images of the 议事 topics delivered to it (the topic's
unit subtree holds the kiosk's binding, the topic not withdrawn: ``hub.deliberation.repo.kiosk_shows_image``).
Everything else reads as absent, never as forbidden."""
from __future__ import annotations

from pathlib import Path

from hub.cases import task_photos_repo
from hub.deliberation import repo as deliberation_repo
from hub.store import HubStore


def photo_for_device(store: HubStore, device_id: str, sha256: str) -> tuple[Path, str] | None:
    """(file, mime) of the photo if the device holds an open task citing it, or is a kiosk showing a topic citing
    it, and the hub has the whole photo."""
    with store.read() as conn:
        if not (task_photos_repo.device_holds_photo(conn, device_id, sha256)
                or deliberation_repo.kiosk_shows_image(conn, device_id, sha256)):
            return None
    photo = store.get_photo(sha256)
    if photo is None:
        return None
    path = store.photo_file(photo)
    return (path, photo.mime) if path.is_file() else None
