"""Judging tracks, without a network: a juror given challenges keeps only their teams on the
sheet (within any teams assigned), and each challenge gets its own ranking, made the same way
as the whole event's over its teams alone."""

import msgspec
import pytest

from schemas.catalog import EventSpec
from schemas.errors import Rejected
from schemas.judging import GiveTracks, Standing
from schemas.teams import TeamCreated
from services.catalog.files import read_event_file
from services.judging.rules import decide_tracks, is_repeat, standings, track_standings
from tests.unit.test_judging_rules import EVENT_FILE, NOW, SLUG, Day, refusal

# The hackathon's challenges (events/hackathon-comice-2027.toml).
TEAMS = {"a": "traite", "b": "traite", "c": "circuit-court", "d": None, "e": "traite"}


@pytest.fixture
def spec() -> EventSpec:
    return read_event_file(EVENT_FILE)


def day_of(spec: EventSpec, teams: dict[str, str | None] = TEAMS) -> Day:
    """A judging day whose teams are on the challenges given (None: on no challenge)."""
    day = Day(spec)
    for team, challenge in teams.items():
        created = TeamCreated(
            command_id=f"t-{team}",
            event=SLUG,
            team_id=team,
            name=team.title(),
            code="ABC123",
            challenge=challenge,
            at=NOW,
        )
        day.state.evolve_teams(created)
    return day


def give_tracks(day: Day, juror: str, tracks: list[str], command_id: str | None = None) -> bool:
    """The juror given these tracks; False when it changed nothing (a repeat, or the same tracks)."""
    command = GiveTracks(command_id=command_id or day._id(), event=SLUG, juror=juror, tracks=tracks, by_organiser="o")
    if is_repeat(day.state, command):
        return False
    event = decide_tracks(day.judging, day.spec, command, NOW)
    if event is not None:
        day.state.evolve(event)
    return event is not None


def sheet(day: Day, juror: str) -> list[str]:
    return sorted(t.id for t in day.judging.teams_of(juror))


def shape(lines: list[Standing]) -> list[tuple[object, ...]]:
    """What a ranking says of each team, with the model's figures when it is on."""
    return [
        (s.rank, s.team.id, s.total, s.given, s.expected, s.score, s.rank_best, s.rank_worst, s.jurors, s.criteria)
        for s in lines
    ]


def test_a_juror_with_tracks_gets_only_their_teams_within_any_teams_assigned(spec: EventSpec) -> None:
    day = day_of(spec)
    assert give_tracks(day, "j1", ["traite"])
    assert sheet(day, "j1") == ["a", "b", "e"]  # not c (another challenge), not d (none)
    assert sheet(day, "j2") == ["a", "b", "c", "d", "e"]  # no tracks: every challenge
    day.assign("j1", ["a", "c", "d"])
    assert sheet(day, "j1") == ["a"]  # the teams assigned that are on the tracks
    assert give_tracks(day, "j1", ["traite", "circuit-court"])
    assert sheet(day, "j1") == ["a", "c"]
    assert give_tracks(day, "j1", [])  # taken back: every challenge again, within the teams assigned
    assert sheet(day, "j1") == ["a", "c", "d"]
    assert [p.tracks for p in day.standings(["j1", "j2"]).jurors] == [[], []]


def test_scores_on_a_team_that_leaves_the_sheet_by_tracks_stop_counting_and_scoring_it_is_refused(
    spec: EventSpec,
) -> None:
    day = day_of(spec)
    day.sheet("j1", "c", {"utilite": 8})
    day.sheet("j2", "c", {"utilite": 4})
    assert give_tracks(day, "j1", ["traite"])
    line = next(s for s in day.standings(["j1", "j2"]).standings if s.team.id == "c")
    assert (line.criteria[0].average, line.criteria[0].count) == (4.0, 1)
    assert refusal(lambda: day.score("j1", "c", "utilite", 9)) == "judging_not_assigned"
    progress = {p.juror: p for p in day.standings(["j1", "j2"]).jurors}
    assert progress["j1"].tracks == ["traite"]
    assert (progress["j1"].given, progress["j1"].expected) == (0, 3 * len(spec.criteria))
    # Back on every challenge, the score given before counts again (it was never deleted).
    assert give_tracks(day, "j1", [])
    line = next(s for s in day.standings(["j1", "j2"]).standings if s.team.id == "c")
    assert (line.criteria[0].average, line.criteria[0].count) == (6.0, 2)


