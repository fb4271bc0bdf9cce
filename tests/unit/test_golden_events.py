"""Events once stored must keep decoding: payloads written by earlier versions are kept
here as golden files, one per service's stream. Add a line when a type or an optional
field appears; never edit one."""

from pathlib import Path

import msgspec
import pytest

from schemas.catalog import CatalogEvent, EventDefined
from schemas.judging import JudgingEvent
from schemas.notify import NotifyEvent
from schemas.publishing import PublishingEvent
from schemas.qa import QaEvent
from schemas.registration import RegistrationEvent
from schemas.schedule import Edit, ScheduleEvent
from schemas.teams import TeamsEvent
from services.catalog.rules import CatalogState

GOLDEN = Path(__file__).resolve().parents[1] / "golden"


STREAMS = [
    ("registration-events", RegistrationEvent),
    ("catalog-events", CatalogEvent),
    ("judging-events", JudgingEvent),
    ("publishing-events", PublishingEvent),
    ("teams-events", TeamsEvent),
    ("schedule-events", ScheduleEvent),
    ("notify-events", NotifyEvent),
    ("qa-events", QaEvent),
]


def golden_lines(name: str) -> list[str]:
    return (GOLDEN / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()


def tags(union: object) -> set[str]:
    return {t.__struct_config__.tag for t in union.__args__}  # type: ignore[attr-defined]


@pytest.mark.parametrize(("name", "union"), STREAMS)
def test_every_stored_event_of_an_earlier_version_still_decodes(name: str, union: object) -> None:
    decoder = msgspec.json.Decoder(union)
    for line in golden_lines(name):
        event = decoder.decode(line)
        # Re-encoding keeps every field that was stored, with its value.
        assert contained(msgspec.json.decode(line), msgspec.json.decode(msgspec.json.encode(event)))


def contained(old: object, new: object) -> bool:
    """Everything in `old` is in `new` (which may have gained optional fields)."""
    if isinstance(old, dict) and isinstance(new, dict):
        return all(v is None or (k in new and contained(v, new[k])) for k, v in old.items())
    if isinstance(old, list) and isinstance(new, list):
        return len(old) == len(new) and all(contained(a, b) for a, b in zip(old, new, strict=True))
    return old == new


@pytest.mark.parametrize(("name", "union"), [s for s in STREAMS if s[0] != "catalog-events"])
def test_every_event_type_has_a_golden_payload(name: str, union: object) -> None:
    stored = {msgspec.json.decode(line)["type"] for line in golden_lines(name)}
    assert tags(union) == stored


def test_every_kind_of_agenda_edit_has_a_golden_payload() -> None:
    stored = [msgspec.json.decode(line) for line in golden_lines("schedule-events")]
    assert {edit["type"] for e in stored for edit in e.get("edits", [])} == tags(Edit)


def test_a_definition_stored_before_its_toml_text_was_kept_has_none_and_keeps_the_last_one() -> None:
    decoder = msgspec.json.Decoder(CatalogEvent)
    stored = [decoder.decode(line) for line in golden_lines("catalog-events")]
    defined = [e for e in stored if isinstance(e, EventDefined) and e.spec.slug == "portes-ouvertes"]
    assert [getattr(event, "source", None) is None for event in defined] == [True, True, False]
    state = CatalogState()
    for event in defined:
        state.evolve(event)
    assert state.sources["portes-ouvertes"].startswith("# Nos portes ouvertes")


def test_events_and_organisers_stored_before_organisations_land_in_the_default_one() -> None:
    """The upgrade reads the old facts: their events belong to the default organisation and the
    organisers registered then are its owners; nothing is rewritten."""
    from schemas.organisations import DEFAULT_ORGANISATION, Membership
    from services.catalog.rules import CatalogState

    decoder = msgspec.json.Decoder(CatalogEvent)
    state = CatalogState()
    for line in golden_lines("catalog-events"):
        state.evolve(decoder.decode(line))
    orgs = state.orgs
    assert {slug: orgs.organisation_of(slug) for slug in state.events} == {
        "portes-ouvertes": DEFAULT_ORGANISATION,
        "golden-agenda": DEFAULT_ORGANISATION,
        "golden-english": DEFAULT_ORGANISATION,
        "journee-sud": "ecole-sud",
        "hackathon-formation": DEFAULT_ORGANISATION,
    }
    old_organiser = "0123456789abcdef0123"
    assert orgs.memberships(old_organiser) == [
        Membership(organisation="ecole-sud", role="owner"),
        Membership(organisation=DEFAULT_ORGANISATION, role="owner"),
    ]
    # Registered after organisations with no default role: a member of nothing.
    assert orgs.memberships("aaaaaaaaaaaaaaaaaaaa") == []
    assert orgs.records["ecole-sud"].organisation.require_two_step is True
    assert orgs.token("0123456789abcdef") is None


def test_a_definition_with_a_ranking_question_and_team_formation_keeps_both() -> None:
    decoder = msgspec.json.Decoder(CatalogEvent)
    stored = [decoder.decode(line) for line in golden_lines("catalog-events")]
    [defined] = [e for e in stored if isinstance(e, EventDefined) and e.spec.slug == "hackathon-formation"]
    ranked = {q.id: q for q in defined.spec.questions if q.kind == "ranking"}
    assert (ranked["challenges"].choices, ranked["challenges"].ranks, ranked["food"].ranks) == ([], 3, 2)
    formation = defined.spec.team_formation
    assert formation is not None and (formation.challenges, formation.codes, formation.domain_if) == (
        "challenges",
        "level",
        ["Agriculture"],
    )
    assert formation.experience_levels == ["beginner", "intermediate", "expert"]
