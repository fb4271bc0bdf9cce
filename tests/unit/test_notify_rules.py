"""Notify's pure rules: which mail an event calls for, when reminders are due, who sends."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import msgspec
import pytest

from schemas.catalog import EventSpec
from schemas.notify import MailClaimed, MailFailed, MailSent
from schemas.publishing import ResultLine, ResultsPublished
from schemas.registration import (
    AnswersChanged,
    CheckedIn,
    OfferLapsed,
    PersonErased,
    Registered,
    RegistrationCancelled,
    RegistrationEvent,
    RegistrationView,
    SeatOffered,
    WaitlistPromoted,
)
from schemas.schedule import Agenda, AgendaReleased, Change, Room, Session, Slot
from services.catalog.files import read_event_file
from services.catalog.rules import normalise
from services.notify.rules import (
    CLAIM_TIMEOUT,
    MAX_ATTEMPTS,
    NotifyState,
    claim_decision,
    due_reminders,
    error_label,
    mail_for,
    mails_for_release,
    mails_for_results,
    recipients_summary,
    release_mail_id,
    reminder_id,
    results_mail_id,
    retry_delay,
    still_wanted,
    wait_seconds,
)

EVENTS = Path(__file__).resolve().parents[2] / "events"


@pytest.fixture
def spec() -> EventSpec:
    return normalise(read_event_file(EVENTS / "table-ronde-numerique-education-2027.toml"))


def before(spec: EventSpec, **delta: float) -> datetime:
    return spec.starts_at - timedelta(**delta)


def registered(spec: EventSpec, rid: str, status: str = "confirmed", at: datetime | None = None) -> Registered:
    return Registered(
        registration_id=rid,
        command_id=f"cmd-{rid}",
        event=spec.slug,
        category="public",
        status="confirmed" if status == "confirmed" else "waitlisted",
        language="fr",
        at=at or before(spec, days=30),
        seat=1 if status == "confirmed" else None,
    )


def state_with(*events: RegistrationEvent) -> NotifyState:
    state = NotifyState()
    for event in events:
        state.evolve_registration(event)
    return state


def test_a_confirmed_registration_calls_for_a_confirmation_with_an_invitation(spec: EventSpec) -> None:
    event = registered(spec, "r1")
    state = state_with(event)
    order = mail_for(event, state.people["r1"], spec, before(spec, days=29))
    assert order is not None
    assert (order.kind, order.invitation, order.registration_id, order.event) == (
        "confirmed",
        "publish",
        "r1",
        spec.slug,
    )


def test_a_waitlisted_registration_calls_for_a_waitlist_mail_without_invitation(spec: EventSpec) -> None:
    event = registered(spec, "r1", "waitlisted")
    order = mail_for(event, state_with(event).people["r1"], spec, before(spec, days=29))
    assert order is not None and (order.kind, order.invitation) == ("waitlisted", None)


def test_the_same_cause_always_names_the_same_mail_and_different_causes_different_mails(spec: EventSpec) -> None:
    first, other = registered(spec, "r1"), registered(spec, "r2")
    state = state_with(first, other)
    now = before(spec, days=29)
    a = mail_for(first, state.people["r1"], spec, now)
    b = mail_for(first, state.people["r1"], spec, now + timedelta(minutes=5))
    c = mail_for(other, state.people["r2"], spec, now)
    assert a is not None and b is not None and c is not None
    assert a.mail_id == b.mail_id
    assert a.mail_id != c.mail_id


def test_cancelling_a_confirmed_seat_withdraws_the_invitation_and_says_who_cancelled(spec: EventSpec) -> None:
    cancel = RegistrationCancelled(
        registration_id="r1", command_id="c1", event=spec.slug, by_organiser="orga", at=before(spec, days=20)
    )
    state = state_with(registered(spec, "r1"), cancel)
    order = mail_for(cancel, state.people["r1"], spec, before(spec, days=20))
    assert order is not None
    assert (order.kind, order.invitation, order.by_organiser) == ("cancelled", "cancel", True)


def test_cancelling_from_the_waitlist_sends_no_calendar_withdrawal(spec: EventSpec) -> None:
    cancel = RegistrationCancelled(registration_id="r1", command_id="c1", event=spec.slug, at=before(spec, days=20))
    state = state_with(registered(spec, "r1", "waitlisted"), cancel)
    order = mail_for(cancel, state.people["r1"], spec, before(spec, days=20))
    assert order is not None
    assert (order.kind, order.invitation, order.by_organiser) == ("cancelled", None, False)


def test_an_offer_mail_carries_its_deadline_and_is_not_sent_once_expired(spec: EventSpec) -> None:
    now = before(spec, days=10)
    offer = SeatOffered(
        registration_id="r1",
        command_id="offer-r1-1",
        event=spec.slug,
        category="public",
        seat=3,
        expires_at=now + timedelta(hours=48),
        at=now,
    )
    state = state_with(registered(spec, "r1", "waitlisted"), offer)
    order = mail_for(offer, state.people["r1"], spec, now)
    assert order is not None and (order.kind, order.offer_expires_at) == ("offered", offer.expires_at)
    assert mail_for(offer, state.people["r1"], spec, offer.expires_at) is None
    # Read after the person already took the seat: no offer to announce any more.
    state.evolve_registration(
        WaitlistPromoted(registration_id="r1", command_id="claim-1", event=spec.slug, at=now, seat=3)
    )
    assert mail_for(offer, state.people["r1"], spec, now) is None


def test_a_promotion_confirms_with_an_invitation_and_a_lapsed_offer_says_so(spec: EventSpec) -> None:
    now = before(spec, days=10)
    promoted = WaitlistPromoted(registration_id="r1", command_id="claim-1", event=spec.slug, at=now, seat=2)
    lapsed = OfferLapsed(registration_id="r2", command_id="lapse-r2-1", event=spec.slug, at=now)
    state = state_with(registered(spec, "r1", "waitlisted"), registered(spec, "r2", "waitlisted"), promoted, lapsed)
    order = mail_for(promoted, state.people["r1"], spec, now)
    assert order is not None and (order.kind, order.invitation, order.by_organiser) == ("promoted", "publish", False)
    assert state.people["r1"].ever_confirmed and state.people["r1"].confirmed_at == now
    lapse_order = mail_for(lapsed, state.people["r2"], spec, now)
    assert lapse_order is not None and lapse_order.kind == "offer_lapsed"
    assert state.people["r2"].status == "cancelled"


def test_no_mail_after_the_event_nor_to_an_erased_person_nor_for_other_events(spec: EventSpec) -> None:
    event = registered(spec, "r1")
    state = state_with(event)
    assert mail_for(event, state.people["r1"], spec, spec.ends_at) is None
    erased = PersonErased(registration_id="r1", command_id="e1", event=spec.slug, at=before(spec, days=20))
    state.evolve_registration(erased)
    assert mail_for(event, state.people["r1"], spec, before(spec, days=20)) is None
    other = state_with(event)
    for quiet in (
        CheckedIn(registration_id="r1", command_id="k", event=spec.slug, by_organiser="o", at=spec.starts_at),
        AnswersChanged(registration_id="r1", command_id="a", event=spec.slug, at=before(spec, days=5)),
        erased,
    ):
        assert mail_for(quiet, other.people["r1"], spec, before(spec, days=5)) is None


def test_reminders_are_due_days_before_to_people_confirmed_before_that_moment(spec: EventSpec) -> None:
    early = registered(spec, "early", at=before(spec, days=30))
    late = registered(spec, "late", at=before(spec, days=1))
    waiting = registered(spec, "waiting", "waitlisted", at=before(spec, days=30))
    gone = registered(spec, "gone", at=before(spec, days=30))
    cancel = RegistrationCancelled(registration_id="gone", command_id="c", event=spec.slug, at=before(spec, days=20))
    state = state_with(early, late, waiting, gone, cancel)
    events = {spec.slug: spec}
    assert due_reminders(state, events, before(spec, days=2, seconds=1), 2) == []
    due = due_reminders(state, events, before(spec, days=2), 2)
    assert [(o.registration_id, o.kind, o.mail_id) for o in due] == [("early", "reminder", reminder_id("early"))]
    assert due_reminders(state, events, spec.starts_at, 2) == []


def test_a_reminder_already_sent_or_given_up_is_not_due_again(spec: EventSpec) -> None:
    state = state_with(registered(spec, "r1"), registered(spec, "r2"))
    now = before(spec, days=1)
    for rid in ("r1", "r2"):
        state.evolve_mail(
            MailClaimed(
                mail_id=reminder_id(rid),
                kind="reminder",
                registration_id=rid,
                event=spec.slug,
                language="fr",
                instance="a",
                at=now,
            )
        )
    state.evolve_mail(MailSent(mail_id=reminder_id("r1"), transport="smtp", at=now))
    assert [o.registration_id for o in due_reminders(state, {spec.slug: spec}, now, 2)] == ["r2"]
    state.evolve_mail(MailFailed(mail_id=reminder_id("r2"), error="SMTPServerDisconnected", final=True, at=now))
    assert due_reminders(state, {spec.slug: spec}, now, 2) == []


def test_one_instance_sends_a_mail_the_others_wait_then_take_over_a_claim_left_by_a_dead_one() -> None:
    now = datetime(2027, 6, 1, tzinfo=UTC)
    state = NotifyState()
    assert claim_decision(None, "a", now) == "claim"
    claim = MailClaimed(
        mail_id="m", kind="confirmed", registration_id="r", event="e", language="fr", instance="a", at=now
    )
    state.evolve_mail(claim)
    record = state.mails["m"]
    assert record.status == "sending"
    assert claim_decision(record, "a", now) == "claim"
    assert claim_decision(record, "b", now + timedelta(seconds=10)) == "wait"
    assert wait_seconds(record, now + timedelta(seconds=10)) == (CLAIM_TIMEOUT - timedelta(seconds=10)).total_seconds()
    assert claim_decision(record, "b", now + CLAIM_TIMEOUT) == "claim"
    state.evolve_mail(MailSent(mail_id="m", transport="maildir", at=now))
    assert (record.status, claim_decision(record, "b", now)) == ("sent", "skip")


def test_a_failure_releases_the_claim_for_another_attempt_and_a_final_one_gives_up() -> None:
    now = datetime(2027, 6, 1, tzinfo=UTC)
    state = NotifyState()
    claim = MailClaimed(
        mail_id="m", kind="confirmed", registration_id="r", event="e", language="fr", instance="a", at=now
    )
    state.evolve_mail(claim)
    state.evolve_mail(MailFailed(mail_id="m", error="SMTPConnectError", at=now))
    record = state.mails["m"]
    assert (record.status, record.failures, claim_decision(record, "b", now)) == ("failed", 1, "claim")
    state.evolve_mail(msgspec.structs.replace(claim, instance="b"))
    state.evolve_mail(MailFailed(mail_id="m", error="SMTPConnectError", final=True, at=now))
    assert (record.status, record.failures, claim_decision(record, "c", now)) == ("abandoned", 2, "skip")


def test_retries_back_off_up_to_a_ceiling_within_the_attempts_allowed() -> None:
    delays = [retry_delay(n) for n in range(1, MAX_ATTEMPTS + 1)]
    assert delays == sorted(delays)
    assert delays[0] >= 1 and delays[-1] == 900


def test_an_error_is_logged_by_its_kind_and_code_never_by_its_text() -> None:
    class SMTPRecipientsRefused(Exception):
        code = 550

    error = SMTPRecipientsRefused("550 5.1.1 <lea@example.org>: Recipient address rejected")
    assert error_label(error) == "SMTPRecipientsRefused 550"
    assert "@" not in error_label(ConnectionRefusedError("lea@example.org"))


# --- agenda releases ---


def slot(spec: EventSpec, hours: float, room: str | None = "grange") -> Slot:
    start = spec.starts_at + timedelta(hours=hours)
    return Slot(starts_at=start, ends_at=start + timedelta(minutes=10), room=room)


def release_of(spec: EventSpec, version: int, *changes: Change, by_organiser: str | None = "orga") -> AgendaReleased:
    rooms = [Room(id="grange", name="La grange"), Room(id="hall", name="Le hall")]
    return AgendaReleased(
        command_id=f"release-{version}",
        event=spec.slug,
        version=version,
        agenda=Agenda(rooms=rooms),
        changelog=list(changes),
        at=before(spec, days=3),
        by_organiser=by_organiser,
        note="Il pleut : les pitchs passent sous la grange.",
    )


def test_a_release_mails_each_person_it_concerns_once_with_only_the_changes_that_concern_them(
    spec: EventSpec,
) -> None:
    pitch = Change(
        kind="moved",
        session="pitch-foin",
        title="Pitch : Foin",
        before=slot(spec, 1),
        after=slot(spec, 2.5, "hall"),
        registrations=["juror", "member"],
    )
    talk = Change(
        kind="added", session="talk", title="Atelier", after=slot(spec, 4), registrations=["juror", "speaker"]
    )
    others = [registered(spec, rid) for rid in ("member", "juror", "speaker", "bystander")]
    state = state_with(*others)
    orders = mails_for_release(release_of(spec, 2, pitch, talk), state.people, spec, before(spec, days=3))

    assert [(o.registration_id, o.kind) for o in orders] == [
        ("juror", "agenda_changed"),
        ("member", "agenda_changed"),
        ("speaker", "agenda_changed"),
    ]
    changes = {o.registration_id: [c.session for c in o.agenda.changes] for o in orders if o.agenda}
    assert changes == {"juror": ["pitch-foin", "talk"], "member": ["pitch-foin"], "speaker": ["talk"]}
    member = orders[1].agenda
    assert member is not None
    assert sorted(r.id for r in member.rooms) == ["grange", "hall"]
    assert member.note == "Il pleut : les pitchs passent sous la grange."
    assert all(o.mail_id == release_mail_id(o.registration_id, spec.slug, 2) for o in orders)


def test_a_release_mail_is_named_by_its_release_so_a_repeat_is_the_same_mail_and_the_next_release_another(
    spec: EventSpec,
) -> None:
    change = Change(
        kind="cancelled", session="s", title="S", before=slot(spec, 1), after=slot(spec, 1), registrations=["r1"]
    )
    state = state_with(registered(spec, "r1"))
    now = before(spec, days=3)
    [first] = mails_for_release(release_of(spec, 2, change), state.people, spec, now)
    [again] = mails_for_release(release_of(spec, 2, change), state.people, spec, now + timedelta(hours=1))
    [later] = mails_for_release(release_of(spec, 3, change), state.people, spec, now)
    assert first.mail_id == again.mail_id
    assert first.mail_id != later.mail_id
    assert release_mail_id("r1", spec.slug, 2) != release_mail_id("r1", "another-event", 2)


def test_the_first_release_and_releases_after_the_event_mail_nobody(spec: EventSpec) -> None:
    change = Change(kind="added", session="s", title="S", after=slot(spec, 1), registrations=["r1"])
    state = state_with(registered(spec, "r1"))
    assert mails_for_release(release_of(spec, 1, change), state.people, spec, before(spec, days=3)) == []
    assert mails_for_release(release_of(spec, 2, change), state.people, spec, spec.ends_at) == []
    assert len(mails_for_release(release_of(spec, 2, change), state.people, spec, before(spec, days=3))) == 1


def test_cancelled_erased_unknown_and_other_events_registrations_get_no_release_mail(spec: EventSpec) -> None:
    now = before(spec, days=3)
    other_event = msgspec.structs.replace(registered(spec, "elsewhere"), event="another-event")
    state = state_with(
        registered(spec, "kept"),
        registered(spec, "gone"),
        RegistrationCancelled(registration_id="gone", command_id="c", event=spec.slug, at=now),
        registered(spec, "lapsed", "waitlisted"),
        OfferLapsed(registration_id="lapsed", command_id="l", event=spec.slug, at=now),
        registered(spec, "erased"),
        PersonErased(registration_id="erased", command_id="e", event=spec.slug, at=now),
        other_event,
    )
    everyone = ["elsewhere", "erased", "gone", "kept", "lapsed", "nobody"]
    change = Change(kind="moved", session="s", title="S", before=slot(spec, 1), after=slot(spec, 2))
    release = release_of(spec, 2, msgspec.structs.replace(change, registrations=everyone))
    assert [o.registration_id for o in mails_for_release(release, state.people, spec, now)] == ["kept"]


def test_a_change_to_a_session_for_a_category_mails_that_categorys_confirmed_people_once(spec: EventSpec) -> None:
    """The participants' workshop moves: every confirmed participant is told, with the change,
    besides the people it names; nobody else, and a session for everyone tells only its named."""
    now = before(spec, days=3)

    def as_category(rid: str, category: str, status: str = "confirmed") -> Registered:
        return msgspec.structs.replace(registered(spec, rid, status), category=category)

    state = state_with(
        as_category("ana", "participant"),
        as_category("bob", "mentor"),
        as_category("cid", "participant", "waitlisted"),
        as_category("dan", "participant"),
        RegistrationCancelled(registration_id="dan", command_id="c", event=spec.slug, at=now),
        as_category("eve", "public"),
        as_category("fay", "juror"),
        msgspec.structs.replace(as_category("gus", "participant"), event="another-event"),
    )
    start = spec.starts_at + timedelta(hours=1)
    sessions = [
        Session(id="atelier", title="Atelier", starts_at=start, ends_at=start, audience="participants"),
        Session(id="ouverture", title="Ouverture", starts_at=start, ends_at=start),
    ]
    workshop = Change(
        kind="moved",
        session="atelier",
        title="Atelier",
        before=slot(spec, 1),
        after=slot(spec, 2),
        registrations=["speaker", "ana"],
    )
    opening = Change(
        kind="moved",
        session="ouverture",
        title="Ouverture",
        before=slot(spec, 0),
        after=slot(spec, 0.5),
        registrations=["eve"],
    )
    release = msgspec.structs.replace(
        release_of(spec, 2, opening, workshop), agenda=Agenda(sessions=sessions, rooms=[Room(id="grange", name="G")])
    )
    state.evolve_registration(registered(spec, "speaker"))
    orders = mails_for_release(release, state.people, spec, now)
    told = {o.registration_id: [c.session for c in o.agenda.changes] for o in orders if o.agenda}
    assert told == {"ana": ["atelier"], "bob": ["atelier"], "eve": ["ouverture"], "speaker": ["atelier"]}
    assert len({o.mail_id for o in orders}) == len(orders)


def test_the_release_screen_counts_whom_the_release_would_mail_removed_sessions_included(spec: EventSpec) -> None:
    """The count is the mails' own rule: the named, then the others by audience; a session removed
    from the draft is found in the last release; the first release and a past event mail nobody."""
    now = before(spec, days=3)

    def as_category(rid: str, category: str) -> Registered:
        return msgspec.structs.replace(registered(spec, rid), category=category)

    state = state_with(
        as_category("ana", "participant"),
        as_category("bob", "participant"),
        as_category("fay", "juror"),
        as_category("vic", "public"),
        as_category("zoe", "public"),
    )
    start = spec.starts_at + timedelta(hours=1)
    briefing = Session(id="briefing", title="Briefing", starts_at=start, ends_at=start, audience="jurors")
    opening = Session(id="ouverture", title="Ouverture", starts_at=start, ends_at=start)
    removed = Change(kind="cancelled", session="briefing", title="Briefing", before=slot(spec, 1), after=slot(spec, 1))
    moved = Change(kind="moved", session="ouverture", title="O", before=slot(spec, 0), after=slot(spec, 1),
                   registrations=["ana"])  # fmt: skip
    draft, last = Agenda(sessions=[opening]), Agenda(sessions=[opening, briefing])
    summary = recipients_summary(2, [removed, moved], draft, state.people, spec, now, last)
    assert summary == (2, 1, {"jurors": 1})  # Ana named; Fay, a juror; no visitor for the opening
    assert recipients_summary(2, [removed, moved], draft, state.people, spec, now) == (1, 1, {})
    assert recipients_summary(1, [removed, moved], draft, state.people, spec, now, last) == (0, 0, {})
    assert recipients_summary(2, [removed, moved], draft, state.people, spec, spec.ends_at, last) == (0, 0, {})


def test_a_release_made_from_the_event_file_carries_no_organisers_note(spec: EventSpec) -> None:
    change = Change(kind="added", session="s", title="S", after=slot(spec, 1), registrations=["r1"])
    state = state_with(registered(spec, "r1"))
    [order] = mails_for_release(
        release_of(spec, 2, change, by_organiser=None), state.people, spec, before(spec, days=3)
    )
    assert order.agenda is not None and order.agenda.note == ""


def test_an_agenda_mail_is_dropped_once_the_registration_is_cancelled_but_a_cancellation_mail_is_not(
    spec: EventSpec,
) -> None:
    change = Change(kind="added", session="s", title="S", after=slot(spec, 1), registrations=["r1"])
    now = before(spec, days=3)
    [agenda] = mails_for_release(release_of(spec, 2, change), state_with(registered(spec, "r1")).people, spec, now)
    cancel = RegistrationCancelled(registration_id="r1", command_id="c", event=spec.slug, at=now)
    cancelled_mail = mail_for(cancel, state_with(registered(spec, "r1"), cancel).people["r1"], spec, now)
    assert cancelled_mail is not None

    def view(status: str, **changes: object) -> RegistrationView:
        fields: dict[str, object] = {
            "id": "r1",
            "event": spec.slug,
            "category": "public",
            "status": status,
            "name": "Léa",
            "email": "lea@example.org",
            "language": "fr",
            "registered_at": before(spec, days=30),
            "manage_token": "m",
            "calendar_token": "c",
            **changes,
        }
        return RegistrationView(**fields)  # type: ignore[arg-type]

    assert still_wanted(agenda, view("confirmed"))
    assert still_wanted(agenda, view("waitlisted"))
    assert not still_wanted(agenda, view("cancelled"))
    assert still_wanted(cancelled_mail, view("cancelled"))
    assert not still_wanted(agenda, view("confirmed", erased=True, email=""))


def test_results_go_once_to_everyone_still_registered_while_they_are_news(spec: EventSpec) -> None:
    waiting = registered(spec, "w1", status="waitlisted")
    state = state_with(registered(spec, "a1"), registered(spec, "b2"), registered(spec, "c3"), waiting)
    state.evolve_registration(
        RegistrationCancelled(registration_id="c3", command_id="x", event=spec.slug, at=spec.starts_at)
    )
    lines = [ResultLine(rank=i + 1, team=f"t{i}", team_name=f"Équipe {i}", total=90.0 - i) for i in range(5)]
    published = ResultsPublished(
        command_id="publish-1", event=spec.slug, lines=lines, by_organiser="o", at=spec.ends_at, note="Bravo"
    )
    orders = mails_for_results(published, state.people, spec.ends_at + timedelta(hours=1))
    assert [o.registration_id for o in orders] == ["a1", "b2"]
    assert {o.mail_id for o in orders} == {results_mail_id("a1", spec.slug), results_mail_id("b2", spec.slug)}
    assert orders[0].results is not None and [line.rank for line in orders[0].results.lines] == [1, 2, 3]
    # A new notify replaying the stream long after: no news.
    assert mails_for_results(published, state.people, spec.ends_at + timedelta(days=8)) == []
