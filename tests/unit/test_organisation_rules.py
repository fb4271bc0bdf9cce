"""Organisations' pure rules: roles, the last owner, door volunteers' events, tokens."""

from datetime import UTC, datetime

import msgspec
import pytest

from schemas.catalog import OrganiserRegistered
from schemas.errors import Rejected
from schemas.organisations import (
    DEFAULT_ORGANISATION,
    DefineOrganisation,
    GrantMember,
    IssueApiToken,
    Membership,
    RevokeMember,
)
from services.catalog.organisations import (
    Organisations,
    decide_define_organisation,
    decide_event_organisation,
    decide_grant,
    decide_issue_token,
    decide_revoke,
)

NOW = datetime(2030, 1, 1, tzinfo=UTC)
OWNER = "owner0000000000000000"
OTHER = "other0000000000000000"


def school() -> Organisations:
    """An organisation `sud` owned by OWNER, with one event."""
    state = Organisations()
    command = DefineOrganisation(command_id="d", slug="sud", name="École du Sud", by_organiser=OWNER)
    defined = decide_define_organisation(state, command, NOW)
    assert defined is not None
    state.evolve(defined)
    state.event_defined("journee-sud", "sud")
    return state


def grant(state: Organisations, person: str, role: str, events: list[str] | None = None) -> None:
    command = GrantMember(
        command_id=f"g-{person}-{role}", organisation="sud", email="x@example.org", role=role, events=events or []
    )
    decided = decide_grant(state, command, person, NOW)
    if decided is not None:
        state.evolve(decided)


def test_whoever_creates_an_organisation_is_its_owner() -> None:
    assert school().memberships(OWNER) == [Membership(organisation="sud", role="owner")]


def test_a_role_that_does_not_exist_is_refused_by_name() -> None:
    with pytest.raises(Rejected) as refused:
        grant(school(), OTHER, "boss")
    assert (refused.value.reply.key, refused.value.reply.field) == ("role_unknown", "role")
    assert "owner, organiser, door, jury_coordinator" in refused.value.reply.message


def test_a_door_volunteer_is_given_events_of_this_organisation_only() -> None:
    state = school()
    state.event_defined("ailleurs", DEFAULT_ORGANISATION)
    with pytest.raises(Rejected) as none:
        grant(state, OTHER, "door")
    assert none.value.reply.key == "door_needs_events"
    with pytest.raises(Rejected) as foreign:
        grant(state, OTHER, "door", ["ailleurs"])
    assert foreign.value.reply.key == "event_not_in_organisation"
    grant(state, OTHER, "door", ["journee-sud"])
    assert state.memberships(OTHER) == [Membership(organisation="sud", role="door", events=["journee-sud"])]


def test_the_last_owner_can_be_neither_removed_nor_demoted() -> None:
    state = school()
    with pytest.raises(Rejected) as removed:
        decide_revoke(state, RevokeMember(command_id="r", organisation="sud", person=OWNER), NOW)
    assert removed.value.reply.key == "last_owner"
    with pytest.raises(Rejected) as demoted:
        grant(state, OWNER, "organiser")
    assert demoted.value.reply.key == "last_owner"
    grant(state, OTHER, "owner")
    revoked = decide_revoke(state, RevokeMember(command_id="r", organisation="sud", person=OWNER), NOW)
    assert revoked is not None
    state.evolve(revoked)
    assert state.memberships(OWNER) == []


def test_granting_the_same_role_again_changes_nothing() -> None:
    state = school()
    grant(state, OTHER, "jury_coordinator")
    command = GrantMember(command_id="again", organisation="sud", email="x@example.org", role="jury_coordinator")
    assert decide_grant(state, command, OTHER, NOW) is None


def test_organisers_from_before_organisations_own_the_default_one_and_invited_people_do_not() -> None:
    state = Organisations()
    state.organiser_registered(OWNER, OrganiserRegistered(organiser_id=OWNER, command_id="c", at=NOW).default_role)
    state.organiser_registered(OTHER, None)
    assert state.memberships(OWNER) == [Membership(organisation=DEFAULT_ORGANISATION, role="owner")]
    assert state.memberships(OTHER) == []


def test_an_event_stays_in_its_organisation() -> None:
    state = school()
    assert decide_event_organisation(state, "journee-sud", None) == "sud"
    assert decide_event_organisation(state, "nouvelle", None) == DEFAULT_ORGANISATION
    with pytest.raises(Rejected):
        decide_event_organisation(state, "journee-sud", DEFAULT_ORGANISATION)
    with pytest.raises(Rejected) as unknown:
        decide_event_organisation(state, "nouvelle", "nulle-part")
    assert unknown.value.reply.key == "organisation_not_found"


def test_a_token_has_a_real_role_and_a_name() -> None:
    state = school()
    command = IssueApiToken(
        command_id="t", organisation="sud", name="tableur", role="organiser", token_id="0" * 16, secret_hash="a" * 64
    )
    issued = decide_issue_token(state, command, NOW)
    assert issued is not None
    state.evolve(issued)
    found = state.token("0" * 16)
    assert found is not None and found[1:] == ("sud", "a" * 64)
    with pytest.raises(Rejected) as bad:
        decide_issue_token(state, msgspec.structs.replace(command, role="admin", token_id="1" * 16), NOW)
    assert bad.value.reply.key == "role_unknown"
