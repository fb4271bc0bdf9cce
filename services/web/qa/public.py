"""The room's side of the Q&A: the audience page (ask, vote, see), the projector and their live stream.

Walk-ins are known by a device token the page sets in a cookie (only its digest leaves the web);
people who registered ask and vote from their private link, as their registration. Nothing here
shows a question a moderator has not approved, but to its own asker.
"""

import base64
import hashlib
import re
import secrets
import uuid
from typing import Any
from urllib.parse import urlencode

import segno
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, ServerSentEvent
from markupsafe import Markup

from schemas.catalog import EventSpec
from schemas.errors import ErrorReply
from schemas.qa import (
    MAX_NAME_LENGTH,
    MAX_QUESTION_LENGTH,
    NEXT_ON_SCREEN,
    AskQuestion,
    CastVote,
    GetPublicQa,
    PublicQa,
    QaDone,
    VotePoll,
)
from schemas.registration import GetRegistration, RegistrationView
from schemas.subjects import Qa, Registration
from services.kit.client import ServiceError
from services.web.compression import UNCOMPRESSED
from services.web.errors import form_refusal
from services.web.forms import command_id_of, form_text
from services.web.gateway import Gateway, public_base
from services.web.live import LIVE, Live
from services.web.rendering import language_of, render

DEVICE_COOKIE = "perche_qa_device"
DEVICE_LIFETIME = 30 * 86400
_DEVICE_TOKEN = re.compile(r"[A-Za-z0-9_-]{24,64}")
# The room's phones (and the moderators' page) hear of changes at most this often: a room voting
# 200 times a second would otherwise be told so on each of its hundreds of streams, and each phone
# fetch its list as often. The projector has its own stream, told at once (one screen, one fetch at
# a time): an approved question is on it in a fraction of a second.
QA_LIVE_INTERVAL = 0.5


def device_of(request: Request[Any, Any, Any]) -> str | None:
    token = request.cookies.get(DEVICE_COOKIE, "")
    return token if _DEVICE_TOKEN.fullmatch(token) else None


def person_of_device(token: str) -> str:
    """The device as the Q&A knows it: a digest, so the log never holds the cookie that acts as it."""
    digest = hashlib.sha256(token.encode()).digest()[:18]
    return "dev:" + base64.urlsafe_b64encode(digest).decode().rstrip("=")


def with_device(response: Response[Any], token: str, known: bool) -> Response[Any]:
    if not known:
        # HttpOnly and SameSite=Lax like every cookie here; SecurityHeaders adds Secure over https.
        response.set_cookie(DEVICE_COOKIE, token, max_age=DEVICE_LIFETIME, httponly=True, samesite="lax", path="/")
    return response


def _lang_query(request: Request[Any, Any, Any], **extra: str) -> str:
    language = language_of(request)
    query = urlencode({**extra, **({"lang": language} if language != "fr" else {})})
    return f"?{query}" if query else ""


class Audience:
    """Who is asking and where their forms go: a device on the event's page, or a registration's link."""

    def __init__(self, spec: EventSpec, person: str, base: str, token: str = "") -> None:
        self.spec, self.person, self.base, self.token = spec, person, base, token


async def _qa(gateway: Gateway, slug: str, person: str | None) -> PublicQa:
    return await gateway.call(Qa.PUBLIC, GetPublicQa(event=slug, person=person), PublicQa)


async def _registration(gateway: Gateway, registration_id: str, token: str) -> RegistrationView:
    view = await gateway.call(
        Registration.GET, GetRegistration(registration_id=registration_id, token=token), RegistrationView
    )
    if view.status == "cancelled" or view.erased:
        # A cancelled registration's link no longer speaks for anyone in the room.
        raise ServiceError(ErrorReply(code="forbidden", message="This registration is cancelled", key="bad_token"))
    return view


