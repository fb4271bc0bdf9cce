"""An organiser's account: invitations and password resets by mail, log out everywhere, two-step login.

The catalog decides everything (schemas/accounts.py); these pages read the forms, show its refusals
next to their fields, and set or end the browser's session.
"""

import uuid
from typing import Any

import segno
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect
from markupsafe import Markup

from schemas.accounts import (
    AcceptInvitation,
    ConfirmTwoStep,
    DisableTwoStep,
    EndEverySession,
    GetTwoStep,
    LinkKind,
    LinkView,
    OpenLink,
    RequestPasswordReset,
    ResetPassword,
    ResetRequested,
    StartTwoStep,
    TwoStepEnabled,
    TwoStepSetup,
    TwoStepStatus,
    VerifySecondStep,
)
from schemas.catalog import OrganiserReply
from schemas.subjects import Catalog
from services.kit.client import ServiceError
from services.web.auth import PENDING_COOKIE, SESSION_COOKIE, client_address
from services.web.errors import form_refusal, refusal
from services.web.forms import command_id_of, form_text
from services.web.gateway import Gateway
from services.web.organiser.session import safe_next, with_session
from services.web.rendering import gettext_for, language_of, render


def _language(request: Request[Any, Any, Any]) -> str:
    return "en" if language_of(request) == "en" else "fr"


def _passwords(form: Any) -> tuple[str, str]:
    return str(form.get("password") or "")[:1000], str(form.get("confirm_password") or "")[:1000]


def _qr_svg(uri: str) -> Markup:
    # segno writes the SVG itself (no user text in it but the URI, which it escapes).
    return Markup(segno.make(uri, error="m").svg_inline(scale=4, dark="#1a1a1a", light="#ffffff"))  # noqa: S704


def _link_page(
    request: Request[Any, Any, Any],
    kind: LinkKind,
    link: LinkView | None,
    status: int = 200,
    error: str | None = None,
    field: str | None = None,
    token: str = "",
) -> Response[str]:
    context = {"kind": kind, "link": link, "token": token, "error": error, "field": field}
    return render(request, "organiser/link.html", status, command_id=uuid.uuid4().hex, **context)


