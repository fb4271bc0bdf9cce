"""The web app: `build_app` wires routes, errors, CSRF and rate limits in one place."""

import logging
from typing import Any

from litestar import Litestar, Request
from litestar.config.csrf import CSRFConfig
from litestar.di import Provide
from litestar.middleware.rate_limit import RateLimitConfig
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, YamlRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme

from services.kit.settings import Settings
from services.web import agenda, jury, organisations, organiser, qa, registration, results, speakers, teams
from services.web.access import access_guard
from services.web.auth import CSRF_COOKIE, Tokens
from services.web.compression import COMPRESSION, vary_on_encoding
from services.web.docs import SwaggerPage
from services.web.errors import EXCEPTION_HANDLERS
from services.web.favicon import favicon
from services.web.gateway import Gateway, gateway_of
from services.web.health import healthz
from services.web.openapi import complete_allow_headers, honest_openapi
from services.web.rendering import Brand, make_environment
from services.web.security_headers import DOCS_PATH, SecurityHeaders

log = logging.getLogger("perche.web")


# The largest body any form or API call needs (an event with its sessions is well under it). It stays
# below the NATS max_payload (1 MB), so what is accepted here always fits in one command.
MAX_BODY = 512 * 1024


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
            # Registration first: the organiser's PUT /api/v1/events/{slug} joins the route its GET made.
            *registration.HANDLERS,
            *organiser.HANDLERS,
            healthz,
            favicon,
            *agenda.HANDLERS,
            *teams.HANDLERS,
            *jury.HANDLERS,
            *results.HANDLERS,
            *organisations.HANDLERS,
            *qa.HANDLERS,
            *speakers.HANDLERS,
        ],
        # Every route declares who may use it (opt={"access": ...}); this one guard holds it.
        guards=[access_guard],
        # Every handler that names a `gateway: Gateway` parameter gets the app's one.
        dependencies={"gateway": Provide(gateway_of, sync_to_thread=False)},
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
        before_send=[SecurityHeaders(settings.base_url), vary_on_encoding],
        # Pages and feeds gzipped for clients that ask; the live stream is left out (compression.py).
        compression_config=COMPRESSION,
        exception_handlers=EXCEPTION_HANDLERS,
        openapi_config=OpenAPIConfig(
            title="Perche",
            version="1",
            description="Events, registrations and feeds of Perche. Organiser calls need a bearer token "
            "from POST /api/v1/auth/token, or an organisation's API token (perche_…, made by its owners), "
            "which acts with its one role in that organisation.",
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