class QuestionsPage(Controller):
    include_in_schema = False
    opt = {"access": "public"}

    @staticmethod
    async def _show(
        request: Request[Any, Any, Any],
        gateway: Gateway,
        audience: Audience,
        error: str | None = None,
        field: str | None = None,
        values: dict[str, str] | None = None,
        status_code: int = 200,
        part: str = "",
    ) -> Response[str]:
        qa = await _qa(gateway, audience.spec.slug, audience.person)
        mine = set(qa.voted)
        response = render(
            request,
            "public/_qa_questions.html" if part == "questions" else "public/qa_audience.html",
            status_code=status_code,
            event=audience.spec,
            qa=qa,
            voted=mine,
            base=audience.base,
            token=audience.token,
            lang_query=_lang_query(request, **({"token": audience.token} if audience.token else {})),
            error=error,
            field=field,
            values=values or {},
            command_id=uuid.uuid4().hex,
            asked=request.query_params.get("asked", ""),
            max_length=MAX_QUESTION_LENGTH,
            max_name=MAX_NAME_LENGTH,
        )
        response.headers["Cache-Control"] = "no-store"
        return response

    async def _ask(self, request: Request[Any, Any, Any], gateway: Gateway, audience: Audience) -> Response[Any]:
        form = await request.form()
        # Kept too long when too long: an overlong question is refused with its own message, never
        # silently shortened (the cut only bounds what a 1 MB field sends on).
        values = {"text": str(form.get("text") or ""), "name": str(form.get("name") or "")}
        command = AskQuestion(
            command_id=command_id_of(form),
            event=audience.spec.slug,
            asker=audience.person,
            text=values["text"][: 4 * MAX_QUESTION_LENGTH],
            name=values["name"][: 4 * MAX_NAME_LENGTH],
        )
        try:
            await gateway.call(Qa.ASK, command, QaDone)
        except ServiceError as failure:
            refused = form_refusal(failure, language_of(request))
            return await self._show(request, gateway, audience, refused.message, refused.field, values, refused.status)
        extra = {"token": audience.token} if audience.token else {}
        return Redirect(f"{audience.base}{_lang_query(request, **extra, asked='1')}#mine", status_code=303)

    async def _vote(
        self, request: Request[Any, Any, Any], gateway: Gateway, audience: Audience, question: str
    ) -> Response[Any]:
        form = await request.form()
        command = CastVote(
            command_id=command_id_of(form),
            event=audience.spec.slug,
            question=question,
            voter=audience.person,
            withdraw=form_text(form, "withdraw", 5) == "1",
        )
        try:
            await gateway.call(Qa.VOTE, command, QaDone)
        except ServiceError as failure:
            refused = form_refusal(failure, language_of(request))
            return await self._show(request, gateway, audience, refused.message, None, None, refused.status)
        extra = {"token": audience.token} if audience.token else {}
        return Redirect(f"{audience.base}{_lang_query(request, **extra)}#{question}", status_code=303)

    async def _poll_vote(
        self, request: Request[Any, Any, Any], gateway: Gateway, audience: Audience, poll: str
    ) -> Response[Any]:
        form = await request.form()
        choice = form_text(form, "choice", 4)
        command = VotePoll(
            command_id=command_id_of(form),
            event=audience.spec.slug,
            poll=poll,
            # No choice ticked (or a hand-made value) is answered by the rules in words.
            choice=int(choice) if choice.isdigit() else 1000,
            voter=audience.person,
        )
        try:
            await gateway.call(Qa.VOTE_POLL, command, QaDone)
        except ServiceError as failure:
            refused = form_refusal(failure, language_of(request))
            return await self._show(request, gateway, audience, refused.message, None, None, refused.status)
        extra = {"token": audience.token} if audience.token else {}
        return Redirect(f"{audience.base}{_lang_query(request, **extra)}#poll", status_code=303)

    # --- walk-ins, known by their device ---

    async def _device(self, request: Request[Any, Any, Any], gateway: Gateway, slug: str) -> tuple[Audience, str, bool]:
        spec = await gateway.event(slug)
        known = device_of(request)
        token = known or secrets.token_urlsafe(24)
        return Audience(spec, person_of_device(token), f"/e/{spec.slug}/questions"), token, known is not None

    @get("/e/{slug:str}/questions")
    async def page(
        self,
        request: Request[Any, Any, Any],
        gateway: NamedDependency[Gateway],
        slug: FromPath[str],
        part: FromQuery[str] = "",
    ) -> Response[str]:
        """`part=questions` is the list alone, which the page fetches again when the stream says so."""
        audience, token, known = await self._device(request, gateway, slug)
        response = await self._show(request, gateway, audience, part=part)
        with_device(response, token, known)
        return response

    @post("/e/{slug:str}/questions/ask")
    async def ask(
        self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway], slug: FromPath[str]
    ) -> Response[Any]:
        audience, token, known = await self._device(request, gateway, slug)
        return with_device(await self._ask(request, gateway, audience), token, known)

    @post("/e/{slug:str}/questions/{question:str}/vote")
    async def vote(
        self,
        request: Request[Any, Any, Any],
        gateway: NamedDependency[Gateway],
        slug: FromPath[str],
        question: FromPath[str],
    ) -> Response[Any]:
        audience, token, known = await self._device(request, gateway, slug)
        return with_device(await self._vote(request, gateway, audience, question), token, known)

    @post("/e/{slug:str}/questions/poll/{poll:str}/vote")
    async def poll_vote(
        self,
        request: Request[Any, Any, Any],
        gateway: NamedDependency[Gateway],
        slug: FromPath[str],
        poll: FromPath[str],
    ) -> Response[Any]:
        audience, token, known = await self._device(request, gateway, slug)
        return with_device(await self._poll_vote(request, gateway, audience, poll), token, known)

    # --- registrants, from their private link ---

    async def _registrant(self, gateway: Gateway, registration_id: str, token: str) -> Audience:
        view = await _registration(gateway, registration_id, token)
        spec = await gateway.event(view.event)
        return Audience(spec, f"reg:{view.id}", f"/r/{view.id}/questions", token)

    @get("/r/{registration_id:str}/questions", opt={"access": "participant_link"})
    async def registrant_page(
        self,
        request: Request[Any, Any, Any],
        gateway: NamedDependency[Gateway],
        registration_id: FromPath[str],
        token: FromQuery[str] = "",
        part: FromQuery[str] = "",
    ) -> Response[str]:
        audience = await self._registrant(gateway, registration_id, token)
        return await self._show(request, gateway, audience, part=part)

    @post("/r/{registration_id:str}/questions/ask", opt={"access": "participant_link"})
    async def registrant_ask(
        self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway], registration_id: FromPath[str]
    ) -> Response[Any]:
        form = await request.form()
        audience = await self._registrant(gateway, registration_id, form_text(form, "token", 100))
        return await self._ask(request, gateway, audience)

    @post("/r/{registration_id:str}/questions/{question:str}/vote", opt={"access": "participant_link"})
    async def registrant_vote(
        self,
        request: Request[Any, Any, Any],
        gateway: NamedDependency[Gateway],
        registration_id: FromPath[str],
        question: FromPath[str],
    ) -> Response[Any]:
        form = await request.form()
        audience = await self._registrant(gateway, registration_id, form_text(form, "token", 100))
        return await self._vote(request, gateway, audience, question)

    @post("/r/{registration_id:str}/questions/poll/{poll:str}/vote", opt={"access": "participant_link"})
    async def registrant_poll_vote(
        self,
        request: Request[Any, Any, Any],
        gateway: NamedDependency[Gateway],
        registration_id: FromPath[str],
        poll: FromPath[str],
    ) -> Response[Any]:
        form = await request.form()
        audience = await self._registrant(gateway, registration_id, form_text(form, "token", 100))
        return await self._poll_vote(request, gateway, audience, poll)


