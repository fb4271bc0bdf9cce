"""A speaker's private page (their mailed link, no account) and the speakers' photos.

The link's key is checked by the schedule service on every request: the page opens while the
invitation stands and until some days after the event; otherwise it says why, and nothing else.
"""

import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import FormMultiDict
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery

from schemas.catalog import EventSpec, Span
from schemas.errors import HTTP_STATUS, Rejected
from schemas.speakers import (
    AnswerInvitation,
    GetInvitation,
    GetSpeakers,
    InvitationView,
    SpeakerList,
)
from schemas.subjects import Schedule
from services.kit.client import ServiceError
from services.web.errors import error_text, form_refusals
from services.web.forms import command_id_of, form_text
from services.web.gateway import Gateway
from services.web.photos import MAX_PROJECT_BODY, drop_upload, object_response
from services.web.rendering import gettext_for, language_of, render

TEXTS = ("title", "title_en", "bio", "bio_en")
# Spans of availability the form offers (without JavaScript, a fixed number of rows).
SPANS = 3
LINK_REFUSED = {"speaker_link_unknown": 404, "speaker_link_expired": 410, "speaker_link_withdrawn": 410}


def availability_of(form: FormMultiDict, spec: EventSpec) -> list[Span]:
    """The spans the form gives, in the event's zone; a row with one end only, or unreadable, is refused."""
    zone = ZoneInfo(spec.timezone)
    spans: list[Span] = []
    for row in range(1, SPANS + 1):
        start, end = form_text(form, f"from_{row}", 40), form_text(form, f"to_{row}", 40)
        if not start and not end:
            continue
        try:
            starts, ends = datetime.fromisoformat(start), datetime.fromisoformat(end)
        except ValueError as bad:
            raise Rejected(
                "invalid", "Give each span's start and end", "availability", key="speaker_availability_bad"
            ) from bad
        spans.append(Span(starts_at=starts.replace(tzinfo=zone), ends_at=ends.replace(tzinfo=zone)))
    return spans


def local_input(moment: datetime, zone: str) -> str:
    """A moment as a datetime-local field shows it, in the event's zone."""
    return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M")


