"""The organiser's team formation: links between people, a proposal to move, lock, rerun, then confirm or drop.

Every form is a POST that works without JavaScript and sends the draft's revision, so a
change made meanwhile (in another tab, by another organiser) is refused rather than made
blindly; a refusal shows the page again with the message in its language.
"""

import uuid
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import FormMultiDict
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect

from schemas.catalog import EventSpec
from schemas.registration import RegistrationView
from schemas.subjects import Teams
from schemas.teams import (
    ConfirmProposal,
    DiscardProposal,
    GetProposal,
    LinkPeople,
    LockProposed,
    MoveProposed,
    ProposalConfirmedReply,
    ProposalView,
    ProposeTeams,
    UnlinkPeople,
)
from services.kit.client import ServiceError
from services.kit.team_words import explain
from services.web.answers import answer_text
from services.web.errors import form_refusal
from services.web.forms import command_id_of, form_text
from services.web.gateway import Gateway
from services.web.rendering import gettext_for, language_of, render
from services.web.teams.board import Board, board_of

FormationCommand = (
    LinkPeople | UnlinkPeople | ProposeTeams | MoveProposed | LockProposed | ConfirmProposal | DiscardProposal
)

SUBJECTS: dict[type, str] = {
    LinkPeople: Teams.LINK,
    UnlinkPeople: Teams.UNLINK,
    ProposeTeams: Teams.PROPOSE,
    MoveProposed: Teams.MOVE,
    LockProposed: Teams.LOCK,
    ConfirmProposal: Teams.CONFIRM,
    DiscardProposal: Teams.DISCARD,
}
LEFT_OUT_REASONS = ("joined_a_team", "not_eligible", "team_full", "team_gone")


class Invalid(Exception):
    """A form the page itself refuses before asking the service (a number that is not one...)."""


def _int(form: FormMultiDict, name: str, default: int | None = None) -> int:
    text = form_text(form, name, 10)
    if not text and default is not None:
        return default
    try:
        return int(text)
    except ValueError as error:
        raise Invalid(name) from error


def participants_of(board: Board) -> list[RegistrationView]:
    """Who may be linked or placed: confirmed registrations of the participants' categories, by name."""
    people = [
        r
        for r in board.registrations
        if r.status == "confirmed" and not r.erased and board.spec.audience_of(r.category) == "participants"
    ]
    return sorted(people, key=lambda r: r.name.casefold())


