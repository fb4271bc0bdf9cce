"""Project photos (issue 14) between the browser and the teams service's object stores.

A photo can be larger than one NATS message, so the web drops the upload in the teams service's
uploads bucket and names it in the command; the service checks it and keeps it in its photos
bucket, named by team and digest, which the web reads back to serve it. The web decides nothing
about a photo: what a project shows is what the teams service's ProjectList says.
"""

import hashlib

from litestar import Response
from litestar.datastructures import UploadFile
from litestar.exceptions import NotFoundException
from nats.js.errors import BucketNotFoundError, ObjectNotFoundError

from schemas.errors import ErrorReply
from schemas.subjects import Teams
from schemas.teams import MAX_PROJECT_PHOTO, ProjectView
from services.kit.client import ServiceError
from services.web.gateway import Gateway

# The photo's form, plus room for its texts: a larger body is refused before it is read (413).
MAX_PROJECT_BODY = MAX_PROJECT_PHOTO + 64 * 1024


async def drop_upload(gateway: Gateway, upload: object, command_id: str) -> str | None:
    """The upload's name in the uploads bucket, or None when the form sent no file.

    Named by the command and the bytes, so a double click names the same upload (and the
    command stays the same: the service takes it as a repeat). One byte more than a photo may
    have is enough for the service to refuse it as too big.
    """
    if not isinstance(upload, UploadFile):
        return None
    data = await upload.read(MAX_PROJECT_PHOTO + 1)
    if not data:
        return None
    name = f"{command_id}.{hashlib.sha256(data).hexdigest()[:32]}"
    try:
        store = await gateway.nc.jetstream().object_store(Teams.UPLOADS_BUCKET)
    except BucketNotFoundError as missing:
        # The teams service makes it when it starts: it has not started yet.
        reply = ErrorReply(code="unavailable", message="The teams service is not ready", key="unavailable")
        raise ServiceError(reply) from missing
    await store.put(name, data)
    return name


async def photo_response(gateway: Gateway, slug: str, project: ProjectView | None) -> Response[bytes]:
    """The project's photo, with the type the service found in its bytes; 404 when there is none."""
    if project is None or project.photo is None:
        raise NotFoundException()
    photo = project.photo
    try:
        store = await gateway.nc.jetstream().object_store(Teams.PHOTOS_BUCKET)
        found = await store.get(Teams.photo_object(slug, project.team_id, photo.sha256))
    except (BucketNotFoundError, ObjectNotFoundError) as missing:
        raise NotFoundException() from missing
    return Response(
        found.data or b"",
        media_type=photo.content_type,
        headers={
            "X-Content-Type-Options": "nosniff",
            # Only people with a link or a session see it: no shared cache keeps it.
            "Cache-Control": "private, max-age=300",
            "Content-Disposition": "inline",
        },
    )
