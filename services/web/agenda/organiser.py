"""Organisers edit the draft agenda, generate pitch rounds and release, from pages without JavaScript."""

import asyncio
import re
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any, get_args
from zoneinfo import ZoneInfo

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import FormMultiDict
from litestar.di import NamedDependency
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from schemas.catalog import RoomSpec, SessionKind, Span
from schemas.errors import ErrorKey
from schemas.notify import CountReleaseRecipients, ReleaseRecipients
from schemas.schedule import (
    Agenda,
    AgendaView,
    Contributor,
    DraftView,
    Edit,
    EditDraft,
    GenerateRounds,
    GetAgenda,
    GetDraft,
    ListReleases,
    PutContributor,
    PutRoom,
    PutSession,
    PutTeam,
    ReleaseAgenda,
    ReleaseList,
    RemoveContributor,
    RemoveRoom,
    RemoveSession,
    RemoveTeam,
    Session,
    Team,
)
from schemas.subjects import Notify, Schedule, Teams
from schemas.teams import ListTeams, TeamList, TeamView
from services.kit.client import ServiceError
from services.web.agenda.shaping import by_day
from services.web.errors import Refusal, error_text, form_refusal
from services.web.forms import command_id_of, form_text, slugify
from services.web.gateway import Gateway
from services.web.rendering import language_of, render

# The kinds a session may have, in the order the editor offers them.
KINDS: tuple[SessionKind, ...] = get_args(SessionKind)


def _new_id(text: str) -> str:
    """A new item's id: readable, never reused, never a position (calendar UIDs derive from it)."""
    return f"{slugify(text, 30)}-{uuid.uuid4().hex[:6]}"


class FormProblem(Exception):
    """A field the service would not even be asked about (no title, a time that is not one)."""

    def __init__(self, key: ErrorKey, field: str) -> None:
        super().__init__(key)
        self.key, self.field = key, field

    def refusal(self, language: str) -> Refusal:
        return Refusal(self.field, error_text(self.key, self.key, language), 422)


def _when(form: FormMultiDict, name: str) -> datetime:
    """A naive local time: the schedule service reads it in the event's zone."""
    value = form_text(form, name)
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise FormProblem("agenda_bad_time", name) from None


def _int(form: FormMultiDict, name: str, default: int) -> int:
    value = form_text(form, name)
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise FormProblem("agenda_bad_number", name) from None


def _words(value: str) -> list[str]:
    return [w for w in re.split(r"[\s,;]+", value) if w]


def session_from_form(form: FormMultiDict) -> Session:
    title = form_text(form, "title")
    if not title:
        raise FormProblem("agenda_title_required", "title")
    kind = form_text(form, "kind")
    audience = form_text(form, "audience")
    return Session(
        id=form_text(form, "id", 80) or _new_id(title),
        title=title,
        title_en=form_text(form, "title_en"),
        kind=kind if kind in KINDS else "other",
        starts_at=_when(form, "starts_at"),
        ends_at=_when(form, "ends_at"),
        room=form_text(form, "room") or None,
        people=[str(p) for p in form.getall("people", []) if p],
        team=form_text(form, "team") or None,
        audience=audience if audience in ("everyone", "participants", "jurors", "speakers") else "everyone",  # type: ignore[arg-type]
        description=form_text(form, "description", 20_000),
        description_en=form_text(form, "description_en", 20_000),
        cancelled=form.get("cancelled") == "yes",
    )


def room_from_form(form: FormMultiDict) -> RoomSpec:
    name = form_text(form, "name")
    if not name:
        raise FormProblem("agenda_name_required", "name")
    capacity = _int(form, "capacity", -1)
    return RoomSpec(
        id=form_text(form, "id", 40) or _new_id(name),
        name=name,
        name_en=form_text(form, "name_en"),
        location=form_text(form, "location"),
        location_en=form_text(form, "location_en"),
        capacity=None if capacity < 0 else capacity,
    )


def contributor_from_form(form: FormMultiDict) -> Contributor:
    name = form_text(form, "name")
    if not name:
        raise FormProblem("agenda_name_required", "name")
    availability = []
    if form_text(form, "available_from") or form_text(form, "available_until"):
        availability.append(Span(starts_at=_when(form, "available_from"), ends_at=_when(form, "available_until")))
    return Contributor(
        id=form_text(form, "id", 40) or _new_id(name),
        name=name,
        name_en=form_text(form, "name_en"),
        role="juror" if form.get("role") == "juror" else "speaker",
        registration=form_text(form, "registration", 100) or None,
        availability=availability,
        conflicts=[str(t) for t in form.getall("conflicts", []) if t],
    )


def team_from_form(form: FormMultiDict) -> Team:
    name = form_text(form, "name")
    if not name:
        raise FormProblem("agenda_name_required", "name")
    return Team(
        id=form_text(form, "id", 40) or _new_id(name), name=name, members=_words(form_text(form, "members", 5000))
    )