def _grouped(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


class AccountPages(Controller):
    path = "/organiser"
    include_in_schema = False

    async def _link(
        self, request: Request[Any, Any, Any], gateway: Gateway, kind: LinkKind, token: str
    ) -> LinkView | Response[str]:
        """What the link is for, or the page saying precisely why it cannot be used."""
        try:
            return await gateway.call(Catalog.OPEN_LINK, OpenLink(kind=kind, token=token[:200]), LinkView)
        except ServiceError as error:
            refused = refusal(error.reply, language_of(request))
            return _link_page(request, kind, None, refused.status, refused.message)

    async def _link_form(
        self, request: Request[Any, Any, Any], gateway: Gateway, kind: LinkKind, token: str
    ) -> Response[str]:
        """The password form of a mailed link, or why the link cannot be used."""
        link = await self._link(request, gateway, kind, token)
        return link if isinstance(link, Response) else _link_page(request, kind, link, token=token)

    @get("/welcome/{token:str}", opt={"access": "public"})
    async def welcome_form(
        self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway], token: FromPath[str]
    ) -> Response[str]:
        return await self._link_form(request, gateway, "invitation", token)

    @post("/welcome/{token:str}", opt={"access": "public"})
    async def welcome(
        self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway], token: FromPath[str]
    ) -> Response[Any]:
        """The invited person's password: the account is made and this browser logged in."""
        return await self._set_password(request, gateway, "invitation", token)

    async def _set_password(
        self, request: Request[Any, Any, Any], gateway: Gateway, kind: LinkKind, token: str
    ) -> Response[Any]:
        form = await request.form()
        password, confirm = _passwords(form)
        gettext = gettext_for(language_of(request))

        async def again(status: int, error: str, field: str | None) -> Response[str]:
            # Told about the link first when it cannot be used (anymore): the form would not help.
            link = await self._link(request, gateway, kind, token)
            if isinstance(link, Response):
                return link
            return _link_page(request, kind, link, status, error, field, token)

        if password != confirm:
            return await again(422, gettext("Les deux mots de passe ne sont pas identiques."), "confirm_password")
        address, command_id = client_address(request), command_id_of(form)
        try:
            if kind == "invitation":
                command: AcceptInvitation | ResetPassword = AcceptInvitation(
                    command_id=command_id, token=token[:200], password=password, address=address
                )
                who = await gateway.call(Catalog.ACCEPT_INVITATION, command, OrganiserReply, timeout=15)
            else:
                command = ResetPassword(command_id=command_id, token=token[:200], password=password, address=address)
                who = await gateway.call(Catalog.RESET_PASSWORD, command, OrganiserReply, timeout=15)
        except ServiceError as error:
            refused = form_refusal(error, language_of(request))
            if error.reply.field == "token":
                return _link_page(request, kind, None, refused.status, refused.message)
            return await again(refused.status, refused.message, refused.field)
        if kind == "invitation":
            return with_session(request, Redirect("/organiser/", status_code=303), who)
        # Not logged in at once: an account with two-step login still needs its code.
        response = Redirect("/organiser/login?reset=1", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    # --- password reset ---

    @get("/forgot", opt={"access": "public"})
    async def forgot_form(self, request: Request[Any, Any, Any]) -> Response[str]:
        return render(request, "organiser/forgot.html", sent=False, error=None, email="")

    @post("/forgot", opt={"access": "public"})
    async def forgot(self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway]) -> Response[str]:
        """The same page and status whether or not the address is an organiser's."""
        form = await request.form()
        email = form_text(form, "email", 254)
        command = RequestPasswordReset(email=email, language=_language(request), address=client_address(request))
        try:
            await gateway.call(Catalog.REQUEST_PASSWORD_RESET, command, ResetRequested, timeout=15)
        except ServiceError as error:
            refused = refusal(error.reply, language_of(request))
            context = {"sent": False, "error": refused.message, "email": email}
            page = render(request, "organiser/forgot.html", refused.status, **context)
            if error.reply.retry_after:
                page.headers["Retry-After"] = str(error.reply.retry_after)
            return page
        return render(request, "organiser/forgot.html", sent=True, error=None, email=email)

    @get("/reset/{token:str}", opt={"access": "public"})
    async def reset_form(
        self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway], token: FromPath[str]
    ) -> Response[str]:
        return await self._link_form(request, gateway, "reset", token)

    @post("/reset/{token:str}", opt={"access": "public"})
    async def reset(
        self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway], token: FromPath[str]
    ) -> Response[Any]:
        return await self._set_password(request, gateway, "reset", token)

    # --- the account page: log out everywhere, two-step login ---

    async def _account_page(
        self, request: Request[Any, Any, Any], gateway: Gateway, status: int = 200, **context: Any
    ) -> Response[str]:
        two_step = await gateway.call(
            Catalog.GET_TWO_STEP, GetTwoStep(organiser_id=request.state.organiser[0]), TwoStepStatus
        )
        values = {"error": None, "done": ""} | context
        return render(
            request,
            "organiser/account.html",
            status,
            organiser=request.state.organiser,
            two_step=two_step,
            command_id=uuid.uuid4().hex,
            **values,
        )

    @get("/account", opt={"access": "account"})
    async def account(
        self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway], done: FromQuery[str] = ""
    ) -> Response[str]:
        return await self._account_page(request, gateway, done=done)

    @post("/account/everywhere", opt={"access": "account"})
    async def everywhere(self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway]) -> Redirect:
        """Every session of this account ends, on every instance, this browser's too."""
        form = await request.form()
        command = EndEverySession(command_id=command_id_of(form), organiser_id=request.state.organiser[0])
        await gateway.call(Catalog.END_EVERY_SESSION, command, OrganiserReply)
        response = Redirect("/organiser/login?everywhere=1", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    async def _setup_page(
        self, request: Request[Any, Any, Any], gateway: Gateway, status: int = 200, error: str | None = None
    ) -> Response[str]:
        setup = await gateway.call(
            Catalog.START_TWO_STEP, StartTwoStep(organiser_id=request.state.organiser[0]), TwoStepSetup
        )
        return render(
            request,
            "organiser/two_step.html",
            status,
            organiser=request.state.organiser,
            secret=_grouped(setup.secret),
            qr=_qr_svg(setup.uri),
            codes=None,
            error=error,
            command_id=uuid.uuid4().hex,
        )

    @get("/account/two-step", opt={"access": "account"})
    async def two_step_form(self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway]) -> Response[Any]:
        try:
            return await self._setup_page(request, gateway)
        except ServiceError as error:
            if error.reply.key != "two_step_already_on":
                raise
            return Redirect("/organiser/account", status_code=303)

    @post("/account/two-step", opt={"access": "account"})
    async def two_step_on(self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway]) -> Response[Any]:
        """A code from the app turns two-step login on; the recovery codes are shown this once."""
        form = await request.form()
        command = ConfirmTwoStep(
            command_id=command_id_of(form), organiser_id=request.state.organiser[0], code=form_text(form, "code", 40)
        )
        try:
            enabled = await gateway.call(Catalog.CONFIRM_TWO_STEP, command, TwoStepEnabled)
        except ServiceError as error:
            refused = form_refusal(error, language_of(request))
            if error.reply.key == "two_step_already_on":
                return await self._account_page(request, gateway, refused.status, error=refused.message)
            return await self._setup_page(request, gateway, refused.status, refused.message)
        page = render(
            request,
            "organiser/two_step.html",
            organiser=request.state.organiser,
            codes=enabled.recovery_codes,
            error=None,
        )
        # Every other session ended (made without a code); this browser's goes on with a new one.
        who = OrganiserReply(organiser_id=enabled.organiser_id, email=enabled.email, epoch=enabled.epoch)
        page.headers["Cache-Control"] = "no-store"
        return with_session(request, page, who)

    @post("/account/two-step/off", opt={"access": "account"})
    async def two_step_off(self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway]) -> Response[Any]:
        form = await request.form()
        command = DisableTwoStep(
            command_id=command_id_of(form), organiser_id=request.state.organiser[0], code=form_text(form, "code", 40)
        )
        try:
            await gateway.call(Catalog.DISABLE_TWO_STEP, command, TwoStepStatus)
        except ServiceError as error:
            refused = form_refusal(error, language_of(request))
            page = await self._account_page(request, gateway, refused.status, error=refused.message)
            if error.reply.retry_after:
                page.headers["Retry-After"] = str(error.reply.retry_after)
            return page
        return Redirect("/organiser/account?done=off", status_code=303)

    # --- the second step of a login ---

    @get("/login/code", opt={"access": "public"})
    async def code_form(self, request: Request[Any, Any, Any], next: FromQuery[str] = "/organiser/") -> Response[Any]:
        pending = request.app.state.tokens.pending_login_of(request.cookies.get(PENDING_COOKIE, ""))
        if pending is None:
            return Redirect("/organiser/login", status_code=303)
        return render(request, "organiser/code.html", next=safe_next(next), error=None)

    @post("/login/code", opt={"access": "public"})
    async def code(self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway]) -> Response[Any]:
        form = await request.form()
        target = safe_next(form_text(form, "next", 2000) or "/organiser/")
        pending = request.app.state.tokens.pending_login_of(request.cookies.get(PENDING_COOKIE, ""))
        gettext = gettext_for(language_of(request))
        if pending is None:
            message = gettext("La page du code a expiré : reconnectez-vous avec votre mot de passe.")
            return render(request, "organiser/login.html", 401, next=target, error=message, email="")
        query = VerifySecondStep(
            organiser_id=pending.organiser_id,
            epoch=pending.epoch,
            code=form_text(form, "code", 40),
            address=client_address(request),
        )
        try:
            who = await gateway.call(Catalog.VERIFY_SECOND_STEP, query, OrganiserReply)
        except ServiceError as error:
            refused = refusal(error.reply, language_of(request))
            if error.reply.code == "unauthorized":
                return render(request, "organiser/login.html", 401, next=target, error=refused.message, email="")
            page = render(request, "organiser/code.html", refused.status, next=target, error=refused.message)
            if error.reply.retry_after:
                page.headers["Retry-After"] = str(error.reply.retry_after)
            return page
        response = with_session(request, Redirect(target, status_code=303), who)
        response.delete_cookie(PENDING_COOKIE, path="/organiser/login")
        return response
