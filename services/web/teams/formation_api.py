"""The formation part of the JSON API (issue 13): the draft proposal of teams, its changes and its
confirmation, and the « together » / « apart » links between people, for organisers.

The teams service decides everything; this only adds people's names (kept by the registration
service, never by the teams service) to what it answers.
"""

import asyncio
from typing import Any

import msgspec
from litestar import Controller, Request, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody

from schemas.registration import ListRegistrations, RegistrationList
from schemas.subjects import Registration, Teams
from schemas.teams import (
    ConfirmProposal,
    DiscardProposal,
    FormationRule,
    GetProposal,
    LeftOutReason,
    LinkKind,
    LinkPeople,
    LockProposed,
    MoveProposed,
    ProposalConfirmedReply,
    ProposalFacts,
    ProposalView,
    ProposedId,
    ProposeTeams,
    RegistrationId,
    Revision,
    TeamSize,
    UnlinkPeople,
)
from services.web.bodies import IdempotencyKey, check_key, strictly
from services.web.gateway import Gateway
from services.web.views import error_responses

# --- what clients send ---


class ProposalIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    min_size: TeamSize
    max_size: TeamSize
    # Also fill the existing teams below `min_size` (their members stay).
    top_up: bool = False


class MoveIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    # The revision the client read: a proposal changed since is refused (formation_changed).
    revision: Revision
    registration: RegistrationId
    # A proposed team ("p2"), or null for a new team of their own.
    to_team: ProposedId | None = None


class LockIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    revision: Revision
    team: ProposedId
    locked: bool = True


class ConfirmIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    revision: Revision


class LinkIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    kind: LinkKind
    first: RegistrationId
    second: RegistrationId


# --- what they read ---


class PersonOut(msgspec.Struct, kw_only=True):
    id: str
    # Empty once the person's data is erased.
    name: str


class ProposedTeamOut(msgspec.Struct, kw_only=True):
    id: str
    members: list[PersonOut]
    challenge: str | None
    locked: bool
    # The existing team this one tops up, and its name.
    existing: str | None
    existing_name: str | None
    score: float
    facts: ProposalFacts


class ViolationOut(msgspec.Struct, kw_only=True):
    rule: FormationRule
    people: list[PersonOut]
    team: str | None
    note: str


class LinkOut(msgspec.Struct, kw_only=True):
    kind: LinkKind
    first: PersonOut
    second: PersonOut


class ProposalOut(msgspec.Struct, kw_only=True):
    event: str
    # 0: no proposal; otherwise send it back with a move, a lock, a confirmation or a discard.
    revision: int
    min_size: int
    max_size: int
    event_max_size: int
    top_up: bool
    teams: list[ProposedTeamOut]
    violations: list[ViolationOut]
    # Half the mean team score plus half the worst one, out of 100.
    objective: float
    links: list[LinkOut]
    # Eligible people in no team and not in the proposal.
    unplaced: list[PersonOut]
    # Formation inputs the event's questions do not feed: the proposal cannot weigh them.
    missing_inputs: list[str]
    # Judging is closed: teams are frozen, no proposal can be made or confirmed.
    frozen: bool


class ConfirmedTeamOut(msgspec.Struct, kw_only=True):
    id: str
    name: str
    challenge: str | None
    open: bool
    code: str
    members: list[PersonOut]


class LeftOutOut(msgspec.Struct, kw_only=True):
    person: PersonOut
    reason: LeftOutReason


class ConfirmationOut(msgspec.Struct, kw_only=True):
    event: str
    # The teams made and topped up, with everyone now in them.
    teams: list[ConfirmedTeamOut]
    # Those the proposal placed who are not placed, and why.
    left_out: list[LeftOutOut]


# --- the names a reply lacks ---


class Names:
    def __init__(self, names: dict[str, str]) -> None:
        self.names = names

    def person(self, registration_id: str) -> PersonOut:
        return PersonOut(id=registration_id, name=self.names.get(registration_id, ""))

    def people(self, ids: list[str]) -> list[PersonOut]:
        return [self.person(i) for i in ids]


async def _names(gateway: Gateway, slug: str) -> Names:
    found = await gateway.call(Registration.LIST, ListRegistrations(event=slug), RegistrationList)
    return Names({r.id: r.name for r in found.registrations})


