"""The moderators' page: the waiting queue, approve, edit, reject, merge, pin, answered, archive, and
the session's phase. Live with JavaScript (a stream says when something changed); a reload without."""

import logging
import uuid
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, ServerSentEvent

from schemas.catalog import EventSpec
from schemas.errors import ErrorReply
from schemas.notify import MESSAGE_SUBJECT_LIMIT, MessageSending, MessageText, SendMessage
from schemas.qa import (
    MAX_CHOICE_LENGTH,
    MAX_POLL_CHOICES,
    MAX_POLL_TEXT_LENGTH,
    MAX_QUESTION_LENGTH,
    MAX_SUMMARY_LENGTH,
    CreatePoll,
    EditQuestion,
    GetModeration,
    MergeQuestion,
    ModerateQuestion,
    Moderation,
    PublishRecord,
    QaDone,
    SetPhase,
    SetPollState,
)
from schemas.subjects import Notify, Qa
from services.kit.client import ServiceError
from services.kit.i18n import localised, translations
from services.web.compression import UNCOMPRESSED
from services.web.errors import form_refusal
from services.web.forms import command_id_of, form_text
from services.web.gateway import Gateway, public_base
from services.web.live import LIVE, Live
from services.web.qa.public import QA_LIVE_INTERVAL
from services.web.rendering import language_of, render

log = logging.getLogger("perche.web")


