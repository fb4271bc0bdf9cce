"""The agenda's pure rules: edits, conflicts, releases, the event file, who sees what."""

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import msgspec
import pytest

from schemas.catalog import Category, EventSpec, RoomSpec, Span, Venue
from schemas.errors import Rejected
from schemas.schedule import (
    Agenda,
    Contributor,
    EditDraft,
    PutContributor,
    PutRoom,
    PutSession,
    PutTeam,
    ReleaseAgenda,
    RemoveRoom,
    RemoveSession,
    Session,
    Team,
)
from services.catalog.files import EventFileError, read_event_file
from services.catalog.rules import normalise
from services.schedule.rules import (
    EventAgenda,
    ScheduleState,
    apply_edits,
    audience_of,
    decide_edit,
    decide_release,
    file_hash,
    find_issues,
    import_edits,
    sessions_for_person,
    sessions_in_room,
)

ROOT = Path(__file__).resolve().parents[2]
PARIS = ZoneInfo("Europe/Paris")
START = datetime(2027, 6, 11, 7, 0, tzinfo=UTC)
NOW = datetime(2027, 5, 1, 12, 0, tzinfo=UTC)


def spec(**extra: object) -> EventSpec:
    base = EventSpec(
        slug="essai",
        title="Essai",
        kind="hackathon",
        starts_at=START,
        ends_at=START + timedelta(days=2),
        venue=Venue(name="École", address="Place de l'Hôtel de Ville, 28240 La Loupe"),
        categories=[
            Category(id="participant", name="Participant", capacity=10),
            Category(id="juror", name="Jury", capacity=3, public=False),
            Category(id="public", name="Public", capacity=50),
            Category(id="press", name="Presse", capacity=5, audience="participants"),
        ],
    )
    return msgspec.structs.replace(base, **extra)


def session(ident: str, start_minutes: int, length: int = 60, **extra: object) -> Session:
    starts = START + timedelta(minutes=start_minutes)
    fields: dict[str, object] = {
        "title": ident.title(),
        "starts_at": starts,
        "ends_at": starts + timedelta(minutes=length),
    }
    fields.update(extra)
    return Session(id=ident, **fields)  # type: ignore[arg-type]


ROOMS = [RoomSpec(id="amphi", name="Amphithéâtre"), RoomSpec(id="atelier", name="Atelier")]
PEOPLE = [
    Contributor(id="nadia", name="Nadia"),
    Contributor(
        id="marc",
        name="Marc",
        availability=[Span(starts_at=START, ends_at=START + timedelta(hours=3))],
    ),
]


def agenda(*sessions: Session) -> Agenda:
    return Agenda(rooms=ROOMS, people=PEOPLE, sessions=list(sessions))


def issues(*sessions: Session) -> list[tuple[str, list[str]]]:
    found = find_issues(agenda(*sessions), START, START + timedelta(days=2))
    return [(i.kind, sorted(i.sessions)) for i in found]


def edit(*edits: object, command_id: str = "command-1") -> EditDraft:
    return EditDraft(command_id=command_id, event="essai", by_organiser="orga", edits=list(edits))  # type: ignore[arg-type]


# --- conflicts ---


def test_two_sessions_starting_at_the_same_minute_in_one_room_conflict() -> None:
    a = session("a", 60, room="amphi")
    b = session("b", 60, length=15, room="amphi")
    assert issues(a, b) == [("room_double_booked", ["a", "b"])]


def test_back_to_back_sessions_share_a_room_but_overlapping_ones_do_not() -> None:
    first = session("first", 0, room="amphi")
    next_one = session("next", 60, room="amphi")
    overlapping = session("late", 30, room="atelier")
    also = session("also", 59, room="atelier")
    assert issues(first, next_one) == []
    assert issues(overlapping, also) == [("room_double_booked", ["also", "late"])]


def test_a_speaker_in_two_rooms_at_once_is_a_conflict() -> None:
    a = session("a", 0, room="amphi", people=["nadia"])
    b = session("b", 30, room="atelier", people=["nadia"])
    assert issues(a, b) == [("person_double_booked", ["a", "b"])]


