"""Issue 12, the history: which fields changed between two definitions, and what organisers did."""

from datetime import UTC, datetime

import msgspec

from schemas.catalog import Category, EventDefined, EventSpec, FieldChange, Venue
from schemas.registration import CheckedIn, PersonErased, RegistrationCancelled, RegistrationEvent, WaitlistPromoted
from schemas.teams import MemberJoined, MemberLeft, TeamCreated, TeamsEvent
from services.catalog.rules import CatalogState, decide_define, definition_history, describe, spec_changes
from services.registration.rules import organiser_actions
from services.teams.rules import organiser_placements

NOW = datetime(2027, 1, 5, 10, 0, tzinfo=UTC)


def spec(**changes: object) -> EventSpec:
    base = EventSpec(
        slug="portes-ouvertes-2027",
        title="Portes ouvertes",
        kind="open_day",
        starts_at=datetime(2027, 6, 12, 9, 0, tzinfo=UTC),
        ends_at=datetime(2027, 6, 12, 17, 0, tzinfo=UTC),
        venue=Venue(name="École du numérique"),
        categories=[
            Category(id="participant", name="Participant", capacity=20, default=True),
            Category(id="press", name="Presse", capacity=5, public=False),
        ],
    )
    return msgspec.structs.replace(base, **changes)


def with_capacity(capacity: int) -> list[Category]:
    return [
        Category(id="participant", name="Participant", capacity=capacity, default=True),
        Category(id="press", name="Presse", capacity=5, public=False),
    ]


def test_the_same_definition_has_no_changes() -> None:
    assert spec_changes(spec(), spec()) == []


def test_a_category_field_is_named_by_the_category_id_with_old_and_new_values() -> None:
    changes = spec_changes(spec(), spec(categories=with_capacity(30)))
    assert changes == [FieldChange(path="categories[participant].capacity", old="20", new="30")]
    assert describe(changes[0]) == "categories[participant].capacity: 20 → 30"


def test_top_level_and_nested_fields_are_named() -> None:
    changes = spec_changes(spec(), spec(title="Journée portes ouvertes", venue=Venue(name="Mairie")))
    assert [describe(c) for c in changes] == [
        "title: Portes ouvertes → Journée portes ouvertes",
        "venue.name: École du numérique → Mairie",
    ]


def test_added_and_removed_rows_are_named_and_reordering_is_no_change() -> None:
    old = spec()
    reordered = spec(categories=list(reversed(old.categories)))
    assert spec_changes(old, reordered) == []
    added = spec(categories=[*old.categories[:1], Category(id="mentor", name="Mentor", capacity=3)])
    assert [describe(c) for c in spec_changes(old, added)] == [
        "categories[press]: press → —",
        "categories[mentor]: — → mentor",
    ]


def test_a_long_text_is_shown_by_its_beginning() -> None:
    [change] = spec_changes(spec(), spec(description="x" * 500))
    assert change.path == "description" and change.new is not None and len(change.new) == 80


def test_the_history_lists_each_definition_with_who_and_what_changed_since_the_one_before() -> None:
    state = CatalogState()
    first = decide_define(state, spec(), "c1", NOW)
    assert first is not None and first.by_organiser is None
    state.evolve(first)
    second = decide_define(state, spec(categories=with_capacity(30)), "c2", NOW, by_organiser="org-1")
    assert isinstance(second, EventDefined) and second.by_organiser == "org-1"
    history = definition_history([first, second])
    assert [(d.first, d.by_organiser) for d in history] == [(True, None), (False, "org-1")]
    assert [describe(c) for c in history[1].changes] == ["categories[participant].capacity: 20 → 30"]


def test_registration_history_lists_what_organisers_did_and_not_what_people_did() -> None:
    common = {"event": "e", "command_id": "c", "at": NOW}
    events: list[RegistrationEvent] = [
        RegistrationCancelled(registration_id="r1", **common),  # the person cancelled: not listed
        RegistrationCancelled(registration_id="r2", by_organiser="org-1", **common),
        WaitlistPromoted(registration_id="r3", **common),  # the waitlist moved on by itself
        WaitlistPromoted(registration_id="r4", by_organiser="org-1", **common),
        CheckedIn(registration_id="r5", by_organiser="org-2", **common),
        PersonErased(registration_id="r6", reason="purge", **common),  # the purge: nobody to name
    ]
    assert [(a.action, a.registration_id, a.by_organiser) for a in organiser_actions(events)] == [
        ("cancelled", "r2", "org-1"),
        ("promoted", "r4", "org-1"),
        ("checked_in", "r5", "org-2"),
        ("erased", "r6", None),
    ]


def test_teams_history_lists_placements_and_removals_by_organisers_with_the_team_name() -> None:
    common = {"event": "e", "command_id": "c", "at": NOW}
    events: list[TeamsEvent] = [
        TeamCreated(team_id="t1", name="Les Tracteurs", code="X", founder="r1", **common),
        MemberJoined(team_id="t1", registration="r2", **common),  # joined by themselves
        MemberJoined(team_id="t1", registration="r3", by_organiser="org-1", **common),
        MemberLeft(team_id="t1", registration="r3", by_organiser="org-1", **common),
    ]
    assert [(p.action, p.registration, p.team_name) for p in organiser_placements(events)] == [
        ("placed", "r3", "Les Tracteurs"),
        ("removed", "r3", "Les Tracteurs"),
    ]
