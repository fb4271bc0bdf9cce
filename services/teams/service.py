"""The teams service's NATS wiring: its stream, the catalog, registrations and judging it follows, endpoints."""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from nats.aio.client import Client
from nats.js.errors import ObjectNotFoundError

from schemas.catalog import EventSpec
from schemas.errors import Rejected
from schemas.judging import JudgingEvent
from schemas.registration import ListRegistrations, RegistrationEvent, RegistrationList
from schemas.subjects import Judging, Registration, Teams
from schemas.teams import (
    MAX_PROJECT_PHOTO,
    ConfirmProposal,
    CreateTeam,
    DescribeProject,
    DisbandTeam,
    DiscardProposal,
    GetMembership,
    GetPlacementHistory,
    GetProjects,
    GetProposal,
    JoinTeam,
    LeaveTeam,
    LinkPeople,
    ListTeams,
    LockProposed,
    Membership,
    MoveProposed,
    PlacementHistory,
    ProjectList,
    ProjectPhoto,
    ProposalConfirmedReply,
    ProposalView,
    ProposeTeams,
    TeamList,
    TeamsEvent,
    UnlinkPeople,
)
from services.kit.catalog_reader import CatalogReader
from services.kit.client import call
from services.kit.endpoints import Endpoints
from services.kit.objects import object_store
from services.kit.store import EventStore, decided_on
from services.kit.team_formation import Formation, Person, Problem, form
from services.teams.formation import people_of, proposal_view
from services.teams.projects import decide_describe, photo_of, project_list
from services.teams.proposals import (
    decide_confirm,
    decide_discard,
    decide_link,
    decide_lock,
    decide_move,
    decide_propose,
    decide_unlink,
    proposal_problem,
)
from services.teams.rules import (
    STALE_REGISTRATION_KEYS,
    TeamsState,
    decide_create,
    decide_disband,
    decide_join,
    decide_leave,
    membership,
    organiser_placements,
    team_list,
    team_view,
)

# How long an upload the web dropped waits to be checked: far more than one request takes.
UPLOAD_TTL = 3600.0
# What a photo's dry run uses, so every rule but the photo's own is checked before it is read.
_SOME_PHOTO = ProjectPhoto(content_type="image/png", size=0, sha256="")


