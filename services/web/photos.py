"""Photos between the browser and the services' object stores: projects (issue 14, the teams
service) and speakers (issue 15, the schedule service, which keeps them resized).

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


async def drop_upload(
    gateway: Gateway, upload: object, command_id: str, bucket: str = Teams.UPLOADS_BUCKET
) -> str | None:
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
        store = await gateway.nc.jetstream().object_store(bucket)
    except BucketNotFoundError as missing:
        # The service that checks it makes it when it starts: it has not started yet.
        reply = ErrorReply(code="unavailable", message="The service is not ready", key="unavailable")
        raise ServiceError(reply) from missing
    await store.put(name, data)
    return name


async def photo_response(gateway: Gateway, slug: str, project: ProjectView | None) -> Response[bytes]:
    """The project's photo, with the type the service found in its bytes; 404 when there is none."""
    if project is None or project.photo is None:
        raise NotFoundException()
    photo = project.photo
    name = Teams.photo_object(slug, project.team_id, photo.sha256)
    # Only people with a link or a session see it: no shared cache keeps it.
    return await object_response(gateway, Teams.PHOTOS_BUCKET, name, photo.content_type, "private, max-age=300")


async def object_response(
    gateway: Gateway, bucket: str, name: str, content_type: str, cache_control: str
) -> Response[bytes]:
    """A kept photo's bytes with the type its service found in them; 404 when it is not there."""
    try:
        store = await gateway.nc.jetstream().object_store(bucket)
        found = await store.get(name)
    except (BucketNotFoundError, ObjectNotFoundError) as missing:
        raise NotFoundException() from missing
    return Response(
        found.data or b"",
        media_type=content_type,
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": cache_control, "Content-Disposition": "inline"},
    )
