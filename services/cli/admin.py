"""The one-shot commands on a running Perche: `perche load` sends event files to the
catalog, `perche organiser create` makes (or resets) an organiser, `perche organisation create`
an organisation with its first owner; `perche up` makes sure there is an organiser."""

import os
import secrets
import sys
import uuid
from pathlib import Path

from schemas.catalog import (
    CountOrganisers,
    CreateOrganiser,
    DefineEvent,
    EventDefinedReply,
    OrganiserCount,
    OrganiserReply,
    kept_source,
)
from schemas.event_file import EventTextError, decode_event_toml
from schemas.organisations import DefineOrganisation, GrantMember, Organisation, OrganisationChanged
from schemas.subjects import Catalog
from services.kit.client import ServiceError, call
from services.kit.connection import connect
from services.kit.settings import Settings


async def load_events(nats_url: str, paths: list[Path], organisation: str | None = None, only_new: bool = False) -> int:
    """Send each file to the catalog; returns how many files were refused. The file is only decoded
    here (schemas); the catalog's own rules refuse the rest, as they do for the editor and the API.
    `only_new`: the files are seeds (`perche up`'s demo events): an event defined already, perhaps
    changed since by its organisers, is left as it is."""
    nc = await connect(nats_url, "loader", attempts=3)
    failures = 0
    try:
        for path in paths:
            try:
                text = path.read_text(encoding="utf-8")
                spec = decode_event_toml(text)
                reply = await call(
                    nc,
                    Catalog.DEFINE_EVENT,
                    # The text goes with it, so the editor shows the file's comments as written.
                    DefineEvent(
                        command_id=uuid.uuid4().hex,
                        spec=spec,
                        source=kept_source(text),
                        organisation=organisation,
                        create_only=only_new,
                    ),
                    EventDefinedReply,
                )
            except OSError as error:
                print(f"error: {path}: cannot read the file: {error.strerror}", file=sys.stderr)
                failures += 1
                continue
            except UnicodeDecodeError:
                print(f"error: {path}: not UTF-8 text", file=sys.stderr)
                failures += 1
                continue
            except EventTextError as error:
                print(f"error: {path}: {error}", file=sys.stderr)
                failures += 1
                continue
            except ServiceError as error:
                if only_new and error.reply.key == "event_exists":
                    print(f"{path}: event {spec.slug} kept as it is (defined already; `perche load` replaces it)")
                    continue
                field = f"field `{error.reply.field}`: " if error.reply.field else ""
                print(f"error: {path}: {field}{error.reply.message}", file=sys.stderr)
                failures += 1
                continue
            state = "updated" if reply.changed else "unchanged"
            print(f"{path}: event {reply.slug} {state} (revision {reply.revision})")
    finally:
        await nc.drain()
    return failures


async def create_organisation(nats_url: str, slug: str, name: str, name_en: str, owner: str) -> Organisation:
    """An organisation and its first owner (named by email: their account may come later)."""
    nc = await connect(nats_url, "admin", attempts=3)
    try:
        define = DefineOrganisation(command_id=uuid.uuid4().hex, slug=slug, name=name, name_en=name_en)
        await call(nc, Catalog.DEFINE_ORGANISATION, define, OrganisationChanged)
        grant = GrantMember(command_id=uuid.uuid4().hex, organisation=slug, email=owner, role="owner")
        return (await call(nc, Catalog.GRANT_MEMBER, grant, OrganisationChanged)).organisation
    finally:
        await nc.drain()


async def create_organiser(nats_url: str, email: str, password: str, replace: bool) -> OrganiserReply:
    nc = await connect(nats_url, "admin", attempts=3)
    try:
        command = CreateOrganiser(command_id=uuid.uuid4().hex, email=email, password=password, replace=replace)
        return await call(nc, Catalog.CREATE_ORGANISER, command, OrganiserReply, timeout=10)
    finally:
        await nc.drain()


async def ensure_an_organiser(nats_url: str, settings: Settings) -> None:
    """With PERCHE_ADMIN_*, make sure that organiser exists; else make a demo one once."""
    if settings.admin_email and settings.admin_password:
        await create_organiser(nats_url, settings.admin_email, settings.admin_password, replace=True)
        print(f"Organiser: {settings.admin_email} (password from PERCHE_ADMIN_PASSWORD)")
        return
    nc = await connect(nats_url, "admin")
    try:
        count = await call(nc, Catalog.COUNT_ORGANISERS, CountOrganisers(), OrganiserCount)
    finally:
        await nc.drain()
    if count.count:
        return
    password = secrets.token_urlsafe(12)
    email = "organisateur@perche.local"
    await create_organiser(nats_url, email, password, replace=False)
    note = settings.data_dir / "organiser-login.txt"
    note.write_text(f"{email}\n{password}\n")
    os.chmod(note, 0o600)
    print(f"First organiser created: {email} / {password} (also saved in {note})")
