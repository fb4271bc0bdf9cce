"""The web app: `build_app` wires routes, errors, CSRF and rate limits in one place."""

import logging
from typing import Any

from litestar import Litestar, MediaType, Request, Response
from litestar.config.csrf import CSRFConfig
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    ValidationException,
)
from litestar.middleware.rate_limit import RateLimitConfig
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, YamlRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.response import Redirect

from schemas.errors import HTTP_STATUS
from services.kit.client import ServiceError
from services.kit.settings import Settings
from services.web.api import Api
from services.web.auth import CSRF_COOKIE, Tokens
from services.web.calendar import CALENDAR_HANDLERS
from services.web.docs import SwaggerPage
from services.web.editor import EventEditor
from services.web.forms import error_text
from services.web.gateway import Gateway
from services.web.health import healthz
from services.web.jury_admin import JuryAdmin
from services.web.jury_form import JuryPages
from services.web.mails import MailPages
from services.web.openapi import complete_allow_headers, honest_openapi
from services.web.organiser import OrganiserPages
from services.web.pages import PublicPages
from services.web.rendering import Brand, gettext_for, language_of, make_environment, render
from services.web.results_pages import ResultsAdmin, ResultsApi, ResultsPages
from services.web.security_headers import DOCS_PATH, SecurityHeaders
from services.web.teams_pages import TEAMS_HANDLERS

log = logging.getLogger("perche.web")


def _is_api(request: Request[Any, Any, Any]) -> bool:
    return request.url.path.startswith("/api/")


# The largest body any form or API call needs (an event with its sessions is well under it). It stays
# below the NATS max_payload (1 MB), so what is accepted here always fits in one command.
MAX_BODY = 512 * 1024


def _error_response(
    request: Request[Any, Any, Any],
    status: int,
    code: str,
    message: str,
    field: str | None,
    headers: dict[str, str] | None = None,
) -> Response[Any]:
    if _is_api(request):
        return Response(
            {"code": code, "message": message, "field": field},
            status_code=status,
            media_type=MediaType.JSON,
            headers=headers,
        )
    response = render(request, "public/error.html", status_code=status, message=message, status=status)
    response.headers.update(headers or {})
    return response


def on_service_error(request: Request[Any, Any, Any], error: ServiceError) -> Response[Any]:
    reply = error.reply
    message = (
        reply.message if _is_api(request) else error_text(reply.key, reply.message, gettext_for(language_of(request)))
    )
    headers = {"Retry-After": str(reply.retry_after)} if reply.retry_after else None
    return _error_response(request, HTTP_STATUS.get(reply.code, 500), reply.code, message, reply.field, headers)


def on_http_error(request: Request[Any, Any, Any], error: HTTPException) -> Response[Any]:
    gettext = gettext_for(language_of(request))
    if isinstance(error, NotAuthorizedException) and not _is_api(request):
        return Redirect(f"/organiser/login?next={request.url.path}", status_code=303)
    if isinstance(error, ValidationException) and _is_api(request):
        extra = error.extra if isinstance(error.extra, list) else []
        key = extra[0].get("key") if extra and isinstance(extra[0], dict) else None
        # msgspec names no key inside a mapping (`answers[...]`): the field is the mapping itself.
        field = str(key).split("[", 1)[0] if key else None
        detail = extra[0].get("message") if extra and isinstance(extra[0], dict) else None
        message = f"{error.detail}: {detail}" if detail else error.detail
        return _error_response(request, 400, "invalid", message, field)
    if isinstance(error, NotFoundException):
        return _error_response(request, 404, "not_found", gettext("Cette page n'existe pas."), None)
    if error.status_code == 403 and "CSRF" in str(error.detail):
        message = gettext("Le formulaire a expiré : rechargez la page et recommencez.")
        return _error_response(request, 403, "forbidden", message, None)
    if error.status_code == 429:
        message = gettext("Trop de demandes en peu de temps : patientez une minute puis réessayez.")
        # The rate limit is per minute: a retry after one always finds a fresh window.
        return _error_response(request, 429, "rate_limited", message, None, {"Retry-After": "60"})
    if error.status_code == 413:
        message = gettext("Ce que vous avez envoyé est trop long : raccourcissez les textes et recommencez.")
        return _error_response(request, 413, "too_large", message, None)
    if error.status_code == 400 and not _is_api(request):
        message = gettext("Ce formulaire n'a pas pu être lu : rechargez la page et recommencez.")
        return _error_response(request, 400, "invalid", message, None)
    code = {401: "unauthorized", 403: "forbidden", 405: "method_not_allowed"}.get(error.status_code, "invalid")
    # A 405 says which methods the address takes (RFC 9110 §15.5.6): keep Litestar's Allow header.
    allow = {"Allow": error.headers["allow"]} if error.headers and "allow" in error.headers else None
    return _error_response(request, error.status_code, code, str(error.detail), None, allow)


