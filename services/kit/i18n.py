"""Languages shared by pages and mails: the gettext catalogs, dates in the event's zone.

Message ids are the French texts; `services/web/locale/en/LC_MESSAGES/messages.po`
translates them for pages and mails alike. Catalogs are compiled in memory at
start-up, so no build step is needed.
"""

import io
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

LANGUAGES = ("fr", "en")
DEFAULT = "fr"
# One catalog for every audience; it ships as package data of services.web.
LOCALE_DIR = Path(__file__).resolve().parents[1] / "web" / "locale"


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


def localised(obj: Any, field: str, language: str) -> Any:
    """`title_en` when the text is wanted in English and it is filled in, else `title`."""
    if language != "fr":
        value = getattr(obj, f"{field}_{language}", None)
        if value:
            return value
    return getattr(obj, field)


# The method `datetime` below would shadow the type inside the class.
Moment = datetime


class Formatter:
    """Dates, times and numbers for one language, shown in the event's zone."""

    def __init__(self, language: str) -> None:
        self.language = language

    def local(self, moment: Moment, zone: str) -> Moment:
        return moment.astimezone(ZoneInfo(zone))

    def date(self, moment: Moment, zone: str = "Europe/Paris") -> str:
        return format_date(self.local(moment, zone), "full", locale=self.language)

    def day(self, moment: Moment, zone: str = "Europe/Paris") -> str:
        """A day as a heading: « Samedi 12 juin 2027 », "Saturday, June 12, 2027".

        Only the first letter is raised: Jinja's `capitalize` lowers the rest, English month names included.
        """
        text = self.date(moment, zone)
        return text[:1].upper() + text[1:]

    def time(self, moment: Moment, zone: str = "Europe/Paris") -> str:
        local = self.local(moment, zone)
        if self.language == "fr":
            return f"{local.hour} h {local.minute:02d}"
        return format_time(local, "short", locale=self.language)

    def datetime(self, moment: Moment, zone: str = "Europe/Paris") -> str:
        joiner = " à " if self.language == "fr" else " at "
        return self.date(moment, zone) + joiner + self.time(moment, zone)

    def span(self, start: Moment, end: Moment, zone: str = "Europe/Paris") -> str:
        """« samedi 12 juin 2027, 9 h 00 – 18 h 00 », or two full dates over several days."""
        a, b = self.local(start, zone), self.local(end, zone)
        if a.date() == b.date():
            return f"{self.date(start, zone)}, {self.time(start, zone)} – {self.time(end, zone)}"
        word = ("du", "au") if self.language == "fr" else ("from", "to")
        return f"{word[0]} {self.date(start, zone)} {word[1]} {self.date(end, zone)}"

    def short_datetime(self, moment: Moment, zone: str = "Europe/Paris") -> str:
        """For tables: « 12 juin 2027, 14 h 30 », "12 Jun 2027, 2:30 PM"; never "6/12/27", read either way."""
        day = format_date(self.local(moment, zone), "d MMM y", locale=self.language)
        return f"{day}, {self.time(moment, zone)}"

    def label(self, text: str) -> str:
        """A label before its value, punctuated as the language writes it: « Salle : », "Room:"."""
        return f"{text} :" if self.language == "fr" else f"{text}:"

    def number(self, value: int | float) -> str:
        """« 1 500 » in French, "1,500" in English."""
        return format_decimal(value, locale=self.language)
