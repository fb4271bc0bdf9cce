"""Languages of pages: French by default, English available, chosen per request.

The catalogs and date formatting are shared with mails, in `services.kit.i18n`.
"""

from services.kit.i18n import DEFAULT, LANGUAGES, LOCALE_DIR, Formatter, translations

__all__ = ["DEFAULT", "LANGUAGES", "LOCALE_DIR", "Formatter", "negotiate", "translations"]


def negotiate(query: str | None, cookie: str | None, accept_language: str | None) -> str:
    """?lang= wins, then the remembered choice, then the browser's preference, then French."""
    for choice in (query, cookie):
        if choice in LANGUAGES:
            return choice
    ranked: list[tuple[float, str]] = []
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                weight = 0.0
        ranked.append((weight, tag.strip().lower()[:2]))
    for _, tag in sorted(ranked, key=lambda r: -r[0]):
        if tag in LANGUAGES:
            return tag
    return DEFAULT