def on_too_deep(request: Request[Any, Any, Any], error: RecursionError) -> Response[Any]:
    """msgspec gives up on deeply nested JSON with a RecursionError: a bad request, not a crash."""
    log.warning("too deeply nested body on %s", request.url.path)
    message = gettext_for(language_of(request))("Ce que vous avez envoyé est imbriqué trop profondément.")
    return _error_response(request, 400, "invalid", message, None)


def on_unexpected(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    log.exception("unexpected error on %s", request.url.path, exc_info=error)
    gettext = gettext_for(language_of(request))
    message = gettext("Une erreur inattendue s'est produite : réessayez dans un instant.")
    return _error_response(request, 500, "internal", message, None)


async def _throttled(request: Request[Any, Any, Any]) -> bool:
    # async: a plain function would be run in a worker thread on every request.
    # Only public writes are limited; reading pages and organiser work are not.
    # Login stays limited, against password guessing.
    # Jurors are exempt too: their links are signed, and a whole jury shares the tent's Wi-Fi.
    path = request.url.path
    if request.method != "POST" or path.startswith("/jury/"):
        return False
    return not path.startswith("/organiser/") or path == "/organiser/login"


def build_app(gateway: Gateway, secret: bytes, settings: Settings) -> Litestar:
    middleware = []
    if settings.rate_limit_per_minute > 0:
        limit = RateLimitConfig(
            rate_limit=("minute", settings.rate_limit_per_minute), check_throttle_handler=_throttled
        )
        middleware.append(limit.middleware)
    app = Litestar(
        route_handlers=[
            PublicPages,
            OrganiserPages,
            MailPages,
            EventEditor,
            Api,
            healthz,
            *CALENDAR_HANDLERS,
            *TEAMS_HANDLERS,
            JuryPages,
            JuryAdmin,
            ResultsPages,
            ResultsAdmin,
            ResultsApi,
        ],
        csrf_config=CSRFConfig(
            secret=secret.hex(),
            cookie_name=CSRF_COOKIE,
            cookie_httponly=True,
            cookie_samesite="lax",
            # Secure over https like every cookie: SecurityHeaders marks it so.
            # The JSON API uses bearer tokens or no credentials at all, never cookies.
            exclude=["/api/"],
        ),
        middleware=middleware,
        # On every answer, error pages included: CSP, no-store and no-referrer on private pages, HSTS.
        before_send=[SecurityHeaders(settings.base_url)],
        exception_handlers={
            ServiceError: on_service_error,
            HTTPException: on_http_error,
            RecursionError: on_too_deep,
            Exception: on_unexpected,
        },
        openapi_config=OpenAPIConfig(
            title="Perche",
            version="1",
            description="Events, registrations and feeds of Perche. Organiser calls need a bearer token "
            "from POST /api/v1/auth/token.",
            components=Components(
                security_schemes={"bearer": SecurityScheme(type="http", scheme="bearer")},
            ),
            path=DOCS_PATH,
            # One doc UI, served from Perche's own files (no CDN); the schema as JSON and YAML.
            render_plugins=[SwaggerPage(), JsonRenderPlugin(), YamlRenderPlugin()],
        ),
        request_max_body_size=MAX_BODY,
        debug=False,
        # Logging is configured once by the process (perche CLI), not by each app.
        logging_config=None,
    )
    complete_allow_headers(app)
    honest_openapi(app)
    app.state.gateway = gateway
    app.state.tokens = Tokens(secret)
    app.state.settings = settings
    app.state.jinja = make_environment()
    app.state.brand = Brand(settings.brand_colour, settings.logo_file)
    return app