class QaScreen(Controller):
    """The projector: the current question and the next ones in large type, in the session's language."""

    include_in_schema = False
    opt = {"access": "public"}

    @get("/e/{slug:str}/qa/screen")
    async def screen(
        self,
        request: Request[Any, Any, Any],
        gateway: NamedDependency[Gateway],
        slug: FromPath[str],
        part: FromQuery[str] = "",
    ) -> Response[str]:
        spec = await gateway.event(slug)
        qa = await _qa(gateway, spec.slug, None)
        waiting = [q for q in qa.questions if q.status == "approved"]
        current = waiting[0] if waiting and waiting[0].pinned else None
        upcoming = waiting[1:] if current else waiting
        audience_url = f"{public_base(request)}/e/{spec.slug}/questions"
        # segno writes the SVG itself (no user text in it but the address, which it escapes).
        qr = Markup(segno.make(audience_url, error="m").svg_inline(scale=5, dark="#f4f1e6", light="#10160f"))  # noqa: S704
        # The session's language unless the projector's address asks for another.
        asked = request.query_params.get("lang")
        response = render(
            request,
            "public/_qa_board.html" if part == "board" else "public/qa_screen.html",
            language=asked if asked in ("fr", "en") else qa.language,
            event=spec,
            qa=qa,
            current=current,
            upcoming=upcoming[:NEXT_ON_SCREEN],
            audience_url=audience_url,
            qr=qr,
        )
        response.headers["Cache-Control"] = "no-store"
        return response

    # Never gzipped: its messages are a few bytes each, and a proxy may hold a gzipped stream back.
    @get("/e/{slug:str}/qa/stream", exclude_from_csrf=True, opt={UNCOMPRESSED: True}, dependencies=LIVE)
    async def stream(
        self, gateway: NamedDependency[Gateway], live: NamedDependency[Live], slug: FromPath[str]
    ) -> ServerSentEvent:
        """The audience page's: `change` when the event's Q&A changed (at most one per QA_LIVE_INTERVAL),
        and the page fetches what it may see again."""
        spec = await gateway.event(slug)  # an unknown or unpublished event is a 404
        return live.stream(spec.slug, (Qa.changed(spec.slug),), min_interval=QA_LIVE_INTERVAL)

    @get("/e/{slug:str}/qa/screen/stream", exclude_from_csrf=True, opt={UNCOMPRESSED: True}, dependencies=LIVE)
    async def screen_stream(
        self, gateway: NamedDependency[Gateway], live: NamedDependency[Live], slug: FromPath[str]
    ) -> ServerSentEvent:
        """The projector's: `change` at once each time the Q&A changed (its script fetches one board at a time)."""
        spec = await gateway.event(slug)
        return live.stream(spec.slug, (Qa.changed(spec.slug),))
