"""The mails of a confirmed team formation: who gets which (pure rules), and what they read (composer)."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from schemas.catalog import EventSpec
from schemas.registration import RegistrationView
from schemas.teams import ConfirmedTeam, ProposalConfirmed
from services.catalog.files import read_event_file
from services.catalog.rules import normalise
from services.kit.i18n import translations
from services.notify.compose import Composer
from services.notify.rules import MailOrder, Person, TeamNotice, first_name, mails_for_teams, still_wanted

EVENTS = Path(__file__).resolve().parents[2] / "events"
BASE = "https://perche.example"


@pytest.fixture
def spec() -> EventSpec:
    return normalise(read_event_file(EVENTS / "hackathon-comice-2027.toml"))


def person(spec: EventSpec, rid: str, **changes: object) -> Person:
    fields: dict[str, object] = {
        "id": rid,
        "event": spec.slug,
        "category": "participant",
        "language": "fr",
        "status": "confirmed",
        "registered_at": spec.starts_at - timedelta(days=30),
        **changes,
    }
    return Person(**fields)  # type: ignore[arg-type]


def confirmation(spec: EventSpec, command_id: str = "confirm-0001") -> ProposalConfirmed:
    return ProposalConfirmed(
        command_id=command_id,
        event=spec.slug,
        revision=3,
        teams=[
            ConfirmedTeam(team_id="t1", name="Équipe 1", code="ABC123", members=["a", "b", "c"], added=["a", "b", "c"]),
            ConfirmedTeam(
                team_id="epis",
                name="Les Épis",
                code="XYZ789",
                challenge="traite",
                members=["d", "e", "f"],
                added=["f"],
                existing=True,
            ),
        ],
        by_organiser="org",
        at=spec.starts_at - timedelta(days=10),
    )


def test_placed_people_get_their_team_and_those_already_in_a_topped_up_team_hear_who_joined(
    spec: EventSpec,
) -> None:
    people = {rid: person(spec, rid) for rid in "abcdef"}
    people["b"].erased = True
    people["e"].status = "cancelled"
    orders = mails_for_teams(confirmation(spec), people, spec, spec.starts_at - timedelta(days=9))
    kinds = {o.registration_id: o.kind for o in orders}
    assert kinds == {"a": "team_formed", "c": "team_formed", "d": "team_topped_up", "f": "team_formed"}
    by_id = {o.registration_id: o for o in orders}
    assert by_id["a"].team is not None and by_id["a"].team.teammates == ("b", "c")
    assert by_id["d"].team is not None and by_id["d"].team.teammates == ("f",)
    assert by_id["f"].team is not None and by_id["f"].team.challenge == "traite"
    # The same confirmation names the same mails; another confirmation, other mails.
    again = mails_for_teams(confirmation(spec), people, spec, spec.starts_at - timedelta(days=9))
    assert [o.mail_id for o in again] == [o.mail_id for o in orders]
    other = mails_for_teams(confirmation(spec, "confirm-0002"), people, spec, spec.starts_at - timedelta(days=9))
    assert not {o.mail_id for o in other} & {o.mail_id for o in orders}
    # Nothing once the event is over.
    assert mails_for_teams(confirmation(spec), people, spec, spec.ends_at) == []


def test_a_team_mail_goes_to_nobody_cancelled_or_erased_and_a_first_name_is_the_first_word() -> None:
    order = MailOrder(mail_id="m", kind="team_formed", registration_id="a", event="e")
    view = RegistrationView(
        id="a",
        event="e",
        category="participant",
        status="cancelled",
        name="Léa Martin",
        email="lea@example.org",
        language="fr",
        registered_at=datetime(2027, 5, 1, tzinfo=UTC),
        manage_token="m" * 32,
        calendar_token="c" * 32,
    )
    assert not still_wanted(order, view)
    assert (first_name("  Jean-Paul  de la Tour "), first_name("")) == ("Jean-Paul", "")


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_team_mail_names_the_team_teammates_challenge_code_and_team_page(spec: EventSpec, language: str) -> None:
    composer = Composer(BASE, "Terres de Perche", "Terres de Perche <inscriptions@perche.example>")
    view = RegistrationView(
        id="a1b2c3d4e5",
        event=spec.slug,
        category="participant",
        status="confirmed",
        name="Hélène Dupré",
        email="helene@example.org",
        language=language,  # type: ignore[arg-type]
        registered_at=spec.starts_at - timedelta(days=30),
        manage_token="m" * 32,
        calendar_token="c" * 32,
    )
    gettext = translations(language).gettext
    texts = []
    for challenge in ("traite", None):
        notice = TeamNotice(
            team_id="t1", name="Les Épis", code="XYZ789", challenge=challenge, teammates=("b", "c"),
            first_names=("Léa", "Sam"),
        )  # fmt: skip
        order = MailOrder(mail_id="team_formed-a1b2c3d4e5-0123", kind="team_formed", registration_id=view.id,
                          event=spec.slug, team=notice)  # fmt: skip
        message = composer.compose(order, view, spec, spec.starts_at - timedelta(days=10))
        body = message.get_body(preferencelist=("plain",))
        assert body is not None
        texts.append(body.get_content())
        title = spec.title_en if language == "en" else spec.title
        assert message["Subject"] == gettext("Votre équipe pour %(event)s") % {"event": title}
    with_challenge, without = texts
    assert gettext("Vos coéquipiers : %(names)s") % {"names": "Léa, Sam"} in with_challenge
    assert "Les Épis" in with_challenge and "XYZ789" in with_challenge
    traite = next(c for c in spec.challenges if c.id == "traite")
    words = {"challenge": traite.title_en if language == "en" else traite.title, "partner": traite.partner}
    assert gettext("Votre défi : %(challenge)s, proposé par %(partner)s") % words in with_challenge
    assert gettext("Votre défi : à choisir ensemble") in without
    lang = "&lang=en" if language == "en" else ""
    assert f"{BASE}/r/{view.id}/team?token={view.manage_token}{lang}" in with_challenge
