"""Mails as people read them: their language, their links, the QR code and the invitation."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import get_args
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from schemas.catalog import EventSpec
from schemas.notify import MailKind, MessageText
from schemas.registration import RegistrationView, short_code
from schemas.schedule import Change, Room, Slot
from services.catalog.files import read_event_file
from services.catalog.rules import normalise
from services.kit.i18n import Formatter, translations
from services.kit.settings import Settings
from services.notify.compose import Composer
from services.notify.rules import AgendaNotice, MailOrder

EVENTS = Path(__file__).resolve().parents[2] / "events"
BASE = "https://perche.example"
ORGANISATION = "Terres de Perche"


@pytest.fixture
def spec() -> EventSpec:
    return normalise(read_event_file(EVENTS / "hackathon-comice-2027.toml"))


@pytest.fixture
def composer() -> Composer:
    return Composer(BASE, ORGANISATION, f"{ORGANISATION} <inscriptions@perche.example>")


def view_of(spec: EventSpec, language: str = "fr", status: str = "confirmed", **changes: object) -> RegistrationView:
    fields: dict[str, object] = {
        "id": "a1b2c3d4e5",
        "event": spec.slug,
        "category": "participant",
        "status": status,
        "name": "Hélène Dupré",
        "email": "helene@example.org",
        "language": language,
        "registered_at": spec.starts_at - timedelta(days=30),
        "manage_token": "m" * 32,
        "calendar_token": "c" * 32,
        **changes,
    }
    return RegistrationView(**fields)  # type: ignore[arg-type]


# An organiser's message carries its own words, in both languages.
MESSAGE = MessageText(
    subject_fr="Horaires", body_fr="Les portes ouvrent à 8 h.", subject_en="Times", body_en="Doors at 8."
)


def order_of(kind: MailKind, invitation: str | None = None, **changes: object) -> MailOrder:
    if kind == "message":
        changes.setdefault("message", MESSAGE)
    return MailOrder(
        mail_id=f"{kind}-a1b2c3d4e5-0123456789ab",
        kind=kind,
        registration_id="a1b2c3d4e5",
        event="hackathon-comice-2027",
        invitation=invitation,  # type: ignore[arg-type]
        at=datetime(2027, 5, 1, 8, 0, tzinfo=UTC),
        **changes,  # type: ignore[arg-type]
    )


def text_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    content: str = body.get_content()
    return content


def invitation_of(message: EmailMessage) -> Calendar:
    [part] = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return Calendar.from_ical(payload)


def test_a_confirmation_in_french_has_its_subject_manage_link_code_and_calendar_link(
    spec: EventSpec, composer: Composer
) -> None:
    view = view_of(spec)
    message = composer.compose(order_of("confirmed", "publish"), view, spec, datetime.now(UTC))
    text = text_of(message)
    assert message["Subject"] == f"Inscription confirmée : {spec.title}"
    assert message["Content-Language"] == "fr"
    assert message["To"].addresses[0].addr_spec == view.email
    assert message["To"].addresses[0].display_name == view.name
    assert f"{BASE}/m/{short_code(view.manage_token)}" in text
    assert f"{BASE}/r/{view.id}/calendar.ics?token={view.calendar_token}" in text
    assert view.id in text
    assert Formatter("fr").span(spec.starts_at, spec.ends_at, spec.timezone) in text
    assert message["Message-ID"] == "<confirmed-a1b2c3d4e5-0123456789ab@perche.example>"


def test_a_confirmation_in_english_reads_english_throughout(spec: EventSpec, composer: Composer) -> None:
    english = composer.compose(order_of("confirmed", "publish"), view_of(spec, "en"), spec, datetime.now(UTC))
    gettext = translations("en").gettext
    assert english["Subject"] == gettext("Inscription confirmée : %(event)s") % {"event": spec.title_en}
    assert english["Content-Language"] == "en"
    text = text_of(english)
    assert (gettext("Bonjour %(name)s,") % {"name": "Hélène Dupré"}) in text
    assert Formatter("en").span(spec.starts_at, spec.ends_at, spec.timezone) in text


@pytest.mark.parametrize("kind", get_args(MailKind))
def test_every_kind_of_mail_is_written_in_each_language_with_no_french_left_in_english(
    spec: EventSpec, composer: Composer, kind: MailKind
) -> None:
    expires = spec.starts_at - timedelta(days=10)
    status = "waitlisted" if kind in ("waitlisted", "offered") else "confirmed"
    texts = {}
    for language in ("fr", "en"):
        view = view_of(spec, language, status, position=2 if kind == "waitlisted" else None)
        message = composer.compose(order_of(kind, offer_expires_at=expires), view, spec, datetime.now(UTC))
        texts[language] = text_of(message)
        assert message["Subject"]
        assert message["X-Perche-Kind"] == kind
    french = {line for line in texts["fr"].splitlines() if line.strip() and line != ORGANISATION}
    shared = [line for line in texts["en"].splitlines() if line in french and not line.startswith("http")]
    assert shared == []


def test_the_invitation_is_one_event_in_the_event_zone_with_a_stable_uid(spec: EventSpec, composer: Composer) -> None:
    view = view_of(spec)
    first = invitation_of(composer.compose(order_of("confirmed", "publish"), view, spec, datetime.now(UTC)))
    again = invitation_of(composer.compose(order_of("reminder", "publish"), view, spec, datetime.now(UTC)))
    assert first["METHOD"] == "PUBLISH"
    [event] = first.walk("VEVENT")
    [zone] = first.walk("VTIMEZONE")
    assert str(zone["TZID"]) == spec.timezone
    start, end = event.decoded("DTSTART"), event.decoded("DTEND")
    assert start == spec.starts_at and end == spec.ends_at
    assert start.tzinfo == ZoneInfo(spec.timezone)
    assert event["DTSTART"].params["TZID"] == spec.timezone
    assert str(event["SUMMARY"]) == spec.title
    assert f"{BASE}/m/{short_code(view.manage_token)}" in str(event["URL"])
    assert (int(event["SEQUENCE"]), str(event["STATUS"])) == (0, "CONFIRMED")
    assert view.id in str(event["UID"])
    assert str(event["UID"]) == str(next(iter(again.walk("VEVENT")))["UID"])


def test_a_cancellation_withdraws_the_same_calendar_entry(spec: EventSpec, composer: Composer) -> None:
    view = view_of(spec, status="cancelled")
    invited = invitation_of(composer.compose(order_of("confirmed", "publish"), view_of(spec), spec, datetime.now(UTC)))
    message = composer.compose(order_of("cancelled", "cancel"), view, spec, datetime.now(UTC))
    withdrawn = invitation_of(message)
    [added], [removed] = invited.walk("VEVENT"), withdrawn.walk("VEVENT")
    assert withdrawn["METHOD"] == "CANCEL"
    assert str(removed["UID"]) == str(added["UID"])
    assert int(removed["SEQUENCE"]) > int(added["SEQUENCE"])
    assert str(removed["STATUS"]) == "CANCELLED"


def test_a_confirmation_shows_the_entry_qr_code_and_a_waitlist_mail_does_not(
    spec: EventSpec, composer: Composer
) -> None:
    confirmed = composer.compose(order_of("confirmed", "publish"), view_of(spec), spec, datetime.now(UTC))
    html = confirmed.get_body(preferencelist=("html",))
    assert html is not None
    images = [p for p in confirmed.walk() if p.get_content_type() == "image/png"]
    assert len(images) == 1
    cid = images[0]["Content-ID"].strip("<>")
    assert f'src="cid:{cid}"' in html.get_content()
    waiting = composer.compose(order_of("waitlisted"), view_of(spec, status="waitlisted"), spec, datetime.now(UTC))
    assert [p for p in waiting.walk() if p.get_content_type() in ("image/png", "text/calendar")] == []


def test_a_name_cannot_break_out_of_the_to_header(spec: EventSpec, composer: Composer) -> None:
    view = view_of(spec, name="Eve\r\nBcc: victim@example.org")
    message = composer.compose(order_of("confirmed", "publish"), view, spec, datetime.now(UTC))
    assert message["Bcc"] is None
    assert "\n" not in str(message["To"])
    assert message["To"].addresses[0].addr_spec == view.email


def test_the_html_part_says_what_the_text_says_with_links_made_clickable(spec: EventSpec, composer: Composer) -> None:
    view = view_of(spec)
    message = composer.compose(order_of("confirmed", "publish"), view, spec, datetime.now(UTC))
    html = message.get_body(preferencelist=("html",))
    assert html is not None
    content = html.get_content()
    manage = f"{BASE}/m/{short_code(view.manage_token)}"
    assert f'href="{manage}"' in content
    assert '<html lang="fr">' in content


def local(spec: EventSpec, hour: int, minute: int = 0, days: int = 0) -> datetime:
    """A moment on the event's first day (or `days` later), in the event's zone."""
    day = spec.starts_at.astimezone(ZoneInfo(spec.timezone)) + timedelta(days=days)
    return day.replace(hour=hour, minute=minute, second=0, microsecond=0)


def notice_of(spec: EventSpec) -> AgendaNotice:
    def slot(start: datetime, minutes: int, room: str | None = "grange") -> Slot:
        return Slot(starts_at=start, ends_at=start + timedelta(minutes=minutes), room=room)

    changes = (
        Change(
            kind="moved",
            session="pitch-foin",
            title="Pitch de l'équipe Foin",
            title_en="Team Foin's pitch",
            before=slot(local(spec, 14), 10),
            after=slot(local(spec, 15, 30), 10, "hall"),
        ),
        Change(
            kind="moved",
            session="jury",
            title="Délibération",
            title_en="Deliberation",
            before=slot(local(spec, 17), 30),
            after=slot(local(spec, 9, days=1), 30),
        ),
        Change(
            kind="moved",
            session="atelier",
            title="Atelier",
            title_en="Workshop",
            before=slot(local(spec, 10), 60),
            after=slot(local(spec, 10), 90),
        ),
        Change(kind="added", session="visite", title="Visite", title_en="Tour", after=slot(local(spec, 11), 30)),
        Change(
            kind="cancelled",
            session="repas",
            title="Repas",
            title_en="Lunch",
            before=slot(local(spec, 12), 60),
            after=slot(local(spec, 12), 60),
        ),
        Change(
            kind="restored",
            session="concert",
            title="Concert",
            title_en="Concert",
            before=slot(local(spec, 20), 60),
            after=slot(local(spec, 20), 60),
        ),
        Change(
            kind="changed",
            session="remise",
            title="Remise des prix",
            title_en="Awards",
            before=slot(local(spec, 18), 30),
            after=slot(local(spec, 18), 30),
        ),
    )
    rooms = (Room(id="grange", name="La grange", name_en="The barn"), Room(id="hall", name="Le hall", name_en="Hall"))
    return AgendaNotice(version=3, changes=changes, rooms=rooms, note="Il pleut.")


def test_an_agenda_mail_says_what_moved_from_when_to_when_in_the_events_zone(
    spec: EventSpec, composer: Composer
) -> None:
    view = view_of(spec)
    order = order_of("agenda_changed", agenda=notice_of(spec))
    message = composer.compose(order, view, spec, datetime.now(UTC))
    text = text_of(message)
    date = Formatter("fr").date(local(spec, 15, 30), spec.timezone)
    assert message["Subject"] == f"Programme modifié : {spec.title}"
    assert f"« Pitch de l'équipe Foin » : déplacé de 14 h 00 à 15 h 30, {date}" in text
    assert "« Pitch de l'équipe Foin » : nouvelle salle, Le hall" in text
    fmt = Formatter("fr")
    before, after = local(spec, 17), local(spec, 9, days=1)
    assert (
        f"« Délibération » : déplacé du {fmt.datetime(before, spec.timezone)} au {fmt.datetime(after, spec.timezone)}"
        in text
    )
    assert f"« Atelier », {fmt.date(local(spec, 10), spec.timezone)} : se termine à 11 h 30 au lieu de 11 h 00" in text
    assert "Il pleut." in text
    assert f"{BASE}/m/{short_code(view.manage_token)}" in text
    assert f"{BASE}/r/{view.id}/calendar.ics?token={view.calendar_token}" in text
    assert [p for p in message.walk() if p.get_content_type() in ("image/png", "text/calendar")] == []


def test_an_agenda_mail_in_english_words_every_kind_of_change_in_english_with_english_times(
    spec: EventSpec, composer: Composer
) -> None:
    notice = notice_of(spec)
    texts = {}
    for language in ("fr", "en"):
        order = order_of("agenda_changed", agenda=notice)
        texts[language] = text_of(composer.compose(order, view_of(spec, language), spec, datetime.now(UTC)))
    english = translations("en").gettext
    fmt = Formatter("en")
    moved = english("« %(session)s » : déplacé de %(before)s à %(after)s, %(date)s") % {
        "session": "Team Foin's pitch",
        "before": fmt.time(local(spec, 14), spec.timezone),
        "after": fmt.time(local(spec, 15, 30), spec.timezone),
        "date": fmt.date(local(spec, 15, 30), spec.timezone),
    }
    assert moved in texts["en"]
    room = english("« %(session)s » : nouvelle salle, %(room)s") % {"session": "Team Foin's pitch", "room": "Hall"}
    assert room in texts["en"]
    change_lines = [line for line in texts["en"].splitlines() if line.startswith("- ")]
    assert len(change_lines) == len(notice.changes) + 1  # the pitch moved in time and room
    french = {line for line in texts["fr"].splitlines() if line.strip() and line != ORGANISATION}
    shared = [line for line in texts["en"].splitlines() if line in french and not line.startswith("http")]
    assert shared == []


def test_an_accented_domain_is_addressed_in_its_idna_form(spec: EventSpec, composer: Composer) -> None:
    view = view_of(spec, email="lea@café-du-comice.fr")
    message = composer.compose(order_of("confirmed", "publish"), view, spec, datetime.now(UTC))
    assert message["To"].addresses[0].addr_spec == "lea@xn--caf-du-comice-dhb.fr"
    assert b"lea@xn--caf-du-comice-dhb.fr" in message.as_bytes()


@pytest.mark.parametrize("kind", get_args(MailKind))
def test_every_mail_says_when_the_event_starts_in_the_readers_language(
    spec: EventSpec, composer: Composer, kind: MailKind
) -> None:
    """The hackathon runs over three days: the mail gives its dates and the time it starts."""
    status = "waitlisted" if kind in ("waitlisted", "offered") else "confirmed"
    for language in ("fr", "en"):
        view = view_of(spec, language, status)
        order = order_of(kind, offer_expires_at=spec.starts_at - timedelta(days=10))
        text = text_of(composer.compose(order, view, spec, datetime.now(UTC)))
        fmt = Formatter(language)
        starts = translations(language).gettext("%(span)s, début à %(time)s") % {
            "span": fmt.span(spec.starts_at, spec.ends_at, spec.timezone),
            "time": fmt.time(spec.starts_at, spec.timezone),
        }
        assert starts in text, kind


def test_a_mail_links_the_private_page_by_a_short_code_and_the_feed_also_by_webcal(
    spec: EventSpec, composer: Composer
) -> None:
    view = view_of(spec, manage_token="0123456789abcdef" * 2)
    message = composer.compose(order_of("confirmed", "publish"), view, spec, datetime.now(UTC))
    text = text_of(message)
    code = short_code(view.manage_token)
    assert len(code) == 16 and code.isalnum() and code == code.lower()
    assert f"{BASE}/m/{code}" in text
    assert view.manage_token not in text
    assert f"webcal://perche.example/r/{view.id}/calendar.ics?token={view.calendar_token}" in text
    html = message.get_body(preferencelist=("html",))
    assert html is not None
    assert f'href="webcal://perche.example/r/{view.id}/calendar.ics?token={view.calendar_token}"' in html.get_content()
    assert short_code(view.manage_token) != short_code("f" * 32)


def test_replies_go_to_the_organisers_address_when_it_is_not_the_senders(spec: EventSpec) -> None:
    sender = f"{ORGANISATION} <inscriptions@perche.example>"
    view, order = view_of(spec), order_of("confirmed", "publish")
    organisers = Composer(BASE, ORGANISATION, sender, reply_to="comice@perche.example")
    assert organisers.compose(order, view, spec, datetime.now(UTC))["Reply-To"] == "comice@perche.example"
    same = Composer(BASE, ORGANISATION, sender, reply_to="inscriptions@perche.example")
    assert same.compose(order, view, spec, datetime.now(UTC))["Reply-To"] is None
    assert Composer(BASE, ORGANISATION, sender).compose(order, view, spec, datetime.now(UTC))["Reply-To"] is None


def test_the_reply_address_is_the_one_set_else_the_organisers_account(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PERCHE_REPLY_TO", raising=False)
    monkeypatch.delenv("PERCHE_ADMIN_EMAIL", raising=False)
    assert Settings().reply_address is None
    monkeypatch.setenv("PERCHE_ADMIN_EMAIL", "orga@perche.example")
    assert Settings().reply_address == "orga@perche.example"
    monkeypatch.setenv("PERCHE_REPLY_TO", "Le comice <comice@perche.example>")
    assert Settings().reply_address == "Le comice <comice@perche.example>"


def test_the_organisers_word_on_a_release_reaches_english_readers_in_english(
    spec: EventSpec, composer: Composer
) -> None:
    notice = replace(notice_of(spec), note_en="It is raining.")
    texts = {
        language: text_of(
            composer.compose(
                order_of("agenda_changed", agenda=notice), view_of(spec, language), spec, datetime.now(UTC)
            )
        )
        for language in ("fr", "en")
    }
    assert "It is raining." in texts["en"] and "Il pleut." not in texts["en"]
    assert "Il pleut." in texts["fr"] and "It is raining." not in texts["fr"]


def test_an_organisers_message_is_plain_text_with_their_words_as_written(spec: EventSpec, composer: Composer) -> None:
    words = MessageText(subject_fr="Salle\nB", body_fr="Apportez <b>votre</b> câble & {{ name }}.")
    for language in ("fr", "en"):
        message = composer.compose(order_of("message", message=words), view_of(spec, language), spec, datetime.now(UTC))
        assert message["Subject"] == "Salle B"  # no line break reaches a header
        assert "Apportez <b>votre</b> câble & {{ name }}." in text_of(message)
        assert f"{BASE}/m/" in text_of(message)
        assert message.get_body(preferencelist=("html",)) is None
        assert not list(message.iter_attachments())