def test_a_session_outside_the_speakers_availability_is_a_conflict() -> None:
    inside = session("inside", 60, people=["marc"])
    outside = session("outside", 150, people=["marc"])
    assert issues(inside, outside) == [("outside_availability", ["outside"])]


def test_a_session_outside_the_event_is_a_conflict() -> None:
    early = session("early", -30)
    late = session("late", 2 * 24 * 60 - 30)
    assert issues(early, late) == [("outside_event", ["early"]), ("outside_event", ["late"])]


def test_cancelled_sessions_take_no_room_and_no_ones_time() -> None:
    a = session("a", 0, room="amphi", people=["nadia"])
    b = session("b", 0, room="amphi", people=["nadia"], cancelled=True)
    assert issues(a, b) == []


def test_a_juror_judging_a_team_they_have_a_conflict_with_is_a_conflict() -> None:
    juror = Contributor(id="jo", name="Jo", role="juror", conflicts=["t1"])
    draft = Agenda(
        people=[juror], teams=[Team(id="t1", name="Une")], sessions=[session("p", 0, people=["jo"], team="t1")]
    )
    found = find_issues(draft, START, START + timedelta(days=1))
    assert [(i.kind, i.person) for i in found] == [("juror_conflict_of_interest", "jo")]


# --- edits ---


def test_an_edit_with_an_unknown_room_is_refused_with_its_field_and_changes_nothing() -> None:
    state = EventAgenda(draft=agenda())
    command = edit(PutSession(session=session("ok", 0, room="amphi")), PutSession(session=session("bad", 0, room="x")))
    with pytest.raises(Rejected) as refused:
        decide_edit(state, spec(), command, NOW)
    assert refused.value.reply.field == "edits[1].session.room"
    assert refused.value.reply.key == "agenda_unknown_room"
    assert state.draft == agenda()


def test_naive_times_in_an_edit_are_local_to_the_event() -> None:
    local = Session(id="s", title="S", starts_at=datetime(2027, 6, 11, 14, 0), ends_at=datetime(2027, 6, 11, 15, 0))
    event = decide_edit(EventAgenda(), spec(), edit(PutSession(session=local)), NOW)
    stored = apply_edits(Agenda(), event.edits).sessions[0]
    assert stored.starts_at == datetime(2027, 6, 11, 14, 0, tzinfo=PARIS)
    assert stored.starts_at.tzinfo == UTC


def test_a_session_that_ends_before_it_starts_is_refused() -> None:
    backwards = session("s", 60, length=-30)
    with pytest.raises(Rejected) as refused:
        decide_edit(EventAgenda(), spec(), edit(PutSession(session=backwards)), NOW)
    assert refused.value.reply.field == "edits[0].session.ends_at"


def test_a_room_still_in_use_cannot_be_removed() -> None:
    state = EventAgenda(draft=agenda(session("a", 0, room="amphi")))
    with pytest.raises(Rejected) as refused:
        decide_edit(state, spec(), edit(RemoveRoom(id="amphi")), NOW)
    assert refused.value.reply.code == "conflict"
    unused = decide_edit(state, spec(), edit(RemoveRoom(id="atelier")), NOW)
    assert [r.id for r in apply_edits(state.draft, unused.edits).rooms] == ["amphi"]


def test_putting_a_session_again_replaces_it_and_keeps_the_agenda_in_time_order() -> None:
    draft = apply_edits(agenda(), [PutSession(session=session("b", 60)), PutSession(session=session("a", 0))])
    moved = apply_edits(draft, [PutSession(session=session("a", 120))])
    assert [s.id for s in draft.sessions] == ["a", "b"]
    assert [(s.id, s.starts_at) for s in moved.sessions] == [
        ("b", START + timedelta(minutes=60)),
        ("a", START + timedelta(minutes=120)),
    ]


# --- releases ---


def released(state: ScheduleState, at: datetime, command_id: str, **options: object) -> None:
    command = ReleaseAgenda(command_id=command_id, event="essai", by_organiser="orga", **options)  # type: ignore[arg-type]
    state.evolve(decide_release(state.of("essai"), spec(), command, at))