def test_an_unknown_challenge_is_refused_and_changes_nothing(spec: EventSpec) -> None:
    day = day_of(spec)
    command = GiveTracks(command_id="tracks-0001", event=SLUG, juror="j1", tracks=["traite", "nope"], by_organiser="o")
    with pytest.raises(Rejected) as refused:
        decide_tracks(day.judging, spec, command, NOW)
    assert (refused.value.reply.key, refused.value.reply.field) == ("judging_no_track", "tracks[1]")
    assert day.judging.tracks == {} and sheet(day, "j1") == ["a", "b", "c", "d", "e"]
    # An event without challenges has no track to give.
    bare = msgspec.structs.replace(spec, challenges=[])
    assert refusal(
        lambda: decide_tracks(day.judging, bare, msgspec.structs.replace(command, tracks=["traite"]), NOW)
    ) == ("judging_no_track")


def test_tracks_given_again_change_nothing_and_a_reused_id_for_other_tracks_is_refused(
    spec: EventSpec,
) -> None:
    day = day_of(spec)
    assert give_tracks(day, "j1", ["traite", "circuit-court", "traite"], command_id="tracks-0001")
    assert day.judging.tracks == {"j1": ["circuit-court", "traite"]}  # sorted, without repeats
    # The same command again (in any order): its first outcome stands.
    assert not give_tracks(day, "j1", ["circuit-court", "traite"], command_id="tracks-0001")
    # The same tracks under a new id: nothing to write.
    assert not give_tracks(day, "j1", ["traite", "circuit-court"])
    assert refusal(lambda: give_tracks(day, "j1", ["traite"], command_id="tracks-0001")) == "command_id_reused"
    assert day.judging.tracks == {"j1": ["circuit-court", "traite"]}
    # Like teams, tracks decide which scores count: they cannot change once judging is closed.
    day.close()
    assert refusal(lambda: give_tracks(day, "j1", ["traite"])) == "judging_closed"


def scored(spec: EventSpec, teams: dict[str, str | None]) -> Day:
    """Three jurors, the third judging only « traite », scoring every team on their sheet."""
    day = day_of(spec, teams)
    give_tracks(day, "j3", ["traite"])
    points = {"a": 9, "b": 4, "c": 7, "d": 3, "e": 6}
    for n, juror in enumerate(("j1", "j2", "j3")):
        for team in sheet(day, juror):
            day.sheet(juror, team, {c.id: min(c.max_points, points[team] + n - 1) for c in spec.criteria})
    return day


@pytest.mark.parametrize("method", ["raw", "jury_model", "normalise_jurors"])
def test_each_challenge_is_ranked_alone_as_if_the_event_had_only_its_teams(
    spec: EventSpec,
    method: str,
) -> None:
    chosen = spec if method == "raw" else msgspec.structs.replace(spec, **{method: True})
    day = scored(chosen, TEAMS)
    jurors = ["j1", "j2", "j3"]
    tracks = track_standings(day.judging, chosen, jurors)
    assert [(t.challenge, t.title_en) for t in tracks] == [(c.id, c.title_en) for c in spec.challenges]
    by_track = {t.challenge: t.standings for t in tracks}
    assert [s.team.id for s in by_track["traite"]] == ["a", "e", "b"]
    assert [s.rank for s in by_track["traite"]] == [1, 2, 3]
    assert [s.team.id for s in by_track["circuit-court"]] == ["c"] and by_track["circuit-court"][0].rank == 1
    assert by_track["meteo-parcelle"] == []
    # d, on no challenge, is only in the overall ranking.
    assert "d" in {s.team.id for s in standings(day.judging, chosen, jurors)}
    assert all(s.team.id != "d" for lines in by_track.values() for s in lines)
    # The challenge's ranking is the one an event with only its teams (and their scores) would have.
    alone = scored(chosen, {t: c for t, c in TEAMS.items() if c == "traite"})
    assert shape(by_track["traite"]) == shape(standings(alone.judging, chosen, jurors))
    # j3 judged « traite » only: counted in its panel, not in « circuit-court »'s.
    assert by_track["traite"][0].expected == 3 * len(spec.criteria)
    assert by_track["circuit-court"][0].expected == 2 * len(spec.criteria)


def test_an_event_without_challenges_has_no_track_rankings(spec: EventSpec) -> None:
    bare = msgspec.structs.replace(spec, challenges=[])
    day = day_of(bare, {"a": None, "b": None})
    day.sheet("j1", "a", {"utilite": 9})
    day.sheet("j2", "b", {"utilite": 3})
    assert track_standings(day.judging, bare, ["j1", "j2"]) == []
    assert [s.team.id for s in standings(day.judging, bare, ["j1", "j2"])] == ["a", "b"]


def test_an_absent_team_leaves_its_challenge_ranking_too(spec: EventSpec) -> None:
    day = scored(spec, TEAMS)
    day.absent("a")
    traite = next(t for t in track_standings(day.judging, spec, []) if t.challenge == "traite")
    assert [s.team.id for s in traite.standings] == ["e", "b"]
    assert traite.standings[0].rank == 1
