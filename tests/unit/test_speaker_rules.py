"""Speakers' invitations and answers (issue 15): the pure rules, fed only by decided events."""

import io
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image

from schemas.catalog import Category, EventSpec, Span, Venue
from schemas.errors import Rejected
from schemas.schedule import Agenda, Contributor, Session
from schemas.speakers import AnswerInvitation, InviteSpeaker, SpeakerPhoto, WithdrawInvitation
from services.kit.photos import UnreadablePhoto, photo_type, resized
from services.schedule.rules import find_issues
from services.schedule.speakers import (
    SpeakersState,
    decide_answer,
    decide_invite,
    decide_reminder,
    decide_withdraw,
    due_reminders,
    invitation_list,
    link_expires,
    opened,
    public_speakers,
    with_answered_availability,
)

START = datetime(2027, 7, 8, 16, 0, tzinfo=UTC)
NOW = datetime(2027, 6, 1, 9, 0, tzinfo=UTC)
KEY = "k" * 32


def spec() -> EventSpec:
    return EventSpec(
        slug="table-ronde",
        title="Table ronde",
        kind="round_table",
        starts_at=START,
        ends_at=START + timedelta(hours=3),
        venue=Venue(name="Mairie", address="La Loupe"),
        categories=[Category(id="public", name="Public", capacity=50)],
    )


def invite(state: SpeakersState, invitation: str, name: str = "Claire Moreau", **extra: object) -> None:
    command = InviteSpeaker(
        command_id=f"invite-{invitation}",
        event="table-ronde",
        by_organiser="org",
        name=name,
        email="claire@example.org",
        **extra,  # type: ignore[arg-type]
    )
    event = decide_invite(state, spec(), command, invitation, KEY + invitation, NOW)
    assert event is not None
    state.evolve(event)


def answer(invitation: str, command_id: str = "", **fields: object) -> AnswerInvitation:
    values: dict[str, object] = {"answer": "confirmed", **fields}
    return AnswerInvitation(
        command_id=command_id or f"answer-{invitation}",
        event="table-ronde",
        invitation=invitation,
        key=KEY + invitation,
        **values,  # type: ignore[arg-type]
    )


def answered(state: SpeakersState, command: AnswerInvitation, photo: SpeakerPhoto | None = None) -> None:
    event = decide_answer(state, spec(), command, NOW, photo)
    assert event is not None
    state.evolve(event)


def test_an_invitation_keeps_the_hash_of_the_key_and_never_the_address() -> None:
    state = SpeakersState()
    invite(state, "aaaaaaaa")
    invited = state.of("table-ronde").invitations["aaaaaaaa"].invited
    assert KEY not in invited.key_hash and len(invited.key_hash) == 64
    assert "example.org" not in repr(invited)


def test_an_invitation_needs_a_name_and_an_address_and_says_both() -> None:
    command = InviteSpeaker(command_id="invite-x1", event="table-ronde", by_organiser="o", name=" ", email="nope")
    with pytest.raises(Rejected) as refused:
        decide_invite(SpeakersState(), spec(), command, "bbbbbbbb", KEY, NOW)
    assert [p.key for p in refused.value.reply.every_problem()] == ["speaker_name_required", "speaker_email_invalid"]


def test_a_repeated_invitation_appends_nothing() -> None:
    state = SpeakersState()
    invite(state, "aaaaaaaa")
    command = InviteSpeaker(
        command_id="invite-aaaaaaaa", event="table-ronde", by_organiser="org", name="X", email="x@example.org"
    )
    assert decide_invite(state, spec(), command, "cccccccc", KEY, NOW) is None


def test_a_wrong_key_opens_nothing_and_says_no_more_than_an_unknown_invitation() -> None:
    state = SpeakersState()
    invite(state, "aaaaaaaa")
    for invitation, key in (("aaaaaaaa", "wrong"), ("zzzzzzzz", KEY + "zzzzzzzz")):
        with pytest.raises(Rejected) as refused:
            opened(state, spec(), invitation, key, NOW)
        assert refused.value.reply.key == "speaker_link_unknown"


def test_the_link_expires_days_after_the_event_and_when_withdrawn() -> None:
    state = SpeakersState()
    invite(state, "aaaaaaaa")
    assert opened(state, spec(), "aaaaaaaa", KEY + "aaaaaaaa", link_expires(spec())).invited.name == "Claire Moreau"
    later = link_expires(spec()) + timedelta(seconds=1)
    with pytest.raises(Rejected) as refused:
        opened(state, spec(), "aaaaaaaa", KEY + "aaaaaaaa", later)
    assert refused.value.reply.key == "speaker_link_expired"
    withdraw = WithdrawInvitation(command_id="withdraw-1", event="table-ronde", invitation="aaaaaaaa", by_organiser="o")
    event = decide_withdraw(state, spec(), withdraw, NOW)
    assert event is not None
    state.evolve(event)
    with pytest.raises(Rejected) as refused:
        decide_answer(state, spec(), answer("aaaaaaaa"), NOW, None)
    assert refused.value.reply.key == "speaker_link_withdrawn"


