"""Public pages: the events, an event with its form, a registration's private page."""

import asyncio
import uuid
from typing import Any

import msgspec
import segno
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect
from markupsafe import Markup

from schemas.catalog import EventSpec
from schemas.registration import (
    Cancel,
    Claim,
    GetRegistration,
    OpenShortLink,
    RegistrationView,
    ShortLinkTarget,
    UpdateAnswers,
)
from schemas.subjects import Registration
from services.kit.client import ServiceError
from services.web.auth import CSRF_COOKIE
from services.web.errors import Refusal, form_refusals
from services.web.forms import command_id_of
from services.web.gateway import Gateway, public_base
from services.web.registration.forms import (
    answers_form_fields,
    answers_from_form,
    event_form_fields,
    field_errors,
    register_from_form,
    typed_values,
)
from services.web.registration.views import registration_status
from services.web.rendering import language_of, render


def _jury_url(request: Request[Any, Any, Any], spec: EventSpec, view: RegistrationView) -> str | None:
    """A confirmed juror's page links to their scoring form."""
    if view.status != "confirmed" or not spec.criteria or spec.audience_of(view.category) != "jurors":
        return None
    return f"/jury/{spec.slug}/{view.id}?key={request.app.state.tokens.jury_key(spec.slug, view.id)}"