def teams_import(formed: list[TeamView], agenda: Agenda) -> list[Edit]:
    """Put every formed team; drop the agenda's other teams unless a session still names them."""
    kept = {t.id for t in formed} | {s.team for s in agenda.sessions if s.team}
    edits: list[Edit] = [RemoveTeam(id=t.id) for t in agenda.teams if t.id not in kept]
    edits += [PutTeam(team=Team(id=t.id, name=t.name, members=t.members)) for t in formed]
    return edits


def rounds_from_form(
    form: FormMultiDict,
    slug: str,
    organiser: str,
    registered_jurors: list[str] | None = None,
    registered_conflicts: dict[str, list[str]] | None = None,
) -> GenerateRounds:
    seed = form_text(form, "seed")
    return GenerateRounds(
        command_id=command_id_of(form),
        event=slug,
        by_organiser=organiser,
        registered_jurors=registered_jurors,
        registered_conflicts=registered_conflicts or {},
        starts_at=_when(form, "starts_at"),
        rooms=[str(r) for r in form.getall("rooms", []) if r],
        jurors_per_team=_int(form, "jurors_per_team", 3),
        pitch_minutes=_int(form, "pitch_minutes", 10),
        changeover_minutes=_int(form, "changeover_minutes", 5),
        break_every=_int(form, "break_every", 0),
        break_minutes=_int(form, "break_minutes", 15),
        deliberation_minutes=_int(form, "deliberation_minutes", 0),
        deliberation_room=form_text(form, "deliberation_room") or None,
        seed=int(seed) if seed.lstrip("-").isdigit() else None,
        replace=[str(s) for s in form.getall("replace", []) if s],
    )


def _local_input(moment: datetime | None, zone: str) -> str:
    """The value of a datetime-local field."""
    return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M") if moment else ""


Edits = Callable[[FormMultiDict], list[Edit]]


def _putting(path: str, make: Edits, anchor: str) -> HTTPRouteHandler:
    """The route that puts one item into the draft from its form."""

    async def put(
        self: "OrganiserAgenda", request: Request[Any, Any, Any], gateway: NamedDependency[Gateway], slug: FromPath[str]
    ) -> Response[Any]:
        return await self._edit(request, gateway, slug, make, anchor)

    return post(path)(put)


def _removing(path: str, removal: Callable[[str], Edit], anchor: str) -> HTTPRouteHandler:
    """The route that removes one item, named by its id in the path, from the draft."""

    async def remove(
        self: "OrganiserAgenda",
        request: Request[Any, Any, Any],
        gateway: NamedDependency[Gateway],
        slug: FromPath[str],
        ident: FromPath[str],
    ) -> Response[Any]:
        return await self._edit(request, gateway, slug, lambda form: [removal(ident)], anchor)

    return post(path)(remove)


async def _told(gateway: Gateway, draft: DraftView) -> ReleaseRecipients | None:
    """Whom releasing the draft would mail, as notify decides it; None when notify does not answer
    (the page then says it less precisely)."""
    if not draft.pending or not draft.released_version:
        return None  # the first release mails nobody: the page says so
    try:
        released = await gateway.call(
            Schedule.AGENDA, GetAgenda(event=draft.event, include_unpublished=True), AgendaView
        )
        query = CountReleaseRecipients(
            event=draft.event,
            changes=draft.pending,
            agenda=draft.agenda,
            released=released.agenda,
            version=draft.released_version + 1,
        )
        return await gateway.call(Notify.RELEASE_RECIPIENTS, query, ReleaseRecipients)
    except ServiceError:
        return None