def edited(state: ScheduleState, *edits: object, command_id: str) -> None:
    state.evolve(decide_edit(state.of("essai"), spec(), edit(*edits, command_id=command_id), NOW))


def test_a_release_bumps_the_sequence_of_changed_sessions_only() -> None:
    state = ScheduleState()
    edited(state, PutRoom(room=ROOMS[0]), command_id="rooms-1")
    pitch, talk = session("pitch", 60, room="amphi"), session("talk", 180, room="amphi")
    edited(state, PutSession(session=pitch), PutSession(session=talk), command_id="sessions-1")
    first_at, second_at = NOW, NOW + timedelta(hours=1)
    released(state, first_at, "release-1")
    moved = msgspec.structs.replace(pitch, starts_at=pitch.starts_at + timedelta(minutes=180))
    moved = msgspec.structs.replace(moved, ends_at=moved.starts_at + timedelta(hours=1))
    edited(state, PutSession(session=moved), command_id="move-1")
    released(state, second_at, "release-2")

    release = state.of("essai").released
    assert release is not None and release.version == 2
    by_id = {s.id: s for s in release.agenda.sessions}
    assert (by_id["pitch"].sequence, by_id["pitch"].updated_at) == (1, second_at)
    assert (by_id["talk"].sequence, by_id["talk"].updated_at) == (0, first_at)
    [change] = release.changelog
    assert (change.kind, change.session) == ("moved", "pitch")
    assert change.before is not None and change.after is not None
    assert (change.before.starts_at, change.after.starts_at) == (pitch.starts_at, moved.starts_at)


def test_a_session_removed_from_the_draft_stays_in_the_next_release_as_cancelled() -> None:
    state = ScheduleState()
    edited(state, PutRoom(room=ROOMS[0]), PutSession(session=session("talk", 0, room="amphi")), command_id="c-1")
    released(state, NOW, "release-1")
    edited(state, RemoveSession(id="talk"), RemoveRoom(id="amphi"), command_id="c-2")
    released(state, NOW + timedelta(hours=1), "release-2")
    edited(state, PutSession(session=session("other", 0)), command_id="c-3")
    released(state, NOW + timedelta(hours=2), "release-3")

    release = state.of("essai").released
    assert release is not None
    talk = next(s for s in release.agenda.sessions if s.id == "talk")
    assert (talk.cancelled, talk.sequence) == (True, 1)
    # Its room stays known, so its calendar entry keeps its location.
    assert release.agenda.room("amphi") == ROOMS[0]
    assert [c.kind for c in state.of("essai").history[1].changelog] == ["cancelled"]


def test_releasing_with_conflicts_needs_accepting_them() -> None:
    state = ScheduleState()
    clash = [PutSession(session=session(i, 0, room="amphi")) for i in ("a", "b")]
    edited(state, PutRoom(room=ROOMS[0]), *clash, command_id="c-1")
    with pytest.raises(Rejected) as refused:
        released(state, NOW, "release-1")
    assert refused.value.reply.key == "agenda_has_conflicts"
    assert state.of("essai").released is None
    released(state, NOW, "release-1", accept_conflicts=True)
    release = state.of("essai").released
    assert release is not None
    assert [i.kind for i in release.accepted_issues] == ["room_double_booked"]


def test_releasing_an_unchanged_draft_is_refused() -> None:
    state = ScheduleState()
    edited(state, PutSession(session=session("a", 0)), command_id="c-1")
    released(state, NOW, "release-1")
    with pytest.raises(Rejected) as refused:
        released(state, NOW, "release-2")
    assert refused.value.reply.key == "agenda_unchanged"


def test_renaming_a_room_changes_the_sessions_in_it_for_calendar_apps() -> None:
    state = ScheduleState()
    edited(state, PutRoom(room=ROOMS[0]), PutSession(session=session("a", 0, room="amphi")), command_id="c-1")
    released(state, NOW, "release-1")
    edited(state, PutRoom(room=RoomSpec(id="amphi", name="Grand amphi")), command_id="c-2")
    released(state, NOW, "release-2")
    release = state.of("essai").released
    assert release is not None
    assert [(s.id, s.sequence) for s in release.agenda.sessions] == [("a", 1)]