def proposal_out(view: ProposalView, names: Names) -> ProposalOut:
    return ProposalOut(
        event=view.event,
        revision=view.revision,
        min_size=view.min_size,
        max_size=view.max_size,
        event_max_size=view.event_max_size,
        top_up=view.top_up,
        teams=[
            ProposedTeamOut(
                id=t.id,
                members=names.people(t.members),
                challenge=t.challenge,
                locked=t.locked,
                existing=t.existing,
                existing_name=t.existing_name,
                score=t.score,
                facts=t.facts,
            )
            for t in view.teams
        ],
        violations=[
            ViolationOut(rule=v.rule, people=names.people(v.people), team=v.team, note=v.note) for v in view.violations
        ],
        objective=view.objective,
        links=[LinkOut(kind=k.kind, first=names.person(k.first), second=names.person(k.second)) for k in view.links],
        unplaced=names.people(view.unplaced),
        missing_inputs=view.missing_inputs,
        frozen=view.frozen,
    )


def confirmation_out(reply: ProposalConfirmedReply, names: Names) -> ConfirmationOut:
    return ConfirmationOut(
        event=reply.event,
        teams=[
            ConfirmedTeamOut(
                id=t.id, name=t.name, challenge=t.challenge, open=t.open, code=t.code, members=names.people(t.members)
            )
            for t in reply.teams
        ],
        left_out=[LeftOutOut(person=names.person(o.registration), reason=o.reason) for o in reply.left_out],
    )


def _organiser(request: Request[Any, Any, Any]) -> str:
    organiser: str = request.state.organiser[0]
    return organiser