class OrganiserAgenda(Controller):
    path = "/organiser/e/{slug:str}/agenda"
    include_in_schema = False
    # Who may use these pages (services/web/access.py); a handler may say otherwise.
    opt = {"access": "organiser"}

    async def _page(
        self,
        request: Request[Any, Any, Any],
        gateway: Gateway,
        slug: str,
        refused: Refusal | None = None,
        edit: str = "",
    ) -> Response[str]:
        spec = await gateway.event(slug, include_unpublished=True)
        draft, releases, formed, jurors = await asyncio.gather(
            gateway.call(Schedule.DRAFT, GetDraft(event=slug), DraftView),
            gateway.call(Schedule.RELEASES, ListReleases(event=slug), ReleaseList),
            gateway.call(Teams.LIST, ListTeams(event=slug), TeamList),
            gateway.jurors(spec),
        )
        editing = next((s for s in draft.agenda.sessions if s.id == edit), None)
        told = await _told(gateway, draft)
        zone = spec.timezone
        return render(
            request,
            "organiser/agenda.html",
            # One message above the page's forms: the editor has a form per item, so no field is marked.
            status_code=refused.status if refused else 200,
            organiser=request.state.organiser,
            event=spec,
            draft=draft,
            agenda=draft.agenda,
            releases=releases.releases,
            days=by_day(draft.agenda.sessions, zone),
            conflicted={i for issue in draft.issues for i in issue.sessions},
            editing=editing,
            local=lambda moment: _local_input(moment, zone),
            kinds=KINDS,
            # The agenda names registered jurors by registration only (the log keeps no names).
            names={j.id: j.name for j in jurors},
            error=refused.message if refused else None,
            command_id=uuid.uuid4().hex,
            default_start=_local_input(spec.starts_at, zone),
            formed_teams=formed.teams,
            told=told,
        )

    @get("/")
    async def show(
        self,
        request: Request[Any, Any, Any],
        gateway: NamedDependency[Gateway],
        slug: FromPath[str],
        edit: FromQuery[str] = "",
    ) -> Response[str]:
        return await self._page(request, gateway, slug, edit=edit)

    async def _edit(
        self, request: Request[Any, Any, Any], gateway: Gateway, slug: str, make: Edits, anchor: str = ""
    ) -> Response[Any]:
        form = await request.form()
        try:
            edits = make(form)
        except FormProblem as problem:
            return await self._page(request, gateway, slug, problem.refusal(language_of(request)))
        except (msgspec.ValidationError, ValueError) as problem:
            return await self._page(request, gateway, slug, Refusal(None, str(problem), 422))
        command = EditDraft(
            command_id=command_id_of(form),
            event=slug,
            by_organiser=request.state.organiser[0],
            edits=edits,
        )
        return await self._send(request, gateway, slug, Schedule.EDIT, command, DraftView, anchor)

    async def _send(
        self,
        request: Request[Any, Any, Any],
        gateway: Gateway,
        slug: str,
        subject: str,
        command: msgspec.Struct,
        reply: type[msgspec.Struct],
        anchor: str = "",
    ) -> Response[Any]:
        try:
            await gateway.call(subject, command, reply)
        except ServiceError as failure:
            return await self._page(request, gateway, slug, form_refusal(failure, language_of(request)))
        return Redirect(f"/organiser/e/{slug}/agenda{anchor}", status_code=303)

    # Each item is put from its own form, or removed by its id; the page comes back at its section.
    put_session = _putting("/session", lambda form: [PutSession(session=session_from_form(form))], "#sessions")
    remove_session = _removing("/session/{ident:str}/remove", lambda ident: RemoveSession(id=ident), "#sessions")
    put_room = _putting("/room", lambda form: [PutRoom(room=room_from_form(form))], "#rooms")
    remove_room = _removing("/room/{ident:str}/remove", lambda ident: RemoveRoom(id=ident), "#rooms")
    put_person = _putting("/person", lambda form: [PutContributor(contributor=contributor_from_form(form))], "#people")
    remove_person = _removing("/person/{ident:str}/remove", lambda ident: RemoveContributor(id=ident), "#people")
    put_team = _putting("/team", lambda form: [PutTeam(team=team_from_form(form))], "#teams")
    remove_team = _removing("/team/{ident:str}/remove", lambda ident: RemoveTeam(id=ident), "#teams")

    @post("/teams/import")
    async def import_teams(
        self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway], slug: FromPath[str]
    ) -> Response[Any]:
        """The agenda's teams become the teams formed by the participants, members included,
        so pitch rounds use them and members' calendars list their pitch."""
        formed, draft = await asyncio.gather(
            gateway.call(Teams.LIST, ListTeams(event=slug), TeamList),
            gateway.call(Schedule.DRAFT, GetDraft(event=slug), DraftView),
        )
        return await self._edit(request, gateway, slug, lambda form: teams_import(formed.teams, draft.agenda), "#teams")

    @post("/rounds")
    async def rounds(
        self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway], slug: FromPath[str]
    ) -> Response[Any]:
        form = await request.form()
        # The jurors registered on the jury page judge too, with the agenda's own.
        registered = await gateway.jurors(await gateway.event(slug, include_unpublished=True))
        # Their conflicts of interest too: no panel seats a juror before a team they may not judge.
        conflicts = await gateway.conflicts(slug, registered)
        try:
            command = rounds_from_form(form, slug, request.state.organiser[0], [j.id for j in registered], conflicts)
        except FormProblem as problem:
            return await self._page(request, gateway, slug, problem.refusal(language_of(request)))
        except msgspec.ValidationError as problem:
            return await self._page(request, gateway, slug, Refusal(None, str(problem), 422))
        return await self._send(request, gateway, slug, Schedule.GENERATE_ROUNDS, command, DraftView, "#sessions")

    @post("/release")
    async def release(
        self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway], slug: FromPath[str]
    ) -> Response[Any]:
        form = await request.form()
        command = ReleaseAgenda(
            command_id=command_id_of(form),
            event=slug,
            by_organiser=request.state.organiser[0],
            note=form_text(form, "note", 2000),
            note_en=form_text(form, "note_en", 2000),
            accept_conflicts=form.get("accept_conflicts") == "yes",
        )
        return await self._send(request, gateway, slug, Schedule.RELEASE, command, AgendaView, "#releases")