# --- the event file ---


def test_the_demo_events_declare_agendas_without_conflicts() -> None:
    for path in sorted((ROOT / "events").glob("*.toml")):
        event = normalise(read_event_file(path))
        draft = apply_edits(Agenda(), import_edits(Agenda(), event))
        assert len(draft.sessions) == len(event.sessions) > 0
        assert find_issues(draft, event.starts_at, event.ends_at) == []


def test_an_event_file_naming_an_unknown_room_is_refused_with_the_session(tmp_path: Path) -> None:
    text = (ROOT / "events" / "table-ronde-numerique-education-2027.toml").read_text()
    broken = tmp_path / "broken.toml"
    broken.write_text(text.replace('room = "hall"\n', 'room = "cave"\n', 1))
    with pytest.raises(EventFileError) as refused:
        read_event_file(broken)
    assert "unknown room 'cave'" in str(refused.value)
    assert "sessions[0] ('accueil')" in str(refused.value)


def test_reloading_the_file_keeps_organiser_additions_and_drops_sessions_no_longer_declared() -> None:
    event = normalise(read_event_file(ROOT / "events" / "table-ronde-numerique-education-2027.toml"))
    draft = apply_edits(Agenda(), import_edits(Agenda(), event))
    mine = session("photo", 0, title="Photo de groupe")
    draft = apply_edits(draft, [PutSession(session=mine)])
    shorter = msgspec.structs.replace(event, sessions=[s for s in event.sessions if s.id != "verre"])

    reloaded = apply_edits(draft, import_edits(draft, shorter))
    ids = {s.id for s in reloaded.sessions}
    assert "verre" not in ids and "photo" in ids
    assert import_edits(reloaded, shorter) == []
    assert file_hash(shorter) != file_hash(event)


# --- who sees what ---


def test_a_persons_feed_has_their_audience_their_talks_and_their_teams_pitch() -> None:
    people = [Contributor(id="nadia", name="Nadia", registration="reg-speaker")]
    teams = [Team(id="t1", name="Une", members=["reg-member"]), Team(id="t2", name="Deux")]
    sessions = [
        session("opening", 0),
        session("meal", 60, audience="participants"),
        session("briefing", 60, audience="jurors"),
        session("talk", 120, people=["nadia"], audience="participants"),
        session("pitch-t1", 180, team="t1", audience="jurors"),
        session("pitch-t2", 200, team="t2", audience="jurors"),
    ]
    draft = Agenda(people=people, teams=teams, sessions=sessions)
    event = spec()

    def ids(registration: str, category: str) -> list[str]:
        return [s.id for s in sessions_for_person(draft, registration, audience_of(event, category))]

    assert ids("reg-public", "public") == ["opening"]
    assert ids("reg-member", "participant") == ["opening", "meal", "talk", "pitch-t1"]
    assert ids("reg-juror", "juror") == ["opening", "briefing", "pitch-t1", "pitch-t2"]
    assert ids("reg-speaker", "public") == ["opening", "talk"]
    # A category can say which audience it belongs to.
    assert ids("reg-press", "press") == ["opening", "meal", "talk"]
    assert [s.id for s in sessions_in_room(agenda(session("x", 0, room="amphi"), session("y", 0)), "amphi")] == ["x"]


def test_contributors_naming_unknown_teams_as_conflicts_are_refused() -> None:
    juror = Contributor(id="jo", name="Jo", role="juror", conflicts=["t9"])
    with pytest.raises(Rejected) as refused:
        decide_edit(EventAgenda(), spec(), edit(PutContributor(contributor=juror)), NOW)
    assert refused.value.reply.field == "edits[0].contributor.conflicts"
    ok = decide_edit(
        EventAgenda(), spec(), edit(PutTeam(team=Team(id="t9", name="Neuf")), PutContributor(contributor=juror)), NOW
    )
    assert len(ok.edits) == 2
