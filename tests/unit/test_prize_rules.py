"""Prizes and versioned results, without a network: what may be published, what a correction changed."""

from datetime import UTC, datetime
from pathlib import Path

import msgspec
import pytest

from schemas.catalog import EventSpec
from schemas.errors import Rejected
from schemas.judging import Standing, Standings, TeamToJudge, TrackStandings
from schemas.publishing import Prize, PublishResults, WithdrawResults
from services.catalog.files import read_event_file
from services.kit.prizes import suggested_winner
from services.publishing.rules import PublishingState, decide_publish, decide_withdraw

SLUG = "hackathon-comice-2027"
EVENT_FILE = Path(__file__).resolve().parents[2] / "events" / f"{SLUG}.toml"
V1 = datetime(2027, 6, 13, 18, 0, tzinfo=UTC)
V2 = datetime(2027, 6, 13, 19, 0, tzinfo=UTC)

TRAYEURS = TeamToJudge(id="les-trayeurs", name="Les Trayeurs", challenge="traite")
METEO = TeamToJudge(id="meteo-locale", name="Météo Locale", challenge="traite")
CIRCUIT = TeamToJudge(id="circuit-malin", name="Circuit Malin", challenge="circuit-court")


@pytest.fixture
def spec() -> EventSpec:
    return read_event_file(EVENT_FILE)


def standing(rank: int, team: TeamToJudge, total: float) -> Standing:
    return Standing(rank=rank, team=team, total=total, criteria=[], given=3, expected=3)


def standings(first: TeamToJudge = TRAYEURS, second: TeamToJudge = METEO, closed: bool = True) -> Standings:
    ranked = [standing(1, first, 82.5), standing(2, second, 70.0)]
    return Standings(
        event=SLUG,
        closed=closed,
        standings=ranked,
        jurors=[],
        absent=[CIRCUIT],
        tracks=[TrackStandings(challenge="traite", title="La traite", standings=ranked)],
    )


def prize(team: str = "les-trayeurs", **fields: object) -> Prize:
    return Prize(**{"kind": "overall", "title": "Grand prix", "team": team, "line": "Un robot de traite"} | fields)  # type: ignore[arg-type]


def publish(command_id: str, *prizes: Prize) -> PublishResults:
    return PublishResults(command_id=command_id, event=SLUG, by_organiser="org-1", prizes=list(prizes))


def refusal(prizes: list[Prize], spec: EventSpec) -> str | None:
    with pytest.raises(Rejected) as refused:
        decide_publish(spec, standings(), publish("publish-bad-1", *prizes), V1)
    return refused.value.reply.key


def test_the_ranking_suggests_its_first_for_the_overall_prize_and_each_track() -> None:
    assert suggested_winner(standings(), "overall") == "les-trayeurs"
    assert suggested_winner(standings(METEO, TRAYEURS), "track", "traite") == "meteo-locale"
    assert suggested_winner(standings(), "audience") is None


def test_published_prizes_carry_their_winners_name_and_trimmed_text(spec: EventSpec) -> None:
    event = decide_publish(spec, standings(), publish("publish-ok-1", prize(title="  Grand prix ", line=" Bravo ")), V1)
    assert [(p.title, p.team_name, p.line) for p in event.prizes] == [("Grand prix", "Les Trayeurs", "Bravo")]


@pytest.mark.parametrize(
    ("bad", "key"),
    [
        (prize(team="nobody"), "prize_unknown_team"),
        (prize(team="circuit-malin"), "prize_team_absent"),
        (prize(title="   "), "prize_title_required"),
        (prize(kind="track", challenge="nowhere"), "prize_challenge"),
        (prize(kind="partner", partner=" "), "prize_partner"),
    ],
)
def test_a_prize_that_breaks_a_rule_is_refused(bad: Prize, key: str, spec: EventSpec) -> None:
    assert refusal([prize(), bad], spec) == key


def test_prizes_cannot_be_published_while_judging_is_open(spec: EventSpec) -> None:
    with pytest.raises(Rejected) as refused:
        decide_publish(spec, standings(closed=False), publish("publish-open-1", prize()), V1)
    assert refused.value.reply.key == "results_judging_open"


def test_a_megabyte_line_is_refused_when_the_command_is_decoded() -> None:
    raw = msgspec.json.encode(publish("publish-big-1", prize(line="x" * 1_000_000)))
    with pytest.raises(msgspec.ValidationError):
        msgspec.json.decode(raw, type=PublishResults)


def test_a_correction_is_a_new_version_that_says_what_changed(spec: EventSpec) -> None:
    state = PublishingState()
    state.evolve(decide_publish(spec, standings(), publish("publish-v1-1", prize()), V1))
    assert (state.of(SLUG).version, state.of(SLUG).changes, state.of(SLUG).corrected_at) == (1, [], None)
    corrected = prize(team="meteo-locale", line="Une météo du champ")
    state.evolve(decide_publish(spec, standings(METEO, TRAYEURS), publish("publish-v2-1", corrected), V2))
    results = state.of(SLUG)
    assert (results.version, results.corrected_at) == (2, V2)
    assert [(c.kind, c.prize, c.before, c.after) for c in results.changes] == [
        ("winner", "Grand prix", "Les Trayeurs", "Météo Locale"),
        ("line", "Grand prix", "Un robot de traite", "Une météo du champ"),
        ("ranking", "", "Les Trayeurs, Météo Locale", "Météo Locale, Les Trayeurs"),
    ]


def test_withdrawn_results_show_nothing_but_when_they_were_withdrawn(spec: EventSpec) -> None:
    state = PublishingState()
    state.evolve(decide_publish(spec, standings(), publish("publish-v1-1", prize()), V1))
    withdrawn = decide_withdraw(
        state.of(SLUG), WithdrawResults(command_id="withdraw-1", event=SLUG, by_organiser="o"), V2
    )
    assert withdrawn is not None
    state.evolve(withdrawn)
    results = state.of(SLUG)
    assert (results.version, results.prizes, results.lines, results.withdrawn_at) == (0, [], [], V2)
    # Published again: the next version, compared with the last one the public saw.
    state.evolve(decide_publish(spec, standings(), publish("publish-v3-1", prize(line="Bravo")), V2))
    again = state.of(SLUG)
    assert (again.version, again.withdrawn_at, [c.kind for c in again.changes]) == (2, None, ["line"])
