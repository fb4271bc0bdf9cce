"""Projects' pure rules (issue 14): only a team's members describe it, until the deadline (an injected
`now`), within bounds, with web links only, idempotent; a photo is known by its first bytes."""

import hashlib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import msgspec
import pytest

from schemas.errors import Rejected
from schemas.judging import JudgingClosed
from schemas.teams import DescribeProject, DisbandTeam, ProjectDescribed, ProjectPhoto
from services.catalog.files import read_event_file
from services.catalog.rules import copied, normalise
from services.teams.projects import (
    checked_link,
    deadline_of,
    decide_describe,
    photo_of,
    photo_type,
    project_list,
    projects_open,
)
from services.teams.rules import TeamsState, decide_disband, decide_join
from services.web.organiser.event_form import form_of, read_form, spec_of
from tests.unit.test_event_form import posted
from tests.unit.test_teams_rules import EVENT, NOW, SLUG, create, join, refusal, registered

DEADLINE = datetime(2027, 6, 12, 18, 0, tzinfo=UTC)
SPEC = msgspec.structs.replace(EVENT, project_deadline=DEADLINE)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 40
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 40


def teams() -> TeamsState:
    """Alice and Bruno in « Les Épis », Chloé in « Les Sillons », Driss in no team."""
    fresh = TeamsState()
    for person in ("alice", "bruno", "chloe", "driss"):
        registered(fresh, person)
    create(fresh)
    joined = decide_join(fresh, EVENT, join(fresh, "bruno"), NOW)
    assert joined is not None
    fresh.evolve(joined)
    create(fresh, founder="chloe", name="Les Sillons", team_id="sillons", command_id="create-sillons")
    return fresh


@pytest.fixture
def state() -> TeamsState:
    return teams()


def describe(**extra: object) -> DescribeProject:
    fields: dict[str, object] = {
        "command_id": "project-epis-1",
        "event": SLUG,
        "team_id": "epis",
        "by_registration": "alice",
        "title": "  Trace   ta traite ",
        "summary_fr": "Un carnet de traite.\r\nHors ligne d'abord.  ",
        "links": ["https://example.org/traite", "  "],
    }
    return DescribeProject(**{**fields, **extra})  # type: ignore[arg-type]


def decided(state: TeamsState, command: DescribeProject, now: datetime = NOW, **extra: object) -> ProjectDescribed:
    event = decide_describe(state, SPEC, command, now, **extra)  # type: ignore[arg-type]
    assert isinstance(event, ProjectDescribed)
    state.evolve(event)
    return event


def test_a_member_describes_the_project_with_texts_tidied_and_empty_links_dropped(state: TeamsState) -> None:
    event = decided(state, describe())
    assert (event.title, event.summary_fr, event.summary_en) == (
        "Trace ta traite",
        "Un carnet de traite.\nHors ligne d'abord.",
        "",
    )
    assert event.links == ["https://example.org/traite"]
    listed = project_list(state, SPEC, NOW)
    assert listed.open is True
    assert listed.deadline == DEADLINE
    assert list(listed.projects) == ["epis"]
    assert listed.projects["epis"].title == "Trace ta traite"


def test_another_member_replaces_it(state: TeamsState) -> None:
    decided(state, describe())
    decided(state, describe(command_id="project-epis-2", by_registration="bruno", title="Autre titre"))
    assert project_list(state, SPEC, NOW).projects["epis"].title == "Autre titre"
    assert project_list(state, SPEC, NOW).projects["epis"].by_registration == "bruno"


@pytest.mark.parametrize("who", ["chloe", "driss", "nobody"])
def test_someone_not_in_the_team_is_refused(state: TeamsState, who: str) -> None:
    with pytest.raises(Rejected) as error:
        decide_describe(state, SPEC, describe(by_registration=who), NOW)
    assert refusal(error) == ("conflict", "team_id", "project_not_member")