class SpeakerPages(Controller):
    include_in_schema = False

    async def _invitation(
        self, request: Request[Any, Any, Any], gateway: Gateway, slug: str, invitation: str, key: str
    ) -> InvitationView | Response[str]:
        """The invitation the link opens, or the page that says why it opens nothing."""
        query = GetInvitation(event=slug, invitation=invitation[:100], key=key[:200])
        try:
            return await gateway.call(Schedule.INVITATION, query, InvitationView)
        except ServiceError as error:
            key_of = error.reply.key or ""
            if key_of not in LINK_REFUSED and error.reply.code != "not_found":
                raise
            language = language_of(request)
            message = error_text(key_of or "speaker_link_unknown", error.reply.message, language)
            return render(request, "public/error.html", status_code=LINK_REFUSED.get(key_of, 404), message=message)

    @get("/speaker/{slug:str}/{invitation:str}", opt={"access": "speaker_link"})
    async def page(
        self,
        request: Request[Any, Any, Any],
        gateway: NamedDependency[Gateway],
        slug: FromPath[str],
        invitation: FromPath[str],
        key: FromQuery[str] = "",
    ) -> Response[str]:
        found = await self._invitation(request, gateway, slug, invitation, key)
        if isinstance(found, Response):
            return found
        return await self._page(request, gateway, found, key)

    async def _page(
        self,
        request: Request[Any, Any, Any],
        gateway: Gateway,
        found: InvitationView,
        key: str,
        errors: dict[str, str] | None = None,
        values: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Response[str]:
        spec = await gateway.event(found.event, include_unpublished=True)
        shown = values
        if shown is None:
            shown = {name: getattr(found, name) for name in TEXTS}
            shown["answer"] = found.answer or ""
            for row, span in enumerate(found.availability[:SPANS], start=1):
                shown[f"from_{row}"] = local_input(span.starts_at, spec.timezone)
                shown[f"to_{row}"] = local_input(span.ends_at, spec.timezone)
        return render(
            request,
            "public/speaker.html",
            status_code=status_code,
            event=spec,
            invitation=found,
            key=key,
            values=shown,
            errors=errors or {},
            spans=range(1, SPANS + 1),
            bounds=(local_input(spec.starts_at, spec.timezone), local_input(spec.ends_at, spec.timezone)),
            command_id=uuid.uuid4().hex,
            saved=request.query_params.get("saved", ""),
        )

    @post(
        "/speaker/{slug:str}/{invitation:str}",
        opt={"access": "speaker_link", "too_large": "project_photo_too_big"},
        # A photo is larger than any other form: this one form may carry up to 2 MB and its texts.
        request_max_body_size=MAX_PROJECT_BODY,
    )
    async def answer(
        self,
        request: Request[Any, Any, Any],
        gateway: NamedDependency[Gateway],
        slug: FromPath[str],
        invitation: FromPath[str],
    ) -> Response[Any]:
        form = await request.form()
        key = form_text(form, "key", 200)
        found = await self._invitation(request, gateway, slug, invitation, key)
        if isinstance(found, Response):
            return found
        language = language_of(request)
        spec = await gateway.event(slug, include_unpublished=True)
        # Not cut short: an overlong bio comes back with the error next to it, as typed.
        values = {name: str(form.get(name) or "") for name in TEXTS}
        values["answer"] = str(form.get("answer") or "")
        values.update(typed_rows(form))
        command_id = command_id_of(form)
        try:
            spans = availability_of(form, spec)
            if values["answer"] not in ("confirmed", "declined"):
                gettext = gettext_for(language)
                errors = {"answer": gettext("Dites si vous venez.")}
                return await self._page(request, gateway, found, key, errors, values, HTTP_STATUS["invalid"])
            command = AnswerInvitation(
                command_id=command_id,
                event=slug,
                invitation=found.invitation,
                key=key,
                answer="confirmed" if values["answer"] == "confirmed" else "declined",
                title=values["title"][:20_000],
                title_en=values["title_en"][:20_000],
                bio=values["bio"][:20_000],
                bio_en=values["bio_en"][:20_000],
                availability=spans,
                photo_upload=await drop_upload(
                    gateway, form.get("photo"), f"{slug}.{command_id}", Schedule.UPLOADS_BUCKET
                ),
                remove_photo=form.get("remove_photo") == "yes",
            )
            await gateway.call(Schedule.ANSWER_INVITATION, command, InvitationView)
        except (ServiceError, Rejected) as error:
            failure = error if isinstance(error, ServiceError) else ServiceError(error.reply)
            refusals = form_refusals(failure, language)
            known = (*TEXTS, "availability", "photo", "answer")
            errors = {r.field if r.field in known else "_form": r.message for r in reversed(refusals)}
            return await self._page(request, gateway, found, key, errors, values, refusals[0].status)
        suffix = "&lang=en" if request.query_params.get("lang") == "en" else ""
        return Response(
            "",
            status_code=303,
            headers={"Location": f"/speaker/{slug}/{found.invitation}?key={key}&saved={values['answer']}{suffix}"},
        )

    @get("/speaker/{slug:str}/{invitation:str}/photo", opt={"access": "speaker_link"})
    async def own_photo(
        self,
        request: Request[Any, Any, Any],
        gateway: NamedDependency[Gateway],
        slug: FromPath[str],
        invitation: FromPath[str],
        key: FromQuery[str] = "",
    ) -> Response[Any]:
        found = await self._invitation(request, gateway, slug, invitation, key)
        if isinstance(found, Response) or found.photo is None:
            raise NotFoundException()
        name = Schedule.photo_object(slug, found.invitation, found.photo.sha256)
        return await object_response(
            gateway, Schedule.PHOTOS_BUCKET, name, found.photo.content_type, "private, max-age=300"
        )

    @get("/e/{slug:str}/speakers/{invitation:str}/photo", opt={"access": "public"})
    async def photo(
        self, gateway: NamedDependency[Gateway], slug: FromPath[str], invitation: FromPath[str]
    ) -> Response[bytes]:
        """A confirmed speaker's photo, resized; named by its digest in the page, so it may be cached."""
        listed = await gateway.call(Schedule.SPEAKERS, GetSpeakers(event=slug), SpeakerList)
        speaker = next((s for s in listed.speakers if s.invitation == invitation), None)
        if speaker is None or speaker.photo is None:
            raise NotFoundException()
        name = Schedule.photo_object(slug, invitation, speaker.photo.sha256)
        return await object_response(
            gateway, Schedule.PHOTOS_BUCKET, name, speaker.photo.content_type, "public, max-age=3600"
        )


def typed_rows(form: FormMultiDict) -> dict[str, str]:
    """The availability rows as typed, for the form shown again."""
    rows = range(1, SPANS + 1)
    return {f"{side}_{row}": form_text(form, f"{side}_{row}", 40) for row in rows for side in ("from", "to")}
