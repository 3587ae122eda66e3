"""Photos (faces blurred on the device) for signed-in operators who can see a device or case that
references them. Every view is audited."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path
from fastapi.responses import FileResponse

from hub.api.deps import StoreDep
from hub.auth.access_log import PERSONAL_READ
from hub.auth.http import ScopeDep

router = APIRouter(prefix="/photos", tags=["photos"])


@router.get("/{sha256}", response_class=FileResponse, openapi_extra=PERSONAL_READ,
            responses={200: {"content": {"image/jpeg": {}, "image/png": {}}}, 404: {}})
def get_photo(sha256: Annotated[str, Path(pattern=r"^[0-9a-f]{64}$")], store: StoreDep,
              scope: ScopeDep) -> FileResponse:
    """The photo's bytes. Content-addressed, so a browser may keep it - but privately: it is personal data."""
    photo = store.get_photo(sha256)
    if photo is None or not scope.sees_photo(photo):
        raise HTTPException(404, "no such photo (not uploaded, not complete yet, or not yours to see)")
    path = store.photo_file(photo)
    if not path.is_file():
        raise HTTPException(404, "photo recorded but its file is missing")
    return FileResponse(path, media_type=photo.mime, headers={"Cache-Control": "private, max-age=86400"})