class PublicPages(Controller):
    opt = {"access": "public"}
    include_in_schema = False

    @get("/")
    async def home(self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway]) -> Response[str]:
        rows = [(spec, registration_status(counts)) for spec, counts in await gateway.events_with_counts()]
        return render(request, "public/home.html", events=rows)

    @get("/e/{slug:str}")
    async def event(
        self,
        request: Request[Any, Any, Any],
        slug: FromPath[str],
        gateway: NamedDependency[Gateway],
        again: FromQuery[str] = "",
    ) -> Response[str]:
        return await self._event_page(request, gateway, slug, values={"again": again[:40]} if again else None)

    async def _event_page(
        self,
        request: Request[Any, Any, Any],
        gateway: Gateway,
        slug: str,
        values: dict[str, Any] | None = None,
        errors: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Response[str]:
        spec = await gateway.event(slug)
        # Asked at once: the page waits for the slowest, not for the three in turn.
        counts, speakers, record = await asyncio.gather(
            gateway.counts(slug), gateway.speakers(slug), gateway.qa_record(slug)
        )
        remaining = {c.category: c.remaining for c in counts.categories} if counts else {}
        # Each category's own status, as the registration service decides it (its own window honoured).
        offered = {c.category: c.status for c in counts.categories} if counts else {}
        takes = [c.id for c in spec.categories if c.public and offered.get(c.id) in ("open", "full")]
        default = spec.default_category.id if spec.default_category.id in takes else next(iter(takes), None)
        return render(
            request,
            "public/event.html",
            speakers=speakers,
            record=record,
            status_code=status_code,
            event=spec,
            status=registration_status(counts),
            remaining=remaining,
            offered=offered,
            default_category=default,
            values=values or {},
            errors=errors or {},
        )

    @post("/e/{slug:str}")
    async def register(
        self, request: Request[Any, Any, Any], slug: FromPath[str], gateway: NamedDependency[Gateway]
    ) -> Response[Any]:
        language = language_of(request)
        spec = await gateway.event(slug)
        form = await request.form()
        command = register_from_form(spec, form, language)
        # One browser sending the same person for the same event makes one registration,
        # whether the form was double-clicked, sent again after "back", or reloaded. Another
        # name is another person (a family sharing one address and one phone).
        browser = request.cookies.get(CSRF_COOKIE, "")
        person = (command.email.strip().lower(), " ".join(command.name.split()).casefold())
        # Registering again after a cancellation (the private page's link names the cancelled one) is
        # a new registration, even with other answers than the first time.
        again = str(form.get("again") or "")[:40]
        key = request.app.state.tokens.form_key(browser, slug, *person, *([f"again:{again}"] if again else []))
        try:
            for attempt in range(10):
                command = msgspec.structs.replace(command, command_id=f"{key}-{attempt}")
                view = await gateway.call(Registration.REGISTER, command, RegistrationView)
                if view.status != "cancelled":
                    break  # a cancelled one is history: registering again makes a new one
        except ServiceError as error:
            refused = form_refusals(error, language)  # every problem at once, each next to its field
            errors = field_errors(refused, event_form_fields(spec))
            return await self._event_page(request, gateway, slug, typed_values(form), errors, refused[0].status)
        return Redirect(f"/r/{view.id}?token={view.manage_token}&new=1", status_code=303)

    @get("/m/{code:str}", opt={"access": "participant_link"})
    async def short_link(self, code: FromPath[str], gateway: NamedDependency[Gateway]) -> Redirect:
        """A mail's short link: to the private page its code stands for (the long link works too)."""
        target = await gateway.call(Registration.SHORT_LINK, OpenShortLink(code=code), ShortLinkTarget)
        return Redirect(f"/r/{target.registration_id}?token={target.token}", status_code=303)

    @get("/r/{registration_id:str}", opt={"access": "participant_link"})
    async def registration(
        self,
        request: Request[Any, Any, Any],
        registration_id: FromPath[str],
        gateway: NamedDependency[Gateway],
        token: FromQuery[str] = "",
    ) -> Response[str]:
        return await self._registration_page(request, gateway, registration_id, token)

    async def _registration_page(
        self,
        request: Request[Any, Any, Any],
        gateway: Gateway,
        registration_id: str,
        token: str,
        refused: list[Refusal] | None = None,
        values: dict[str, Any] | None = None,
    ) -> Response[str]:
        query = GetRegistration(registration_id=registration_id, token=token)
        view = await gateway.call(Registration.GET, query, RegistrationView)
        spec = await gateway.event(view.event, include_unpublished=True)
        errors = field_errors(refused or [], answers_form_fields(spec, view.category))
        base = public_base(request)
        qr = None
        register_again = None
        if view.status == "cancelled" and registration_status(await gateway.counts(spec.slug)) in ("open", "full"):
            register_again = f"/e/{spec.slug}?again={view.id}"
        if view.status == "confirmed":
            # The organiser's phone camera opens this link on the check-in page.
            check_in_url = f"{base}/organiser/e/{spec.slug}/checkin?code={view.id}"
            qr = Markup(segno.make(check_in_url, error="m").svg_inline(scale=4, title=view.id))
        if values is None:
            values = {f"q_{key}": value if isinstance(value, list) else [value] for key, value in view.answers.items()}
            values = {
                key: ["yes" if v is True else "no" if v is False else v for v in value] for key, value in values.items()
            }
            values["name"] = view.name
        return render(
            request,
            "public/registration.html",
            status_code=refused[0].status if refused else 200,
            event=spec,
            registration=view,
            category=spec.category(view.category),
            questions=spec.questions_for(view.category),
            new=request.query_params.get("new") == "1",
            saved=request.query_params.get("saved") == "1",
            command_id=uuid.uuid4().hex,
            qr=qr,
            calendar_url=f"{base}/r/{view.id}/calendar.ics?token={view.calendar_token}",
            jury_url=_jury_url(request, spec, view),
            register_again=register_again,
            values=values,
            errors=errors,
        )

    async def _refused(
        self,
        request: Request[Any, Any, Any],
        gateway: Gateway,
        registration_id: str,
        token: str,
        error: ServiceError,
        values: dict[str, Any] | None = None,
    ) -> Response[str]:
        """The private page again with the refusal on it (form_refusals: or the error page)."""
        refused = form_refusals(error, language_of(request))
        return await self._registration_page(request, gateway, registration_id, token, refused, values)

    @get("/r/{registration_id:str}/cancel", opt={"access": "participant_link"})
    async def cancel_confirmation(
        self,
        request: Request[Any, Any, Any],
        registration_id: FromPath[str],
        gateway: NamedDependency[Gateway],
        token: FromQuery[str] = "",
    ) -> Response[Any]:
        """The private page's cancel button asks first: what cancelling does, confirm or go back."""
        query = GetRegistration(registration_id=registration_id, token=token)
        view = await gateway.call(Registration.GET, query, RegistrationView)
        if view.status == "cancelled":
            return Redirect(f"/r/{registration_id}?token={token}", status_code=303)
        spec = await gateway.event(view.event, include_unpublished=True)
        return render(request, "public/cancel.html", event=spec, registration=view, command_id=uuid.uuid4().hex)

    @post("/r/{registration_id:str}/cancel", opt={"access": "participant_link"})
    async def cancel(
        self, request: Request[Any, Any, Any], registration_id: FromPath[str], gateway: NamedDependency[Gateway]
    ) -> Response[Any]:
        form = await request.form()
        token = str(form.get("token") or "")
        command = Cancel(command_id=command_id_of(form), registration_id=registration_id, token=token)
        try:
            await gateway.call(Registration.CANCEL, command, RegistrationView)
        except ServiceError as error:
            if error.reply.key != "already_cancelled":  # cancelled already: what was asked is done
                return await self._refused(request, gateway, registration_id, token, error)
        return Redirect(f"/r/{registration_id}?token={token}", status_code=303)

    @post("/r/{registration_id:str}/claim", opt={"access": "participant_link"})
    async def claim(
        self, request: Request[Any, Any, Any], registration_id: FromPath[str], gateway: NamedDependency[Gateway]
    ) -> Response[Any]:
        form = await request.form()
        token = str(form.get("token") or "")
        command = Claim(command_id=command_id_of(form), registration_id=registration_id, token=token)
        try:
            await gateway.call(Registration.CLAIM, command, RegistrationView)
        except ServiceError as error:
            return await self._refused(request, gateway, registration_id, token, error)
        return Redirect(f"/r/{registration_id}?token={token}&new=1", status_code=303)

    @post("/r/{registration_id:str}/answers", opt={"access": "participant_link"})
    async def update_answers(
        self, request: Request[Any, Any, Any], registration_id: FromPath[str], gateway: NamedDependency[Gateway]
    ) -> Response[Any]:
        form = await request.form()
        token = str(form.get("token") or "")
        view = await gateway.call(
            Registration.GET, GetRegistration(registration_id=registration_id, token=token), RegistrationView
        )
        spec = await gateway.event(view.event, include_unpublished=True)
        command = UpdateAnswers(
            command_id=command_id_of(form),
            registration_id=registration_id,
            token=token,
            name=str(form.get("name") or ""),
            answers=answers_from_form(spec, view.category, form),
        )
        try:
            await gateway.call(Registration.UPDATE_ANSWERS, command, RegistrationView)
        except ServiceError as error:
            return await self._refused(request, gateway, registration_id, token, error, typed_values(form))
        return Redirect(f"/r/{registration_id}?token={token}&saved=1", status_code=303)
