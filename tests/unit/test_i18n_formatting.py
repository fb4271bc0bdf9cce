"""Which language a page speaks, and dates and times as people read them in the event's zone."""

from datetime import UTC, datetime

import msgspec
import pytest

from schemas.catalog import Category
from services.web.i18n import Formatter, negotiate
from services.web.rendering import localised

# Saturday 12 June 2027, 12:30 UTC: 14:30 in Paris (summer time, UTC+2).
SATURDAY = datetime(2027, 6, 12, 12, 30, tzinfo=UTC)
FR, EN = Formatter("fr"), Formatter("en")


@pytest.mark.parametrize(
    ("query", "cookie", "accept", "expected"),
    [
        (None, None, None, "fr"),
        ("en", "fr", "fr-FR", "en"),  # ?lang= wins
        ("de", "en", "fr-FR", "en"),  # an unknown ?lang= is ignored, the remembered choice is used
        (None, "en", "fr-FR,fr;q=0.9", "en"),
        (None, None, "en-GB,en;q=0.9,fr;q=0.8", "en"),
        (None, None, "de-DE,de;q=0.9,en;q=0.5,fr;q=0.4", "en"),
        (None, None, "fr;q=0.2,en;q=0.8", "en"),  # by weight, not by order
        (None, None, "de-DE,it;q=0.5", "fr"),
        (None, None, "en;q=nonsense,fr", "fr"),
        (None, None, "*", "fr"),
        (None, "xx", ";;;,,,q=", "fr"),
    ],
)
def test_the_language_is_the_query_then_the_cookie_then_the_browser_then_french(
    query: str | None, cookie: str | None, accept: str | None, expected: str
) -> None:
    assert negotiate(query, cookie, accept) == expected


def test_french_dates_read_as_people_write_them() -> None:
    assert FR.date(SATURDAY) == "samedi 12 juin 2027"
    assert FR.time(SATURDAY) == "14 h 30"
    assert FR.datetime(SATURDAY) == "samedi 12 juin 2027 à 14 h 30"


def test_times_are_shown_in_the_events_zone_in_summer_and_in_winter() -> None:
    assert FR.time(datetime(2027, 1, 16, 13, 30, tzinfo=UTC)) == "14 h 30"  # winter: UTC+1
    assert FR.time(datetime(2027, 6, 12, 7, 5, tzinfo=UTC)) == "9 h 05"
    assert FR.time(SATURDAY, "America/Montreal") == "8 h 30"
    # Late on Saturday in UTC is already Sunday in Paris.
    assert FR.date(datetime(2027, 6, 12, 23, 30, tzinfo=UTC)) == "dimanche 13 juin 2027"


def test_a_span_on_one_day_gives_the_hours_and_over_several_days_the_dates() -> None:
    evening = FR.span(datetime(2027, 7, 8, 16, 30, tzinfo=UTC), datetime(2027, 7, 8, 19, 0, tzinfo=UTC))
    assert evening == "jeudi 8 juillet 2027, 18 h 30 – 21 h 00"
    fair = FR.span(datetime(2027, 6, 11, 7, 0, tzinfo=UTC), datetime(2027, 6, 13, 16, 0, tzinfo=UTC))
    assert fair == "du vendredi 11 juin 2027 au dimanche 13 juin 2027"


def test_english_pages_use_english_dates_and_clock() -> None:
    assert EN.date(SATURDAY) == "Saturday, June 12, 2027"
    # CLDR puts a narrow no-break space before AM/PM.
    assert EN.time(SATURDAY) == "2:30\u202fPM"
    assert EN.datetime(SATURDAY) == "Saturday, June 12, 2027 at 2:30\u202fPM"
    fair = EN.span(datetime(2027, 6, 11, 7, 0, tzinfo=UTC), datetime(2027, 6, 13, 16, 0, tzinfo=UTC))
    assert fair == "from Friday, June 11, 2027 to Sunday, June 13, 2027"


def test_short_dates_for_tables_name_the_month_so_they_read_one_way_only() -> None:
    # Was "6/12/27" in English: 6 December to a European reader, 12 June to an American one.
    assert FR.short_datetime(SATURDAY) == "12 juin 2027, 14 h 30"
    assert EN.short_datetime(SATURDAY) == "12 Jun 2027, 2:30\u202fPM"
    december = datetime(2026, 12, 1, 13, 5, tzinfo=UTC)
    assert FR.short_datetime(december) == "1 déc. 2026, 14 h 05"
    assert EN.short_datetime(december) == "1 Dec 2026, 2:05\u202fPM"


def test_day_headings_raise_the_first_letter_only_so_english_months_keep_theirs() -> None:
    friday = datetime(2027, 6, 11, 7, 30, tzinfo=UTC)
    assert EN.day(friday) == "Friday, June 11, 2027"  # Jinja's `capitalize` gave "Friday, june 11, 2027"
    assert FR.day(friday) == "Vendredi 11 juin 2027"  # French months stay lower case


def test_a_label_before_its_value_is_punctuated_as_each_language_writes_it() -> None:
    assert FR.label("Salle du conseil") == "Salle du conseil :"
    assert EN.label("Council chamber") == "Council chamber:"


def test_english_text_falls_back_to_french_when_missing() -> None:
    both = Category(id="public", name="Visiteur", name_en="Visitor", capacity=1)
    french_only = msgspec.structs.replace(both, name_en="")
    assert localised(both, "name", "en") == "Visitor"
    assert localised(both, "name", "fr") == "Visiteur"
    assert localised(french_only, "name", "en") == "Visiteur"


def test_numbers_are_grouped_the_way_each_language_writes_them() -> None:
    from services.kit.i18n import Formatter

    assert Formatter("fr").number(1500) == "1\u202f500"  # a narrow no-break space, as French typography wants
    assert Formatter("en").number(1500) == "1,500"
