"""Jinja2 pages in the visitor's language, with the CSRF field and locale formatting."""

from contextvars import ContextVar
from pathlib import Path
from typing import Any

import jinja2
from litestar import Request, Response
from litestar.types import Empty
from litestar.utils.scope.state import ScopeState
from markupsafe import Markup, escape

from services.web.i18n import Formatter, negotiate, translations

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
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


def localised(obj: Any, field: str, language: str) -> Any:
    """`title_en` when the page is in English and it is filled in, else `title`."""
    if language != "fr":
        value = getattr(obj, f"{field}_{language}", None)
        if value:
            return value
    return getattr(obj, field)


def render(request: Request[Any, Any, Any], template: str, status_code: int = 200, **context: Any) -> Response[str]:
    language = language_of(request)
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
            organisation=request.app.state.settings.organisation,
            **context,
        )
    finally:
        _language.reset(token)
    response: Response[str] = Response(html, status_code=status_code, media_type="text/html")
    if request.query_params.get("lang") in ("fr", "en"):
        response.set_cookie(LANG_COOKIE, language, max_age=365 * 86400, samesite="lax", httponly=True)
    return response
