"""The iCal feeds: whole agenda, per room and per person, answering 304 when nothing changed."""

from typing import Any

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, FromQuery

from schemas.schedule import GetFeed
from schemas.speakers import GetInvitation, InvitationView
from schemas.subjects import Schedule
from services.kit.client import ServiceError
from services.web.agenda.cache import AGENDA_CACHE, AgendaCache, Polled
from services.web.gateway import Gateway
from services.web.views import error_responses

# Calendar apps poll with If-None-Match; errors are the HTML pages a person would see.
FEED_ERRORS = {
    304: ResponseSpec(None, description="Not modified since the ETag sent in If-None-Match."),
    **error_responses(404, 503, media_type="text/html"),
}
PERSONAL_FEED_ERRORS = {
    **FEED_ERRORS,
    **error_responses(403, media_type="text/html"),
    410: ResponseSpec(None, description="The person's data was erased: this feed is gone for good."),
}


class CalendarFeeds(Controller):
    """iCal feeds for calendar apps: whole agenda, one room, one person (private link)."""

    tags = ["calendar"]
    dependencies = AGENDA_CACHE

    @get(
        "/e/{slug:str}/calendar.ics",
        summary="The event's whole agenda as an iCalendar feed",
        exclude_from_csrf=True,
        media_type="text/calendar",
        responses=FEED_ERRORS,
        opt={"access": "public"},
    )
    async def public_feed(
        self,
        request: Request[Any, Any, Any],
        gateway: NamedDependency[Gateway],
        agenda_cache: NamedDependency[AgendaCache],
        slug: FromPath[str],
    ) -> Response[bytes]:
        polled = Polled(request, gateway.base_url)
        query = GetFeed(event=slug, language=polled.language(request), base_url=polled.base)  # type: ignore[arg-type]
        return polled.respond(await agenda_cache.feed(gateway, query, f"{slug}.ics"))

    @get(
        "/e/{slug:str}/rooms/{room:str}/calendar.ics",
        summary="One room's agenda, for the screen at its door",
        exclude_from_csrf=True,
        media_type="text/calendar",
        responses=FEED_ERRORS,
        opt={"access": "public"},
    )
    async def room_feed(
        self,
        request: Request[Any, Any, Any],
        gateway: NamedDependency[Gateway],
        agenda_cache: NamedDependency[AgendaCache],
        slug: FromPath[str],
        room: FromPath[str],
    ) -> Response[bytes]:
        polled = Polled(request, gateway.base_url)
        language = polled.language(request)
        query = GetFeed(event=slug, kind="room", room=room, language=language, base_url=polled.base)  # type: ignore[arg-type]
        return polled.respond(await agenda_cache.feed(gateway, query, f"{slug}-{room}.ics"))

    @get(
        "/r/{registration_id:str}/calendar.ics",
        summary="A person's own items (private link from their registration)",
        exclude_from_csrf=True,
        media_type="text/calendar",
        responses=PERSONAL_FEED_ERRORS,
        opt={"access": "participant_link"},
    )
    async def personal_feed(
        self,
        request: Request[Any, Any, Any],
        gateway: NamedDependency[Gateway],
        agenda_cache: NamedDependency[AgendaCache],
        registration_id: FromPath[str],
        token: FromQuery[str] = "",
    ) -> Response[bytes]:
        polled = Polled(request, gateway.base_url)
        holder = await agenda_cache.holder(gateway, registration_id, token)
        if holder.erased:
            # Nothing of the person is kept: the feed is gone for good, and says so to calendar apps.
            return Response(b"", status_code=410, headers={"Cache-Control": "no-store"})
        query = GetFeed(
            event=holder.event,
            kind="person",
            registration=holder.registration_id,
            category=holder.category,
            # Cancelled: the feed keeps answering, every item cancelled, so calendar apps strike them out.
            cancelled_at=holder.cancelled_at if holder.status == "cancelled" else None,
            language=polled.language(request, holder.language),  # type: ignore[arg-type]
            base_url=polled.base,
        )
        return polled.respond(await agenda_cache.feed(gateway, query, f"{holder.event}.ics"))

    @get(
        "/speaker/{slug:str}/{invitation:str}/calendar.ics",
        summary="An invited speaker's own items (private link from their invitation)",
        exclude_from_csrf=True,
        media_type="text/calendar",
        responses=PERSONAL_FEED_ERRORS,
        opt={"access": "speaker_link"},
        include_in_schema=False,
    )
    async def speaker_feed(
        self,
        request: Request[Any, Any, Any],
        gateway: NamedDependency[Gateway],
        agenda_cache: NamedDependency[AgendaCache],
        slug: FromPath[str],
        invitation: FromPath[str],
        key: FromQuery[str] = "",
    ) -> Response[bytes]:
        """The sessions for speakers and those of the agenda person the organiser named in the invitation."""
        polled = Polled(request, gateway.base_url)
        try:
            query = GetInvitation(event=slug, invitation=invitation[:100], key=key[:200])
            found = await gateway.call(Schedule.INVITATION, query, InvitationView)
        except ServiceError as error:
            if error.reply.key in ("speaker_link_expired", "speaker_link_withdrawn"):
                return Response(b"", status_code=410, headers={"Cache-Control": "no-store"})
            if error.reply.code in ("not_found", "invalid"):
                return Response(b"", status_code=404, headers={"Cache-Control": "no-store"})
            raise
        feed = GetFeed(
            event=slug,
            kind="speaker",
            # Without an agenda person, only the sessions meant for speakers (and everyone).
            person=found.contributor or f"invitation-{found.invitation}",
            language=polled.language(request, found.language),  # type: ignore[arg-type]
            base_url=polled.base,
        )
        return polled.respond(await agenda_cache.feed(gateway, feed, f"{slug}.ics"))
