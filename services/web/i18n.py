"""Languages: French by default, English available; dates in the event's zone and locale.

Message ids are the French texts; `locale/en/LC_MESSAGES/messages.po` translates
them. Catalogs are compiled in memory at start-up, so no build step is needed.
"""

import io
from datetime import datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LANGUAGES = ("fr", "en")
DEFAULT = "fr"
LOCALE_DIR = Path(__file__).parent / "locale"


@cache
def translations(language: str) -> NullTranslations:
    po = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    if not po.exists():
        return NullTranslations()
    with po.open("rb") as f:
        catalog = read_po(f, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


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


class Formatter:
    """Dates, times and numbers for one language, shown in the event's zone."""

    def __init__(self, language: str) -> None:
        self.language = language

    def local(self, moment: datetime, zone: str) -> datetime:
        return moment.astimezone(ZoneInfo(zone))

    def date(self, moment: datetime, zone: str = "Europe/Paris") -> str:
        return format_date(self.local(moment, zone), "full", locale=self.language)

    def time(self, moment: datetime, zone: str = "Europe/Paris") -> str:
        local = self.local(moment, zone)
        if self.language == "fr":
            return f"{local.hour} h {local.minute:02d}"
        return format_time(local, "short", locale=self.language)

    def datetime(self, moment: datetime, zone: str = "Europe/Paris") -> str:
        joiner = " à " if self.language == "fr" else " at "
        return self.date(moment, zone) + joiner + self.time(moment, zone)

    def span(self, start: datetime, end: datetime, zone: str = "Europe/Paris") -> str:
        """« samedi 12 juin 2027, 9 h 00 – 18 h 00 », or two full dates over several days."""
        a, b = self.local(start, zone), self.local(end, zone)
        if a.date() == b.date():
            return f"{self.date(start, zone)}, {self.time(start, zone)} – {self.time(end, zone)}"
        word = ("du", "au") if self.language == "fr" else ("from", "to")
        return f"{word[0]} {self.date(start, zone)} {word[1]} {self.date(end, zone)}"

    def short_datetime(self, moment: datetime, zone: str = "Europe/Paris") -> str:
        return format_datetime(self.local(moment, zone), "short", locale=self.language)