def _answer_words(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    if value is None or value == "":
        return []
    return [str(value)]


def profile_of(spec: EventSpec, registration: RegistrationView, language: str) -> dict[str, Any]:
    """What a member brings, read from the answers to the questions that feed formation, in the page's language."""
    formation = spec.team_formation
    if formation is None:
        return {"skills": "", "codes": None, "experience": ""}
    answers = registration.answers
    questions = {q.id: q for q in spec.questions}

    def shown(question_id: str | None) -> str:
        question = questions.get(question_id or "")
        value = answers.get(question_id or "")
        if question is None or value in (None, "", []):
            return ""
        return str(answer_text(spec, question, value, language))

    codes: bool | None = None
    if formation.codes:
        value = answers.get(formation.codes)
        if isinstance(value, bool):
            codes = value
        elif value is not None:
            codes = any(v in formation.codes_if for v in _answer_words(value))
    return {"skills": shown(formation.skills), "codes": codes, "experience": shown(formation.experience)}


def confirmed_from_query(request: Request[Any, Any, Any]) -> tuple[list[str], list[tuple[str, str]]] | None:
    """The teams a confirmation made and who was left out, carried by the redirect's query."""
    if request.query_params.get("done") != "confirmed":
        return None
    teams = [t for t in request.query_params.get("teams", "").split(",") if t][:200]
    left: list[tuple[str, str]] = []
    for item in request.query_params.get("left", "").split(","):
        registration, _, reason = item.partition(":")
        if registration and reason in LEFT_OUT_REASONS:
            left.append((registration, reason))
    return teams, left[:200]


class TeamFormationPages(Controller):
    path = "/organiser/e/{slug:str}/teams/formation"
    include_in_schema = False
    opt = {"access": "organiser"}

    async def _page(
        self,
        request: Request[Any, Any, Any],
        gateway: Gateway,
        slug: str,
        error: str = "",
        status_code: int = 200,
        values: dict[str, str] | None = None,
    ) -> Response[str]:
        board = await board_of(gateway, slug)
        proposal = await gateway.call(Teams.PROPOSAL, GetProposal(event=slug), ProposalView)
        language = language_of(request)
        spec = board.spec
        people = {r.id: r for r in board.registrations}
        numbers = {team.id: n for n, team in enumerate(proposal.teams, start=1)}
        formation = spec.team_formation
        default_min = formation.min_size if formation else 3
        return render(
            request,
            "organiser/formation.html",
            status_code=status_code,
            organiser=request.state.organiser,
            event=spec,
            proposal=proposal,
            people=people,
            participants=participants_of(board),
            profiles={r.id: profile_of(spec, r, language) for r in board.registrations},
            reasons={team.id: explain(team.facts, language) for team in proposal.teams},
            numbers=numbers,
            challenges={c.id: c for c in spec.challenges},
            existing_teams={t.id: t for t in board.teams.teams},
            confirmed=confirmed_from_query(request),
            done=request.query_params.get("done", ""),
            error=error,
            values={
                "min_size": str(proposal.min_size if proposal.revision else default_min),
                "max_size": str(proposal.max_size if proposal.revision else proposal.event_max_size),
                "top_up": "yes" if proposal.top_up else "",
                **(values or {}),
            },
            command_id=uuid.uuid4().hex,
        )

    @get("/")
    async def show(
        self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway], slug: FromPath[str]
    ) -> Response[str]:
        return await self._page(request, gateway, slug)

    async def _send(
        self,
        request: Request[Any, Any, Any],
        gateway: Gateway,
        slug: str,
        command: FormationCommand,
        done: str,
        values: dict[str, str] | None = None,
    ) -> Response[Any]:
        reply_type: type[msgspec.Struct] = (
            ProposalConfirmedReply if isinstance(command, ConfirmProposal) else ProposalView
        )
        try:
            reply = await gateway.call(SUBJECTS[type(command)], command, reply_type, timeout=30)
        except ServiceError as error:
            refused = form_refusal(error, language_of(request))
            return await self._page(request, gateway, slug, refused.message, refused.status, values)
        where = f"/organiser/e/{slug}/teams/formation?done={done}"
        if isinstance(reply, ProposalConfirmedReply):
            teams = ",".join(t.id for t in reply.teams)
            left = ",".join(f"{x.registration}:{x.reason}" for x in reply.left_out)
            where += f"&teams={teams}&left={left}"
        return Redirect(where, status_code=303)

    async def _refuse(
        self, request: Request[Any, Any, Any], gateway: Gateway, slug: str, values: dict[str, str] | None = None
    ) -> Response[str]:
        gettext = gettext_for(language_of(request))
        message = gettext("Ce formulaire est incomplet ou mal rempli : rien n'a été changé.")
        return await self._page(request, gateway, slug, message, 422, values)

    @post("/link")
    async def link(
        self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway], slug: FromPath[str]
    ) -> Response[Any]:
        return await self._linking(request, gateway, slug, LinkPeople, "linked")

    @post("/unlink")
    async def unlink(
        self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway], slug: FromPath[str]
    ) -> Response[Any]:
        return await self._linking(request, gateway, slug, UnlinkPeople, "unlinked")

    async def _linking(
        self,
        request: Request[Any, Any, Any],
        gateway: Gateway,
        slug: str,
        make: type[LinkPeople] | type[UnlinkPeople],
        done: str,
    ) -> Response[Any]:
        """Add or remove a link: the same form (kind, first, second) for both."""
        form = await request.form()
        kind, first, second = form_text(form, "kind", 20), form_text(form, "first", 100), form_text(form, "second", 100)
        if kind not in ("together", "apart") or not first or not second:
            return await self._refuse(request, gateway, slug)
        command = make(
            command_id=command_id_of(form),
            event=slug,
            kind=kind,  # type: ignore[arg-type]
            first=first,
            second=second,
            by_organiser=request.state.organiser[0],
        )
        return await self._send(request, gateway, slug, command, done)

    @post("/propose")
    async def propose(
        self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway], slug: FromPath[str]
    ) -> Response[Any]:
        form = await request.form()
        values = {
            "min_size": form_text(form, "min_size", 10),
            "max_size": form_text(form, "max_size", 10),
            "top_up": "yes" if form.get("top_up") else "",
        }
        try:
            min_size, max_size = _int(form, "min_size"), _int(form, "max_size")
            if not (1 <= min_size <= 50 and 1 <= max_size <= 50):
                raise Invalid("size")
        except Invalid:
            gettext = gettext_for(language_of(request))
            message = gettext("Donnez les tailles d'équipe en nombres entiers, entre 1 et 50.")
            return await self._page(request, gateway, slug, message, 422, values)
        command = ProposeTeams(
            command_id=command_id_of(form),
            event=slug,
            min_size=min_size,
            max_size=max_size,
            top_up=bool(form.get("top_up")),
            by_organiser=request.state.organiser[0],
        )
        return await self._send(request, gateway, slug, command, "proposed", values)

    @post("/move")
    async def move(
        self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway], slug: FromPath[str]
    ) -> Response[Any]:
        form = await request.form()
        registration, to_team = form_text(form, "registration", 100), form_text(form, "to_team", 10)
        try:
            revision = _int(form, "revision")
        except Invalid:
            return await self._refuse(request, gateway, slug)
        if not registration or revision < 0 or (to_team and to_team != "new" and not to_team[1:].isdigit()):
            return await self._refuse(request, gateway, slug)
        command = MoveProposed(
            command_id=command_id_of(form),
            event=slug,
            revision=revision,
            registration=registration,
            to_team=None if to_team in ("", "new") else to_team,
            by_organiser=request.state.organiser[0],
        )
        return await self._send(request, gateway, slug, command, "moved")

    @post("/lock")
    async def lock(
        self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway], slug: FromPath[str]
    ) -> Response[Any]:
        form = await request.form()
        team = form_text(form, "team", 10)
        try:
            revision = _int(form, "revision")
        except Invalid:
            return await self._refuse(request, gateway, slug)
        if revision < 0 or not team.startswith("p") or not team[1:].isdigit():
            return await self._refuse(request, gateway, slug)
        locked = form.get("locked") != "no"
        command = LockProposed(
            command_id=command_id_of(form),
            event=slug,
            revision=revision,
            team=team,
            locked=locked,
            by_organiser=request.state.organiser[0],
        )
        return await self._send(request, gateway, slug, command, "locked" if locked else "unlocked")

    @post("/confirm")
    async def confirm(
        self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway], slug: FromPath[str]
    ) -> Response[Any]:
        return await self._on_draft(request, gateway, slug, ConfirmProposal, "confirmed")

    @post("/discard")
    async def discard(
        self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway], slug: FromPath[str]
    ) -> Response[Any]:
        return await self._on_draft(request, gateway, slug, DiscardProposal, "discarded")

    async def _on_draft(
        self,
        request: Request[Any, Any, Any],
        gateway: Gateway,
        slug: str,
        make: type[ConfirmProposal] | type[DiscardProposal],
        done: str,
    ) -> Response[Any]:
        """Confirm or discard the draft at the revision the organiser saw: the same form for both."""
        form = await request.form()
        try:
            revision = _int(form, "revision")
        except Invalid:
            return await self._refuse(request, gateway, slug)
        if revision < 0:
            return await self._refuse(request, gateway, slug)
        command = make(
            command_id=command_id_of(form), event=slug, revision=revision, by_organiser=request.state.organiser[0]
        )
        return await self._send(request, gateway, slug, command, done)