class QaModeration(Controller):
    path = "/organiser/e/{slug:str}/qa"
    include_in_schema = False
    # The event's organisers (services/web/access.py) moderate its questions.
    opt = {"access": "organiser"}

    @get("/")
    async def page(
        self,
        request: Request[Any, Any, Any],
        gateway: NamedDependency[Gateway],
        slug: FromPath[str],
        part: FromQuery[str] = "",
    ) -> Response[str]:
        """`part=queue` is the questions alone, which the live page fetches again on each change."""
        return await self._page(request, gateway, slug, part=part)

    @staticmethod
    async def _page(
        request: Request[Any, Any, Any],
        gateway: Gateway,
        slug: str,
        error: str | None = None,
        status_code: int = 200,
        part: str = "",
        values: dict[str, str] | None = None,
    ) -> Response[str]:
        spec = await gateway.event(slug, include_unpublished=True)
        moderation = await gateway.call(Qa.MODERATION, GetModeration(event=spec.slug), Moderation)
        by_status: dict[str, list[Any]] = {}
        for question in moderation.questions:
            by_status.setdefault(question.status, []).append(question)
        response = render(
            request,
            "organiser/_qa_queue.html" if part == "queue" else "organiser/qa.html",
            status_code=status_code,
            organiser=request.state.organiser,
            event=spec,
            moderation=moderation,
            by_status=by_status,
            # What a duplicate may be merged into.
            targets=[q for q in moderation.questions if q.status in ("pending", "approved", "answered")],
            error=error,
            command_id=uuid.uuid4().hex,
            max_length=MAX_QUESTION_LENGTH,
            max_poll_text=MAX_POLL_TEXT_LENGTH,
            max_choice=MAX_CHOICE_LENGTH,
            max_summary=MAX_SUMMARY_LENGTH,
            poll_slots=range(1, MAX_POLL_CHOICES + 1),
            values=values or {},
        )
        response.headers["Cache-Control"] = "no-store"
        return response

    async def _send(
        self,
        request: Request[Any, Any, Any],
        gateway: Gateway,
        slug: str,
        subject: str,
        command_type: type[msgspec.Struct],
        anchor: str = "",
        values: dict[str, str] | None = None,
        **fields: object,
    ) -> Response[Any]:
        """The command the form makes (its id, the event and the organiser added), or the page and its refusal."""
        form = await request.form()
        try:
            command = msgspec.convert(
                {
                    "command_id": command_id_of(form),
                    "event": slug,
                    "by_organiser": request.state.organiser[0],
                    **fields,
                },
                command_type,
            )
            await gateway.call(subject, command, QaDone)
        except msgspec.ValidationError:
            return await self._page(request, gateway, slug, _unknown_choice(request), 422)
        except ServiceError as failure:
            refused = form_refusal(failure, language_of(request))
            return await self._page(request, gateway, slug, refused.message, refused.status, values=values)
        anchor = anchor or str(fields.get("question", ""))
        return Redirect(f"/organiser/e/{slug}/qa/{'#' + anchor if anchor else ''}", status_code=303)

    @post("/phase")
    async def phase(
        self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway], slug: FromPath[str]
    ) -> Response[Any]:
        form = await request.form()
        phase, language = form_text(form, "phase", 10), form_text(form, "language", 5) or "fr"
        return await self._send(request, gateway, slug, Qa.SET_PHASE, SetPhase, phase=phase, language=language)

    @post("/{question:str}/moderate")
    async def moderate(
        self,
        request: Request[Any, Any, Any],
        gateway: NamedDependency[Gateway],
        slug: FromPath[str],
        question: FromPath[str],
    ) -> Response[Any]:
        action = form_text(await request.form(), "action", 10)
        return await self._send(request, gateway, slug, Qa.MODERATE, ModerateQuestion, question=question, action=action)

    @post("/{question:str}/edit")
    async def edit(
        self,
        request: Request[Any, Any, Any],
        gateway: NamedDependency[Gateway],
        slug: FromPath[str],
        question: FromPath[str],
    ) -> Response[Any]:
        # Kept too long when too long (refused in words); the cut only bounds what a 1 MB field sends on.
        text = str((await request.form()).get("text") or "")[: 4 * MAX_QUESTION_LENGTH]
        return await self._send(request, gateway, slug, Qa.EDIT, EditQuestion, question=question, text=text)

    @post("/{question:str}/merge")
    async def merge(
        self,
        request: Request[Any, Any, Any],
        gateway: NamedDependency[Gateway],
        slug: FromPath[str],
        question: FromPath[str],
    ) -> Response[Any]:
        into = form_text(await request.form(), "into", 10)
        return await self._send(request, gateway, slug, Qa.MERGE, MergeQuestion, question=question, into=into)

    @post("/polls")
    async def create_poll(
        self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway], slug: FromPath[str]
    ) -> Response[Any]:
        """A draft poll from the form: its question (French, English optional) and up to six choice fields."""
        form = await request.form()
        # Kept too long when too long (refused in words); the cut only bounds what a 1 MB field sends on.
        values = {
            name: str(form.get(name) or "")[: 4 * MAX_POLL_TEXT_LENGTH]
            for name in ("text", "text_en", *(f"choice_{n}" for n in range(1, MAX_POLL_CHOICES + 1)))
        }
        choices = [values[f"choice_{n}"] for n in range(1, MAX_POLL_CHOICES + 1)]
        return await self._send(
            request,
            gateway,
            slug,
            Qa.CREATE_POLL,
            CreatePoll,
            anchor="polls",
            values=values,
            text=values["text"],
            text_en=values["text_en"],
            choices=choices,
        )

    @post("/record")
    async def publish_record(
        self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway], slug: FromPath[str]
    ) -> Response[Any]:
        """After the event: the summary (French, English optional); publishing again makes a new version.
        Once published, the registrants get one mail with the link (the organisers' message pipeline)."""
        form = await request.form()
        # Kept too long when too long (refused in words); the cut only bounds what a 1 MB field sends on.
        values = {name: str(form.get(name) or "")[: 2 * MAX_SUMMARY_LENGTH] for name in ("summary_fr", "summary_en")}
        response = await self._send(
            request, gateway, slug, Qa.PUBLISH_RECORD, PublishRecord, anchor="record", values=values, **values
        )
        if response.status_code != 303:
            return response
        spec = await gateway.event(slug, include_unpublished=True)
        # One fixed command for the event, the same words each time: notify mails each registrant
        # once (its mail ids come from this id), so a new version mails nobody twice, and a mail
        # that failed to leave goes with the next publication.
        command = SendMessage(
            command_id=f"qa-record-{spec.slug}"[:100],
            event=spec.slug,
            by_organiser=request.state.organiser[0],
            audience="everyone",
            text=record_mail(spec, public_base(request)),
        )
        try:
            await gateway.call(Notify.SEND_MESSAGE, command, MessageSending)
        except ServiceError as failure:
            log.warning("qa: the record's mail for %s did not leave: %s", spec.slug, failure.reply.message)
            message = translations(language_of(request)).gettext(
                "Le compte rendu est publié, mais le courriel aux inscrits n'est pas parti : "
                "publiez à nouveau pour le renvoyer."
            )
            return await self._page(request, gateway, slug, message, 503)
        return response

    @post("/polls/{poll:str}/state")
    async def poll_state(
        self,
        request: Request[Any, Any, Any],
        gateway: NamedDependency[Gateway],
        slug: FromPath[str],
        poll: FromPath[str],
    ) -> Response[Any]:
        state = form_text(await request.form(), "state", 10)
        return await self._send(
            request, gateway, slug, Qa.SET_POLL_STATE, SetPollState, anchor="polls", poll=poll, state=state
        )

    # Never gzipped: its messages are a few bytes each, and a proxy may hold a gzipped stream back.
    @get("/stream", exclude_from_csrf=True, opt={UNCOMPRESSED: True}, dependencies=LIVE)
    async def stream(
        self, gateway: NamedDependency[Gateway], live: NamedDependency[Live], slug: FromPath[str]
    ) -> ServerSentEvent:
        spec = await gateway.event(slug, include_unpublished=True)  # an unknown event is a 404
        return live.stream(spec.slug, (Qa.changed(spec.slug),), min_interval=QA_LIVE_INTERVAL)


def record_mail(spec: EventSpec, base: str) -> MessageText:
    """The registrants' one mail: the link to the record, in French and English."""
    link = f"{base}/e/{spec.slug}#record"
    texts = {}
    for language in ("fr", "en"):
        _ = translations(language).gettext
        title = localised(spec, "title", language)
        texts[f"subject_{language}"] = (_("Le compte rendu : %(title)s") % {"title": title})[:MESSAGE_SUBJECT_LIMIT]
        texts[f"body_{language}"] = _(
            "Le compte rendu de « %(title)s » est publié : le résumé et les questions "
            "auxquelles on a répondu.\n\n%(link)s"
        ) % {"title": title, "link": link}
    return MessageText(**texts)


def _unknown_choice(request: Request[Any, Any, Any]) -> str:
    """A form sent with a value no button of the page offers (an old page, a hand-made request)."""
    reply = ErrorReply(code="invalid", message="Choose one of the choices offered", key="answer_not_a_choice")
    return form_refusal(ServiceError(reply), language_of(request)).message
