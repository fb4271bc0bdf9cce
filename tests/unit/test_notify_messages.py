"""Who an organiser's message goes to, and what its text must be: notify's pure rules."""

from datetime import UTC, datetime, timedelta

from schemas.notify import MessageText, SendMessage
from services.notify.messages import in_language, message_orders, message_problems, message_recipients
from services.notify.rules import Person
from tests.demo_events import HACKATHON, demo_spec

AT = datetime(2027, 1, 1, tzinfo=UTC)


def person(ident: str, category: str = "participant", status: str = "confirmed", **more: object) -> Person:
    order = int(ident[-1]) if ident[-1].isdigit() else 0
    return Person(
        id=ident,
        event=str(more.pop("event", HACKATHON)),
        category=category,
        language="fr",
        status=status,  # type: ignore[arg-type]
        registered_at=AT + timedelta(minutes=order),
        **more,  # type: ignore[arg-type]
    )


PEOPLE = {
    p.id: p
    for p in [
        person("conf1"),
        person("wait2", status="waitlisted"),
        person("wait3", status="waitlisted"),
        person("gone4", status="cancelled"),
        person("lapsed5", status="cancelled", checked_in=True),
        person("erased6", status="waitlisted", erased=True),
        person("door7", checked_in=True),
        person("juror8", category="juror"),
        person("elsewhere9", status="waitlisted", event="other-event"),
    ]
}


def ids(audience: str, team: frozenset[str] = frozenset()) -> list[str]:
    return [p.id for p in message_recipients(audience, PEOPLE, demo_spec(HACKATHON), team)]


def test_each_audience_is_the_registrants_it_names_never_the_cancelled_erased_or_other_events() -> None:
    assert ids("everyone") == ["conf1", "wait2", "wait3", "door7", "juror8"]
    assert ids("waitlist") == ["wait2", "wait3"]
    assert ids("checked_in") == ["door7"]
    assert ids("jurors") == ["juror8"]
    assert ids("category:participant") == ["conf1", "wait2", "wait3", "door7"]
    assert ids("team:t1", frozenset({"door7", "gone4", "conf1"})) == ["conf1", "door7"]


def test_one_mail_per_person_whose_id_a_repeat_of_the_command_names_again() -> None:
    text = MessageText(subject_fr="Salle", body_fr="Rendez-vous salle B")
    command = SendMessage(command_id="click-0001", event=HACKATHON, by_organiser="o", audience="waitlist", text=text)
    recipients = message_recipients("waitlist", PEOPLE, demo_spec(HACKATHON))
    first = [o.mail_id for o in message_orders(command, recipients)]
    assert first == [o.mail_id for o in message_orders(command, recipients)]
    assert len(set(first)) == 2
    other = SendMessage(command_id="click-0002", event=HACKATHON, by_organiser="o", audience="waitlist", text=text)
    assert not set(first) & {o.mail_id for o in message_orders(other, recipients)}


def test_text_needs_a_french_subject_and_body_within_limits_and_english_falls_back_to_french() -> None:
    problems = message_problems(MessageText(subject_fr=" ", body_fr="", body_en="x" * 6000))
    assert problems is not None
    assert [(p.field, p.key) for p in problems.reply.every_problem()] == [
        ("subject_fr", "message_subject_required"),
        ("body_fr", "message_body_required"),
        ("body_en", "too_long"),
    ]
    text = MessageText(subject_fr="Objet", body_fr="Texte", subject_en="Subject")
    assert message_problems(text) is None
    assert in_language(text, "en") == ("Subject", "Texte")
    assert in_language(text, "fr") == ("Objet", "Texte")
