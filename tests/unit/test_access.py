"""The one rule of who may use a route: roles, organisations, a door volunteer's events."""

from schemas.organisations import Membership
from services.web.access import may

DOOR = [Membership(organisation="a", role="door", events=["fete"])]
JURY = [Membership(organisation="a", role="jury_coordinator")]
ORGANISER = [Membership(organisation="a", role="organiser")]
OWNER_ELSEWHERE = [Membership(organisation="b", role="owner")]


def test_a_door_volunteer_reaches_the_door_of_their_events_and_nothing_else() -> None:
    assert may(DOOR, "door", "a", "fete")
    assert not may(DOOR, "door", "a", "autre")
    assert not any(may(DOOR, access, "a", "fete") for access in ("organiser", "jury", "owner", "deployment"))


def test_a_jury_coordinator_runs_the_jury_and_not_the_event() -> None:
    assert may(JURY, "jury", "a", "fete")
    assert not may(JURY, "organiser", "a", "fete")
    assert not may(JURY, "door", "a", "fete")


def test_an_organiser_does_everything_on_their_organisation_but_its_members() -> None:
    assert all(may(ORGANISER, access, "a", "fete") for access in ("organiser", "jury", "door"))
    assert not may(ORGANISER, "owner", "a", None)


def test_an_owner_of_another_organisation_reaches_nothing_here_but_may_make_an_event_of_their_own() -> None:
    assert not any(may(OWNER_ELSEWHERE, access, "a", "fete") for access in ("organiser", "jury", "door", "owner"))
    assert may(OWNER_ELSEWHERE, "organiser", None, None)
    assert not may(OWNER_ELSEWHERE, "deployment", None, None)


def test_links_and_public_routes_are_for_their_handlers_to_check() -> None:
    assert all(may([], access, "a", "fete") for access in ("public", "participant_link", "juror_link", "account"))
    assert not may([], "organiser", None, None)