def test_only_confirmed_speakers_are_public_the_moderator_first() -> None:
    state = SpeakersState()
    invite(state, "aaaaaaaa", "Claire Moreau")
    invite(state, "bbbbbbbb", "Jules Martin")
    invite(state, "cccccccc", "Anne Lambert", role="moderator")
    invite(state, "dddddddd", "Paul Durand")
    answered(state, answer("aaaaaaaa", title="Députée", bio="Élue de la circonscription."))
    answered(state, answer("bbbbbbbb", answer="declined"))
    answered(state, answer("cccccccc", command_id="answer-0002", title="Journaliste"))
    shown = public_speakers(state, spec()).speakers
    assert [(s.name, s.role, s.title) for s in shown] == [
        ("Anne Lambert", "moderator", "Journaliste"),
        ("Claire Moreau", "speaker", "Députée"),
    ]
    listed = invitation_list(state, spec()).invitations
    assert [(i.name, i.answer) for i in listed] == [
        ("Claire Moreau", "confirmed"),
        ("Jules Martin", "declined"),
        ("Anne Lambert", "confirmed"),
        ("Paul Durand", None),
    ]


def test_a_bio_over_1000_characters_or_availability_outside_the_event_is_refused() -> None:
    state = SpeakersState()
    invite(state, "aaaaaaaa")
    outside = Span(starts_at=START - timedelta(hours=1), ends_at=START + timedelta(hours=1))
    with pytest.raises(Rejected) as refused:
        decide_answer(state, spec(), answer("aaaaaaaa", bio="x" * 2000, availability=[outside]), NOW, None)
    assert [p.key for p in refused.value.reply.every_problem()] == ["speaker_bio_too_long", "speaker_availability_bad"]
    assert state.of("table-ronde").invitations["aaaaaaaa"].answer is None


def test_a_new_answer_keeps_the_photo_unless_removed_and_cleans_control_characters() -> None:
    state = SpeakersState()
    invite(state, "aaaaaaaa")
    photo = SpeakerPhoto(content_type="image/jpeg", size=10, sha256="ab" * 32)
    answered(state, answer("aaaaaaaa", bio="Ligne 1\r\nLigne\x00 2  "), photo)
    answered(state, answer("aaaaaaaa", command_id="answer-0002", title="Mai\x07re", bio="Bio"))
    kept = state.of("table-ronde").invitations["aaaaaaaa"].answer
    assert kept is not None and kept.photo == photo and kept.title == "Mai re"
    answered(state, answer("aaaaaaaa", command_id="answer-0003", remove_photo=True))
    kept = state.of("table-ronde").invitations["aaaaaaaa"].answer
    assert kept is not None and kept.photo is None


def test_a_photo_is_resized_to_a_jpeg_without_its_metadata() -> None:
    big = io.BytesIO()
    Image.new("RGBA", (1800, 1200), (200, 30, 30, 128)).save(big, format="PNG")
    small = resized(big.getvalue())
    assert photo_type(small[:16]) == "image/jpeg"
    with Image.open(io.BytesIO(small)) as image:
        assert image.size == (600, 400)
    with pytest.raises(UnreadablePhoto):
        resized(b"\x89PNG\r\n\x1a\n" + b"not really a png")


def test_a_confirmed_speaker_is_reminded_once_in_the_days_before_the_event() -> None:
    state = SpeakersState()
    invite(state, "aaaaaaaa", "Claire Moreau")
    invite(state, "bbbbbbbb", "Jules Martin")
    invite(state, "cccccccc", "Anne Lambert")
    answered(state, answer("aaaaaaaa"))
    answered(state, answer("bbbbbbbb", answer="declined"))
    two_days_before = START - timedelta(days=2)
    assert due_reminders(state, spec(), two_days_before - timedelta(seconds=1), 2) == []
    assert due_reminders(state, spec(), two_days_before, 2) == ["aaaaaaaa"]
    assert due_reminders(state, spec(), START, 2) == []
    reminded = decide_reminder(state, spec(), "aaaaaaaa", two_days_before)
    assert reminded is not None
    state.evolve(reminded)
    assert due_reminders(state, spec(), two_days_before, 2) == []


def test_conflicts_are_found_against_the_availability_a_confirmed_speaker_gave() -> None:
    state = SpeakersState()
    invite(state, "aaaaaaaa", "Claire Moreau", contributor="claire")
    talk = Session(
        id="ouverture", title="Ouverture", starts_at=START, ends_at=START + timedelta(hours=1), people=["claire"]
    )
    draft = Agenda(people=[Contributor(id="claire", name="Claire Moreau")], sessions=[talk])
    assert find_issues(with_answered_availability(draft, state, "table-ronde"), START, START + timedelta(hours=3)) == []
    later = Span(starts_at=START + timedelta(hours=2), ends_at=START + timedelta(hours=3))
    answered(state, answer("aaaaaaaa", availability=[later]))
    issues = find_issues(with_answered_availability(draft, state, "table-ronde"), START, START + timedelta(hours=3))
    assert [(i.kind, i.person) for i in issues] == [("outside_availability", "claire")]
