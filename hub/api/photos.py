from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path
from fastapi.responses import FileResponse

from .deps import StoreDep

router = APIRouter(prefix="/photos", tags=["photos"])


@router.get("/{sha256}", response_class=FileResponse,
            responses={200: {"content": {"image/jpeg": {}, "image/png": {}}}, 404: {}})
def get_photo(sha256: Annotated[str, Path(pattern=r"^[0-9a-f]{64}$")], store: StoreDep) -> FileResponse:
    """The photo's bytes. Content-addressed, so it can be cached forever."""
    photo = store.get_photo(sha256)
    if photo is None:
        raise HTTPException(404, "no such photo (not uploaded, or not complete yet)")
    path = store.photo_file(photo)
    if not path.is_file():
        raise HTTPException(404, "photo recorded but its file is missing")
    return FileResponse(path, media_type=photo.mime, headers={"Cache-Control": "public, max-age=31536000, immutable"})