class FormationApi(Controller):
    path = "/api/v1/events/{slug:str}/formation"
    tags = ["teams"]

    async def _proposal(self, gateway: Gateway, slug: str, subject: str, command: msgspec.Struct) -> ProposalOut:
        """A command (or the query) answered with the proposal as it is now, names added."""
        view, names = await asyncio.gather(gateway.call(subject, command, ProposalView), _names(gateway, slug))
        return proposal_out(view, names)

    @get(
        "/",
        summary="The proposal of teams being made, with scores, reasons and broken rules, and the links",
        security=[{"bearer": []}],
        responses=error_responses(401, 404, 503),
        opt={"access": "organiser"},
    )
    async def proposal(self, gateway: NamedDependency[Gateway], slug: FromPath[str]) -> ProposalOut:
        return await self._proposal(gateway, slug, Teams.PROPOSAL, GetProposal(event=slug))

    @post(
        "/proposal",
        status_code=200,
        summary="Propose teams for everyone without one (locked teams of the current proposal are kept)",
        security=[{"bearer": []}],
        responses=error_responses(400, 401, 404, 409, 422, 503),
        opt={"access": "organiser"},
    )
    async def propose(
        self,
        request: Request[Any, Any, Any],
        gateway: NamedDependency[Gateway],
        slug: FromPath[str],
        data: JSONBody[ProposalIn],
        idempotency_key: IdempotencyKey = None,
    ) -> ProposalOut:
        data = await strictly(request, data)
        command = ProposeTeams(
            command_id=check_key(idempotency_key),
            event=slug,
            min_size=data.min_size,
            max_size=data.max_size,
            top_up=data.top_up,
            by_organiser=_organiser(request),
        )
        return await self._proposal(gateway, slug, Teams.PROPOSE, command)

    @post(
        "/moves",
        status_code=200,
        summary="Move one person of the proposal to another proposed team, or to a new one",
        security=[{"bearer": []}],
        responses=error_responses(400, 401, 404, 409, 503),
        opt={"access": "organiser"},
    )
    async def move(
        self,
        request: Request[Any, Any, Any],
        gateway: NamedDependency[Gateway],
        slug: FromPath[str],
        data: JSONBody[MoveIn],
        idempotency_key: IdempotencyKey = None,
    ) -> ProposalOut:
        data = await strictly(request, data)
        command = MoveProposed(
            command_id=check_key(idempotency_key),
            event=slug,
            revision=data.revision,
            registration=data.registration,
            to_team=data.to_team,
            by_organiser=_organiser(request),
        )
        return await self._proposal(gateway, slug, Teams.MOVE, command)

    @post(
        "/locks",
        status_code=200,
        summary="Lock a proposed team (kept as it is when proposing again), or unlock it",
        security=[{"bearer": []}],
        responses=error_responses(400, 401, 404, 409, 503),
        opt={"access": "organiser"},
    )
    async def lock(
        self,
        request: Request[Any, Any, Any],
        gateway: NamedDependency[Gateway],
        slug: FromPath[str],
        data: JSONBody[LockIn],
        idempotency_key: IdempotencyKey = None,
    ) -> ProposalOut:
        data = await strictly(request, data)
        command = LockProposed(
            command_id=check_key(idempotency_key),
            event=slug,
            revision=data.revision,
            team=data.team,
            locked=data.locked,
            by_organiser=_organiser(request),
        )
        return await self._proposal(gateway, slug, Teams.LOCK, command)

    @post(
        "/confirmation",
        status_code=200,
        summary="Make the proposed teams, on the teams as they are now; says who was left out and why",
        security=[{"bearer": []}],
        responses=error_responses(400, 401, 404, 409, 503),
        opt={"access": "organiser"},
    )
    async def confirm(
        self,
        request: Request[Any, Any, Any],
        gateway: NamedDependency[Gateway],
        slug: FromPath[str],
        data: JSONBody[ConfirmIn],
        idempotency_key: IdempotencyKey = None,
    ) -> ConfirmationOut:
        data = await strictly(request, data)
        command = ConfirmProposal(
            command_id=check_key(idempotency_key), event=slug, revision=data.revision, by_organiser=_organiser(request)
        )
        reply = await gateway.call(Teams.CONFIRM, command, ProposalConfirmedReply, timeout=15)
        return confirmation_out(reply, await _names(gateway, slug))

    @delete(
        "/",
        status_code=200,
        summary="Discard the proposal (no team is made)",
        security=[{"bearer": []}],
        responses=error_responses(400, 401, 404, 409, 503),
        opt={"access": "organiser"},
    )
    async def discard(
        self,
        request: Request[Any, Any, Any],
        gateway: NamedDependency[Gateway],
        slug: FromPath[str],
        revision: FromQuery[Revision],
        idempotency_key: IdempotencyKey = None,
    ) -> ProposalOut:
        command = DiscardProposal(
            command_id=check_key(idempotency_key), event=slug, revision=revision, by_organiser=_organiser(request)
        )
        return await self._proposal(gateway, slug, Teams.DISCARD, command)

    @post(
        "/links",
        status_code=200,
        summary="Link two people: « together » in one team, or « apart », in every later proposal",
        security=[{"bearer": []}],
        responses=error_responses(400, 401, 404, 409, 422, 503),
        opt={"access": "organiser"},
    )
    async def link(
        self,
        request: Request[Any, Any, Any],
        gateway: NamedDependency[Gateway],
        slug: FromPath[str],
        data: JSONBody[LinkIn],
        idempotency_key: IdempotencyKey = None,
    ) -> ProposalOut:
        data = await strictly(request, data)
        command = LinkPeople(
            command_id=check_key(idempotency_key),
            event=slug,
            kind=data.kind,
            first=data.first,
            second=data.second,
            by_organiser=_organiser(request),
        )
        return await self._proposal(gateway, slug, Teams.LINK, command)

    @delete(
        "/links",
        status_code=200,
        summary="Remove a link between two people",
        security=[{"bearer": []}],
        responses=error_responses(400, 401, 404, 409, 503),
        opt={"access": "organiser"},
    )
    async def unlink(
        self,
        request: Request[Any, Any, Any],
        gateway: NamedDependency[Gateway],
        slug: FromPath[str],
        kind: FromQuery[LinkKind],
        first: FromQuery[RegistrationId],
        second: FromQuery[RegistrationId],
        idempotency_key: IdempotencyKey = None,
    ) -> ProposalOut:
        command = UnlinkPeople(
            command_id=check_key(idempotency_key),
            event=slug,
            kind=kind,
            first=first,
            second=second,
            by_organiser=_organiser(request),
        )
        return await self._proposal(gateway, slug, Teams.UNLINK, command)