def test_an_unknown_team_is_refused(state: TeamsState) -> None:
    with pytest.raises(Rejected) as error:
        decide_describe(state, SPEC, describe(team_id="ghost"), NOW)
    assert refusal(error)[2] == "team_not_found"


def test_the_deadline_is_decided_on_the_now_given(state: TeamsState) -> None:
    just_before = DEADLINE - timedelta(seconds=1)
    assert decide_describe(state, SPEC, describe(), just_before) is not None
    assert projects_open(state, SPEC, just_before) is True
    with pytest.raises(Rejected) as error:
        decide_describe(state, SPEC, describe(), DEADLINE)
    assert refusal(error) == ("conflict", None, "project_deadline_passed")
    assert projects_open(state, SPEC, DEADLINE) is False


def test_without_a_deadline_projects_are_open_until_the_event_ends(state: TeamsState) -> None:
    assert deadline_of(EVENT) == EVENT.ends_at
    assert decide_describe(state, EVENT, describe(), EVENT.ends_at - timedelta(minutes=1)) is not None
    with pytest.raises(Rejected) as error:
        decide_describe(state, EVENT, describe(), EVENT.ends_at)
    assert refusal(error)[2] == "project_deadline_passed"


def test_once_judging_is_closed_projects_are_frozen(state: TeamsState) -> None:
    state.evolve_judging(JudgingClosed(command_id="close-1", event=SLUG, by_organiser="orga", at=NOW))
    with pytest.raises(Rejected) as error:
        decide_describe(state, SPEC, describe(), NOW)
    assert refusal(error)[2] == "teams_frozen"
    assert projects_open(state, SPEC, NOW) is False


@pytest.mark.parametrize(
    ("extra", "field", "key"),
    [
        ({"title": "   "}, "title", "project_title_required"),
        ({"title": "x" * 121}, "title", "project_title_too_long"),
        ({"summary_fr": " ", "summary_en": ""}, "summary_fr", "project_summary_required"),
        ({"summary_fr": "x" * 2001}, "summary_fr", "project_summary_too_long"),
        ({"summary_en": "x" * 1_000_000}, "summary_en", "project_summary_too_long"),
        ({"links": [f"https://example.org/{i}" for i in range(6)]}, "links", "project_too_many_links"),
        ({"links": ["https://example.org/" + "x" * 500]}, "links", "project_link_too_long"),
    ],
)
def test_bounds_are_held(state: TeamsState, extra: dict[str, object], field: str, key: str) -> None:
    with pytest.raises(Rejected) as error:
        decide_describe(state, SPEC, describe(**extra), NOW)
    assert refusal(error) == ("invalid", field, key)
    assert state.of(SLUG).projects == {}


def test_a_summary_of_2000_characters_and_five_links_are_fine(state: TeamsState) -> None:
    links = [f"https://example.org/{i}" for i in range(5)]
    event = decided(state, describe(summary_en="y" * 2000, links=links))
    assert (len(event.summary_en), event.links) == (2000, links)


@pytest.mark.parametrize(
    "link",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "file:///etc/passwd",
        "ftp://example.org/x",
        "//example.org/x",
        "https://",
        "example.org",
        "https://exa mple.org",
        "https://example.org/\x00",
    ],
)
def test_only_web_addresses_are_links(link: str) -> None:
    with pytest.raises(Rejected) as error:
        checked_link(link)
    assert refusal(error) == ("invalid", "links", "project_link_bad")


@pytest.mark.parametrize("link", ["http://example.org", "https://gitlab.com/a/b?x=1#y", "HTTPS://Example.org/"])
def test_web_addresses_pass_as_written(link: str) -> None:
    assert checked_link(f" {link} ") == link


def test_a_repeat_changes_nothing_and_the_same_id_for_another_request_is_refused(state: TeamsState) -> None:
    decided(state, describe())
    assert decide_describe(state, SPEC, describe(), NOW + timedelta(minutes=5)) is None
    with pytest.raises(Rejected) as error:
        decide_describe(state, SPEC, describe(title="Un autre"), NOW)
    assert refusal(error)[2] == "command_id_reused"


