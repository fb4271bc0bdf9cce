"""`perche judging rank SCORES.csv` as a person runs it: JSON on stdout, or the row and the problem."""

import json
from pathlib import Path

import pytest

from tests.integration.test_cli import perche

pytestmark = pytest.mark.real_clock

GOOD = """juror,team,criterion,score
farmer,alpha,impact,10
farmer,beta,impact,9
farmer,gamma,impact,8
official,alpha,impact,6
official,beta,impact,4
official,delta,impact,3
farmer,alpha,pitch,5
farmer,beta,pitch,3
farmer,gamma,pitch,2
official,alpha,pitch,4
official,beta,pitch,2
official,delta,pitch,1
"""


def written(tmp_path: Path, text: str) -> str:
    path = tmp_path / "scores.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


async def test_a_good_file_prints_the_teams_in_order_with_how_sure_each_place_is(tmp_path: Path) -> None:
    result = await perche(
        "judging", "rank", written(tmp_path, GOOD), "--weights", "impact=3,pitch=1", "--max", "pitch=5"
    )
    assert (result.returncode, result.stderr) == (0, "")
    ranking = json.loads(result.stdout)
    assert [item["team"] for item in ranking] == ["alpha", "beta", "gamma", "delta"]
    assert [item["rank"] for item in ranking] == [1, 2, 3, 4]
    first = ranking[0]
    assert set(first) >= {"team", "rank", "score", "raw_mean", "rank_range", "too_close", "jurors"}
    assert first["jurors"] == 2 and ranking[2]["jurors"] == 1
    assert first["rank_range"][0] == 1 and first["rank_range"][0] <= first["rank_range"][1]
    assert all(isinstance(item["too_close"], bool) for item in ranking)


@pytest.mark.parametrize(
    ("text", "options", "problem"),
    [
        ("juror,team,score\nana,alpha,8\n", [], "error: row 1: missing column criterion"),
        (GOOD + "ana,alpha,impact,11\n", [], "error: row 14: score 11 is off the scale 0–10 of impact"),
        (GOOD + "ana,alpha,pitch,6\n", ["--max", "pitch=5"], "error: row 14: score 6 is off the scale 0–5 of pitch"),
        (GOOD + "ana,alpha,impact,huit\n", [], "error: row 14: score 'huit' is not a number"),
        (
            GOOD + "farmer,alpha,impact,7\n",
            [],
            "error: row 14: juror farmer already scored team alpha on impact (row 2): a duplicate",
        ),
        (GOOD + "ana,,impact,7\n", [], "error: row 14: no team"),
        (GOOD, ["--weights", "impact=3,design=2"], "error: --weights: unknown criterion 'design'"),
        (GOOD, ["--weights", "impact=trois"], "error: --weights: 'impact=trois' is not name=whole number"),
    ],
)
async def test_a_bad_file_names_the_row_and_the_problem_and_prints_nothing(
    tmp_path: Path, text: str, options: list[str], problem: str
) -> None:
    result = await perche("judging", "rank", written(tmp_path, text), *options)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.startswith(problem), result.stderr
