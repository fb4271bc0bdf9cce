"""`perche teams form` as an organiser runs it on a spreadsheet: JSON on stdout, a summary
on stderr; a bad file answered with the line and the problem, exit status 1, no JSON."""

import json
from pathlib import Path

import pytest

from tests.integration.test_cli import perche

pytestmark = pytest.mark.real_clock  # the command runs in its own process

HEADER = "name,email,skills,codes,experience,challenges,together_with,not_with"
GOOD = [
    "Alice,alice@example.org,python;data,yes,expert,eau;sols,,",
    "Bruno,bruno@example.org,agriculture,no,beginner,sols;eau,Chloé,",
    "Chloé,chloe@example.org,design,no,intermediate,sols,,Alice",
    "Driss,driss@example.org,python,yes,beginner,eau,,",
    "Emma,emma@example.org,élevage;pitch,no,expert,,,",
    "Fanny,fanny@example.org,web,yes,intermediate,sols;eau,,",
    "Gaël,gael@example.org,agriculture,no,intermediate,eau,,Bruno",
]


def write(tmp_path: Path, *rows: str, header: str = HEADER) -> str:
    path = tmp_path / "participants.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return str(path)


async def test_a_good_file_gives_teams_as_json_and_a_summary(tmp_path: Path) -> None:
    result = await perche("teams", "form", write(tmp_path, *GOOD), "--min", "3", "--max", "5")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert set(out) == {"teams", "violations"}
    assert out["violations"] == []
    assert all(set(team) == {"members", "challenge", "score"} for team in out["teams"])
    members = [name for team in out["teams"] for name in team["members"]]
    assert sorted(members) == sorted(row.split(",")[0] for row in GOOD)
    assert all(3 <= len(team["members"]) <= 5 for team in out["teams"])
    where = {name: i for i, team in enumerate(out["teams"]) for name in team["members"]}
    assert where["Bruno"] == where["Chloé"]
    assert where["Chloé"] != where["Alice"] and where["Gaël"] != where["Bruno"]
    assert all(team["challenge"] in ("eau", "sols") for team in out["teams"])
    assert "Équipe 1" in result.stderr and "qui cod" in result.stderr

    again = await perche("teams", "form", write(tmp_path, *GOOD), "--min", "3", "--max", "5", "--lang", "en")
    assert json.loads(again.stdout) == out
    assert "Team 1" in again.stderr and "Every rule is met." in again.stderr


async def test_rules_that_cannot_be_met_are_listed_with_the_people(tmp_path: Path) -> None:
    rows = [f"P{i},p{i}@example.org,,{'yes' if i == 0 else 'no'},beginner,,," for i in range(6)]
    result = await perche("teams", "form", write(tmp_path, *rows), "--min", "3", "--max", "3")
    assert result.returncode == 0
    out = json.loads(result.stdout)
    coderless = [team["members"] for team in out["teams"] if "P0" not in team["members"]]
    assert out["violations"] == [
        {
            "rule": "coder",
            "people": coderless[0],
            "team": 2 if "P0" in out["teams"][0]["members"] else 1,
            "note": "not_enough_coders",
        }
    ]


@pytest.mark.parametrize(
    ("header", "rows", "sizes", "error"),
    [
        (
            "name,email,skills,codes,experience,challenges,together_with",
            GOOD[:3],
            ("3", "5"),
            "error: line 1: missing column(s): not_with (expected header: " + HEADER + ")",
        ),
        (
            HEADER,
            [*GOOD[:2], "Chloé,chloe@example.org,design,no,confirmée,sols,,", *GOOD[3:]],
            ("3", "5"),
            "error: line 4 (Chloé): experience is 'confirmée', expected one of beginner, intermediate, expert",
        ),
        (
            HEADER,
            [*GOOD[:5], "Fanny,fanny@example.org,web,yes,intermediate,sols;eau,Zoé,", GOOD[6]],
            ("3", "5"),
            "error: line 7 (Fanny): together_with names 'Zoé', who is not in the file",
        ),
        (
            HEADER,
            [*GOOD[:3], "Driss,driss@example.org,python,maybe,beginner,eau,,", *GOOD[4:]],
            ("3", "5"),
            "error: line 5: codes is 'maybe', expected yes or no",
        ),
        (HEADER, GOOD, ("4", "5"), "error: impossible sizes: 7 people cannot make teams of 4 to 5"),
        (HEADER, GOOD, ("5", "3"), "error: impossible sizes: --min 5 --max 3 (need 1 <= min <= max)"),
    ],
)
async def test_a_bad_file_is_answered_with_the_line_and_the_problem_and_no_json(
    tmp_path: Path, header: str, rows: list[str], sizes: tuple[str, str], error: str
) -> None:
    result = await perche("teams", "form", write(tmp_path, *rows, header=header), "--min", sizes[0], "--max", sizes[1])
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.errors == [error]