class TeamsService:
    name = "teams"

    def __init__(self) -> None:
        self.state = TeamsState()
        self.catalog = CatalogReader()

    async def start(self, nc: Client) -> None:
        self.nc = nc
        # The catalog's and registration's streams are read here, never written: the first says
        # each event's team size and challenges, the second who is a confirmed participant.
        await self.catalog.open(nc)
        self.registrations: EventStore[RegistrationEvent] = EventStore(
            nc, "registration", RegistrationEvent, lambda event, _subject: self.state.evolve_registration(event)
        )
        await self.registrations.open()
        # The judging stream, read only too: once an event's judging is closed, its teams are frozen.
        self.judging: EventStore[JudgingEvent] = EventStore(
            nc, "judging", JudgingEvent, lambda event, _subject: self.state.evolve_judging(event)
        )
        await self.judging.open()
        self.store: EventStore[TeamsEvent] = EventStore(
            nc, self.name, TeamsEvent, lambda event, _subject: self.state.evolve(event)
        )
        await self.store.open()
        # Project photos (this service's only writer), and the uploads the web drops for it.
        self.photos = await object_store(nc, Teams.PHOTOS_BUCKET)
        self.uploads = await object_store(nc, Teams.UPLOADS_BUCKET, ttl=UPLOAD_TTL)
        self.endpoints = Endpoints(nc, self.name, "Team formation: who works with whom on which challenge")
        handlers: list[tuple[str, object, Callable[..., Awaitable[Any]]]] = [
            (Teams.CREATE, CreateTeam, self.create),
            (Teams.JOIN, JoinTeam, self.join),
            (Teams.LEAVE, LeaveTeam, self.leave),
            (Teams.DISBAND, DisbandTeam, self.disband),
            (Teams.LIST, ListTeams, self.list),
            (Teams.MEMBERSHIP, GetMembership, self.membership),
            (Teams.HISTORY, GetPlacementHistory, self.history),
            (Teams.LINK, LinkPeople, self.link),
            (Teams.UNLINK, UnlinkPeople, self.unlink),
            (Teams.PROPOSE, ProposeTeams, self.propose),
            (Teams.MOVE, MoveProposed, self.move),
            (Teams.LOCK, LockProposed, self.lock),
            (Teams.CONFIRM, ConfirmProposal, self.confirm),
            (Teams.DISCARD, DiscardProposal, self.discard),
            (Teams.PROPOSAL, GetProposal, self.proposal),
            (Teams.DESCRIBE, DescribeProject, self.describe),
            (Teams.PROJECTS, GetProjects, self.projects),
        ]
        for subject, request_type, handler in handlers:
            self.endpoints.add(subject, request_type, handler)
        await self.endpoints.start()

    async def stop(self) -> None:
        await self.endpoints.stop()
        await self.store.close()
        await self.registrations.close()
        await self.judging.close()
        await self.catalog.close()

    # --- state from the streams ---

    async def _judging_current(self, slug: str) -> None:
        """Judging closes in another service: know its last word on this event before deciding or answering."""
        await self.judging.catch_up_subject(Judging.event_subject(slug))

    # --- appending ---

    async def _append(self, slug: str, decide: Callable[[], TeamsEvent | None], msg_id: str) -> None:
        """Decide on the current state and append (expected sequence, decided again on a race).

        A refusal that may come from a registration this instance has not read yet (just
        made, promoted or cancelled) is decided once more after catching up with that stream.
        """
        subject = Teams.event_subject(slug)
        await self._judging_current(slug)
        # Command ids are scoped to their event, in JetStream's de-duplication too.
        scoped = f"{slug}:{msg_id}"
        try:
            await self.store.append_decided(decided_on(subject, scoped, decide))
        except Rejected as rejected:
            if rejected.reply.key not in STALE_REGISTRATION_KEYS:
                raise
            await self.registrations.catch_up_all()
            await self.store.append_decided(decided_on(subject, scoped, decide))

    # --- commands ---

    async def create(self, command: CreateTeam) -> TeamList:
        """Answers with every team of the event: the caller finds its own by the id it chose."""
        spec = await self.catalog.spec(command.event)
        await self._append(
            spec.slug, lambda: decide_create(self.state, spec, command, datetime.now(UTC)), command.command_id
        )
        return team_list(self.state, spec)

    async def join(self, command: JoinTeam) -> Membership:
        spec = await self.catalog.spec(command.event)
        await self._append(
            spec.slug, lambda: decide_join(self.state, spec, command, datetime.now(UTC)), command.command_id
        )
        return membership(self.state, spec, command.registration)

    async def leave(self, command: LeaveTeam) -> Membership:
        spec = await self.catalog.spec(command.event)
        await self._append(
            spec.slug, lambda: decide_leave(self.state, spec, command, datetime.now(UTC)), command.command_id
        )
        return membership(self.state, spec, command.registration)

    async def disband(self, command: DisbandTeam) -> TeamList:
        spec = await self.catalog.spec(command.event)
        await self._append(
            spec.slug, lambda: decide_disband(self.state, spec, command, datetime.now(UTC)), command.command_id
        )
        return team_list(self.state, spec)

    # --- formation: links, the draft proposal, its confirmation ---

    async def _people(self, spec: EventSpec) -> dict[str, Person]:
        """The registrations' answers as formation reads them: asked each time, never kept (they are erasable)."""
        found = await call(self.nc, Registration.LIST, ListRegistrations(event=spec.slug), RegistrationList)
        return people_of(spec, found.registrations)

    async def _current(self, slug: str) -> None:
        """Who is a confirmed participant, and whether judging is closed, as of now: formation weighs everyone."""
        await self.registrations.catch_up_all()
        await self._judging_current(slug)

    async def _proposal(self, spec: EventSpec) -> ProposalView:
        return proposal_view(self.state, spec, await self._people(spec))

    async def link(self, command: LinkPeople) -> ProposalView:
        spec = await self.catalog.spec(command.event)
        await self._current(spec.slug)
        await self._append(
            spec.slug, lambda: decide_link(self.state, spec, command, datetime.now(UTC)), command.command_id
        )
        return await self._proposal(spec)

    async def unlink(self, command: UnlinkPeople) -> ProposalView:
        spec = await self.catalog.spec(command.event)
        await self._append(
            spec.slug, lambda: decide_unlink(self.state, spec, command, datetime.now(UTC)), command.command_id
        )
        return await self._proposal(spec)

    async def propose(self, command: ProposeTeams) -> ProposalView:
        spec = await self.catalog.spec(command.event)
        await self._current(spec.slug)
        people = await self._people(spec)
        # A thousand people take a second or two to form: done ahead in a thread, so this instance
        # keeps answering meanwhile; the decision reuses it unless the state moved in between.
        ahead: dict[tuple[Problem, int], Formation] = {}
        try:
            problem, seed, _locked = proposal_problem(self.state, spec, command, people)
            ahead[problem, seed] = await asyncio.to_thread(form, problem, seed)
        except Rejected:
            pass  # decided again below, where the refusal is answered

        def formed(problem: Problem, seed: int) -> Formation:
            return ahead.get((problem, seed)) or form(problem, seed)

        await self._append(
            spec.slug,
            lambda: decide_propose(self.state, spec, command, datetime.now(UTC), people, formed),
            command.command_id,
        )
        return proposal_view(self.state, spec, people)

    async def move(self, command: MoveProposed) -> ProposalView:
        spec = await self.catalog.spec(command.event)
        await self._append(
            spec.slug, lambda: decide_move(self.state, spec, command, datetime.now(UTC)), command.command_id
        )
        return await self._proposal(spec)

    async def lock(self, command: LockProposed) -> ProposalView:
        spec = await self.catalog.spec(command.event)
        await self._append(
            spec.slug, lambda: decide_lock(self.state, spec, command, datetime.now(UTC)), command.command_id
        )
        return await self._proposal(spec)

    async def discard(self, command: DiscardProposal) -> ProposalView:
        spec = await self.catalog.spec(command.event)
        await self._append(
            spec.slug, lambda: decide_discard(self.state, spec, command, datetime.now(UTC)), command.command_id
        )
        return await self._proposal(spec)

    async def confirm(self, command: ConfirmProposal) -> ProposalConfirmedReply:
        """The teams made and topped up, and who was left out and why (a repeat: the first confirmation's)."""
        spec = await self.catalog.spec(command.event)
        await self._current(spec.slug)
        await self._append(
            spec.slug, lambda: decide_confirm(self.state, spec, command, datetime.now(UTC)), command.command_id
        )
        teams = self.state.of(spec.slug)
        confirmed = teams.confirmations[command.command_id]
        made = [teams.team(t.team_id) for t in confirmed.teams]
        return ProposalConfirmedReply(
            event=spec.slug,
            teams=[team_view(self.state, t) for t in made if t is not None],
            left_out=confirmed.left_out,
        )

    # --- projects (issue 14) ---

    async def describe(self, command: DescribeProject) -> ProjectList:
        """A member's project; a photo is checked and kept (named by its digest) before the event names it."""
        spec = await self.catalog.spec(command.event)
        await self._judging_current(spec.slug)
        photo: ProjectPhoto | None = None
        if command.photo_upload is not None:
            # A repeat, or a refusal of the texts, is answered without reading the photo.
            if decide_describe(self.state, spec, command, datetime.now(UTC), _SOME_PHOTO) is None:
                return project_list(self.state, spec, datetime.now(UTC))
            photo = await self._kept_photo(spec.slug, command.team_id, command.photo_upload)
        await self._append(
            spec.slug, lambda: decide_describe(self.state, spec, command, datetime.now(UTC), photo), command.command_id
        )
        if command.photo_upload is not None:
            with contextlib.suppress(Exception):  # forgotten after UPLOAD_TTL anyway
                await self.uploads.delete(command.photo_upload)
        return project_list(self.state, spec, datetime.now(UTC))

    async def _kept_photo(self, slug: str, team_id: str, upload: str) -> ProjectPhoto:
        """The upload checked (size first, then its first bytes) and copied into the photos bucket."""
        try:
            info = await self.uploads.get_info(upload)
            if (info.size or 0) > MAX_PROJECT_PHOTO:
                raise Rejected("invalid", "The photo is over 2 MB", "photo", key="project_photo_too_big")
            data = (await self.uploads.get(upload)).data or b""
        except ObjectNotFoundError as missing:
            raise Rejected(
                "invalid", "The photo was not received: send it again", "photo", key="project_photo_lost"
            ) from missing
        photo = photo_of(data)
        # Named by its digest: an older event names the older photo, and a refused append leaves
        # only an object nothing names.
        await self.photos.put(Teams.photo_object(slug, team_id, photo.sha256), data)
        return photo

    async def projects(self, query: GetProjects) -> ProjectList:
        spec = await self.catalog.spec(query.event)
        await self._judging_current(spec.slug)
        return project_list(self.state, spec, datetime.now(UTC))

    # --- queries ---

    async def proposal(self, query: GetProposal) -> ProposalView:
        spec = await self.catalog.spec(query.event)
        await self._current(spec.slug)
        return await self._proposal(spec)

    async def history(self, query: GetPlacementHistory) -> PlacementHistory:
        """Organisers' placements and removals, read from the stream (no record of its own)."""
        stored = await self.store.history(Teams.event_subject(query.event))
        return PlacementHistory(placements=organiser_placements([event for event, _subject in stored]))

    async def list(self, query: ListTeams) -> TeamList:
        spec = await self.catalog.spec(query.event)
        if query.with_unplaced:
            # Who is unplaced depends on registrations: the organiser sees those made a moment ago.
            await self.registrations.catch_up_all()
        await self._judging_current(spec.slug)
        return team_list(self.state, spec, query.with_unplaced)

    async def membership(self, query: GetMembership) -> Membership:
        """Where a person stands, with whether they may be in a team as of their registration now
        (just made, promoted or cancelled: the page that follows says so)."""
        spec = await self.catalog.spec(query.event)
        await self.registrations.catch_up_all()
        await self._judging_current(spec.slug)
        return membership(self.state, spec, query.registration)
