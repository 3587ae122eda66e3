"""``GET /api/device/photos/{sha256}``: a phone fetches the full photo of a task it holds (the task carries only
thumbnails); a kiosk fetches the images of the 议事 topics delivered to it (the topic carries only their sha256). The
device signs in with its own broker account (HTTP Basic: device id and the password it was given at enrolment), not
with an operator session; it sees only photos of cases it holds an open task for and images of topics (not
withdrawn) whose unit subtree holds its kiosk (else 404)."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path
from fastapi.responses import FileResponse
from fastapi.security import HTTPBasic, HTTPBasicCredentials

from hub.api.deps import StoreDep
from hub.cases.device_photos import photo_for_device
from hub.devices.http_auth import device_password_ok

router = APIRouter(prefix="/device", tags=["device"])
_basic = HTTPBasic(auto_error=False, realm="gridline-device")
CHALLENGE = {"WWW-Authenticate": 'Basic realm="gridline-device"'}


def current_device(store: StoreDep,
                   credentials: Annotated[HTTPBasicCredentials | None, Depends(_basic)]) -> str:
    """The device id, once its broker password checks out; 401 otherwise (no hint whether the device exists)."""
    if credentials is None or not device_password_ok(store, credentials.username, credentials.password):
        raise HTTPException(401, "设备认证失败 / device credentials refused", headers=CHALLENGE)
    return credentials.username


@router.get("/photos/{sha256}", response_class=FileResponse,
            responses={200: {"content": {"image/jpeg": {}, "image/png": {}}}, 401: {}, 404: {}})
def device_photo(sha256: Annotated[str, Path(pattern=r"^[0-9a-f]{64}$")], store: StoreDep,
                 device_id: Annotated[str, Depends(current_device)]) -> FileResponse:
    """The photo's bytes, for a device holding an open task of a case that cites it, or a kiosk showing a topic
    that cites it."""
    found = photo_for_device(store, device_id, sha256)
    if found is None:
        raise HTTPException(404, "no such photo for this device (no open task or topic of it cites it, "
                                 "or not uploaded yet)")
    path, mime = found
    return FileResponse(path, media_type=mime, headers={"Cache-Control": "private, max-age=86400"})