def test_a_repeat_is_known_again_after_replaying_the_stream(state: TeamsState) -> None:
    first = decided(state, describe())
    replayed = teams()
    replayed.evolve(msgspec.json.decode(msgspec.json.encode(first), type=ProjectDescribed))
    assert decide_describe(replayed, SPEC, describe(), NOW) is None


def test_the_photo_is_kept_replaced_or_removed(state: TeamsState) -> None:
    photo = photo_of(PNG)
    decided(state, describe(photo_upload="up-1"), uploaded=photo)
    assert project_list(state, SPEC, NOW).projects["epis"].photo == photo
    decided(state, describe(command_id="project-epis-2", title="Sans nouvelle photo"))
    assert project_list(state, SPEC, NOW).projects["epis"].photo == photo
    decided(state, describe(command_id="project-epis-3", remove_photo=True))
    assert project_list(state, SPEC, NOW).projects["epis"].photo is None


def test_an_upload_the_service_could_not_read_is_refused(state: TeamsState) -> None:
    with pytest.raises(Rejected) as error:
        decide_describe(state, SPEC, describe(photo_upload="up-1"), NOW, None)
    assert refusal(error)[1] == "photo"


def test_photos_are_known_by_their_first_bytes() -> None:
    assert photo_type(PNG) == "image/png"
    assert photo_type(JPEG) == "image/jpeg"
    assert photo_type(WEBP) == "image/webp"
    assert photo_type(b"RIFF\x24\x00\x00\x00WAVEfmt ") is None
    assert photo_type(b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>") is None
    assert photo_type(b"GIF89a") is None
    assert photo_of(JPEG) == ProjectPhoto(
        content_type="image/jpeg", size=len(JPEG), sha256=hashlib.sha256(JPEG).hexdigest()
    )


def test_a_photo_over_2_mb_or_not_an_image_is_refused() -> None:
    with pytest.raises(Rejected) as error:
        photo_of(PNG + b"\x00" * (2 * 1024 * 1024))
    assert refusal(error) == ("invalid", "photo", "project_photo_too_big")
    with pytest.raises(Rejected) as error:
        photo_of(b"%PDF-1.7 not an image")
    assert refusal(error) == ("invalid", "photo", "project_photo_type")


def test_a_disbanded_team_s_project_is_not_listed(state: TeamsState) -> None:
    decided(state, describe())
    disbanded = decide_disband(
        state, SPEC, DisbandTeam(command_id="disband-epis", event=SLUG, team_id="epis", by_organiser="o"), NOW
    )
    assert disbanded is not None
    state.evolve(disbanded)
    assert project_list(state, SPEC, NOW).projects == {}


# --- the deadline, as the organiser sets it (event file, event form, a copy of the event) ---


def test_the_deadline_of_an_event_file_is_local_and_stored_in_utc_and_the_form_shows_it_local() -> None:
    root = Path(__file__).resolve().parents[2]
    written = read_event_file(root / "events" / "hackathon-comice-2027.toml")
    assert written.project_deadline == datetime(2027, 6, 13, 12, 0)  # as written, Europe/Paris
    stored = normalise(written)
    assert stored.project_deadline == datetime(2027, 6, 13, 10, 0, tzinfo=UTC)  # summer time
    form = form_of(stored)
    assert form["project_deadline"] == "2027-06-13T12:00"
    assert normalise(spec_of(read_form(posted(form)), stored)) == stored  # type: ignore[arg-type]
    assert spec_of(read_form(posted({**form, "project_deadline": ""})), stored).project_deadline is None  # type: ignore[union-attr]
    moved = normalise(copied(stored, "hackathon-2028", "Hackathon 2028", date(2028, 6, 9)))
    assert moved.project_deadline == datetime(2028, 6, 11, 10, 0, tzinfo=UTC)
