"""Jinja2 pages in the visitor's language, with the CSRF field and locale formatting."""

import re
from contextvars import ContextVar
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from litestar import Request, Response
from litestar.types import Empty
from litestar.utils.scope.state import ScopeState
from markupsafe import Markup, escape

from services.kit.i18n import localised
from services.kit.resources import shared_folder
from services.web.i18n import Formatter, negotiate, translations
from services.web.security_headers import csp_nonce

TEMPLATES = shared_folder("templates")
LANG_COOKIE = "perche_lang"

_language: ContextVar[str] = ContextVar("language", default="fr")


def _gettext(message: str) -> str:
    return translations(_language.get()).gettext(message)


def _ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_language.get()).ngettext(singular, plural, n)


def make_environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(["html", "xml"], default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]
    return env


def language_of(request: Request[Any, Any, Any]) -> str:
    return negotiate(
        request.query_params.get("lang"),
        request.cookies.get(LANG_COOKIE),
        request.headers.get("accept-language"),
    )


def gettext_for(language: str) -> Any:
    return translations(language).gettext


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


class Brand:
    """The organisation's colour and logo, checked once at start-up."""

    def __init__(self, colour: str, logo_file: Path | None) -> None:
        self.colour = colour if re.fullmatch(r"#[0-9a-fA-F]{6}", colour) else "#2f6b3a"
        # White text on the brand colour only where it stays readable (WCAG 4.5:1), else black.
        self.ink = "#fff" if 1.05 / (_luminance(self.colour) + 0.05) >= 4.5 else "#000"
        source = logo_file if logo_file and logo_file.exists() else TEMPLATES / "logo.svg"
        # Inlined, so the page needs no extra request on a slow connection.
        self.logo = Markup(source.read_text(encoding="utf-8"))


def _switch_url(request: Request[Any, Any, Any], language: str) -> str:
    """This page in another language, keeping its query (a private link's token, a search)."""
    kept = [(key, value) for key, value in request.query_params.multi_items() if key != "lang"]
    return f"{request.url.path}?{urlencode([*kept, ('lang', language)])}"


def render(
    request: Request[Any, Any, Any],
    template: str,
    status_code: int = 200,
    language: str | None = None,
    **context: Any,
) -> Response[str]:
    """The page in the visitor's language, or in `language` when the page has its own (a projector's)."""
    language = language or language_of(request)
    token = _language.set(language)
    try:
        csrf = ScopeState.from_scope(request.scope).csrf_token
        csrf_value = "" if csrf is Empty else str(csrf)
        env: jinja2.Environment = request.app.state.jinja
        html = env.get_template(template).render(
            lang=language,
            fmt=Formatter(language),
            t=lambda obj, field: localised(obj, field, language),
            csrf_input=Markup(f'<input type="hidden" name="_csrf_token" value="{escape(csrf_value)}">'),
            request=request,
            path=request.url.path,
            switch_language=lambda wanted: _switch_url(request, wanted),
            organisation=request.app.state.settings.organisation,
            brand=request.app.state.brand,
            # For the few inline <script> and <style> elements: the CSP allows only these.
            csp_nonce=csp_nonce(request.scope),
            **context,
        )
    finally:
        _language.reset(token)
    response: Response[str] = Response(html, status_code=status_code, media_type="text/html")
    if request.query_params.get("lang") in ("fr", "en"):
        response.set_cookie(LANG_COOKIE, language, max_age=365 * 86400, samesite="lax", httponly=True)
    return response
