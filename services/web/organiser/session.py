"""An organiser's session in the browser: log in, log out, change the password."""

import uuid
from typing import Any
from urllib.parse import quote, urlsplit

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Redirect

from schemas.accounts import PENDING_LOGIN_LIFETIME
from schemas.catalog import Authenticate, ChangePassword, OrganiserReply
from schemas.errors import ErrorReply
from schemas.subjects import Catalog
from services.kit.client import ServiceError
from services.web.auth import LIFETIME, PENDING_COOKIE, SESSION_COOKIE, client_address, end_session
from services.web.errors import form_refusal, refusal
from services.web.forms import command_id_of
from services.web.gateway import Gateway
from services.web.rendering import gettext_for, language_of, render

# An email or password longer than any account's (refused as `invalid`) is refused like a wrong one.
WRONG_CREDENTIALS = ErrorReply(code="unauthorized", message="Wrong email or password", key="wrong_credentials")


def with_session(request: Request[Any, Any, Any], response: Response[Any], who: OrganiserReply) -> Response[Any]:
    """The response, carrying the cookie of a new session for this organiser."""
    response.set_cookie(
        SESSION_COOKIE,
        request.app.state.tokens.issue(who.organiser_id, who.email, who.epoch),
        max_age=LIFETIME,
        httponly=True,
        samesite="lax",
        path="/",
    )
    return response


def second_step(request: Request[Any, Any, Any], who: OrganiserReply, target: str) -> Response[Any]:
    """After the right password of an account with two-step login: the code's page, not a session."""
    response: Response[Any] = Redirect(f"/organiser/login/code?next={quote(target, safe='/')}", status_code=303)
    response.set_cookie(
        PENDING_COOKIE,
        request.app.state.tokens.pending_login(who.organiser_id, who.epoch),
        max_age=PENDING_LOGIN_LIFETIME,
        httponly=True,
        samesite="lax",
        path="/organiser/login",
    )
    return response


def _password_page(
    request: Request[Any, Any, Any],
    status: int = 200,
    error: str | None = None,
    field: str | None = None,
    done: bool = False,
) -> Response[str]:
    context = {"error": error, "field": field, "done": done, "command_id": uuid.uuid4().hex}
    return render(request, "organiser/password.html", status, organiser=request.state.organiser, **context)


def safe_next(target: str) -> str:
    """Where to go after logging in: an organiser page of this site with its query (the door's `code`),
    never another host (open redirect); anything else is the dashboard."""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or "\\" in target or not parts.path.startswith("/organiser/"):
        return "/organiser/"
    # Encoded as a URL must be (what is encoded already stays so): no header or markup can ride along.
    path = quote(parts.path, safe="/%:@!$&'()*+,;=-._~")
    query = quote(parts.query, safe="/%:@!$&'()*+,;=-._~?")
    return f"{path}?{query}" if query else path


class OrganiserSession(Controller):
    path = "/organiser"
    include_in_schema = False

    @get("/login", opt={"access": "public"})
    async def login_form(
        self,
        request: Request[Any, Any, Any],
        next: FromQuery[str] = "/organiser/",
        reset: FromQuery[str] = "",
        everywhere: FromQuery[str] = "",
    ) -> Response[str]:
        notice = "reset" if reset else "everywhere" if everywhere else ""
        return render(request, "organiser/login.html", next=safe_next(next), error=None, email="", notice=notice)

    @post("/login", opt={"access": "public"})
    async def login(self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway]) -> Response[Any]:
        form = await request.form()
        email, password = str(form.get("email") or ""), str(form.get("password") or "")
        target = safe_next(str(form.get("next") or "/organiser/"))
        try:
            query = Authenticate(email=email, password=password, address=client_address(request))
            who = await gateway.call(Catalog.AUTHENTICATE, query, OrganiserReply)
        except ServiceError as error:
            # A wrong password is `unauthorized`, which form_refusal sends to the error page: here every
            # refusal is the login form's.
            reply = WRONG_CREDENTIALS if error.reply.code == "invalid" else error.reply
            refused = refusal(reply, language_of(request))
            page = render(
                request, "organiser/login.html", refused.status, next=target, error=refused.message, email=email
            )
            if reply.retry_after:
                page.headers["Retry-After"] = str(reply.retry_after)
            return page
        if who.second_step:
            return second_step(request, who, target)
        return with_session(request, Redirect(target, status_code=303), who)

    @post("/logout", opt={"access": "public"})
    async def logout(self, request: Request[Any, Any, Any]) -> Redirect:
        # Ended in the catalog first: the cookie's value is refused even if the browser (or a copy) keeps it.
        await end_session(request, command_id_of(await request.form()))
        response = Redirect("/organiser/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @get("/password", opt={"access": "account"})
    async def password_form(self, request: Request[Any, Any, Any], done: FromQuery[str] = "") -> Response[Any]:
        return _password_page(request, done=bool(done))

    @post("/password", opt={"access": "account"})
    async def change_password(
        self, request: Request[Any, Any, Any], gateway: NamedDependency[Gateway]
    ) -> Response[Any]:
        """A new password ends every session of this organiser, on every instance, except this browser's new one."""
        form = await request.form()
        command = ChangePassword(
            command_id=command_id_of(form),
            organiser_id=request.state.organiser[0],
            current_password=str(form.get("current_password") or "")[:1000],
            new_password=str(form.get("new_password") or "")[:1000],
        )
        if command.new_password != str(form.get("confirm_password") or "")[:1000]:
            gettext = gettext_for(language_of(request))
            error = gettext("Les deux nouveaux mots de passe ne sont pas identiques.")
            return _password_page(request, 422, error, "confirm_password")
        try:
            changed = await gateway.call(Catalog.CHANGE_PASSWORD, command, OrganiserReply)
        except ServiceError as error:
            refused = form_refusal(error, language_of(request))
            return _password_page(request, refused.status, refused.message, refused.field)
        return with_session(request, Redirect("/organiser/password?done=1", status_code=303), changed)
