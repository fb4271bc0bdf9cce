"""Reading an organiser's participants file for `perche teams form`."""

from pathlib import Path

import pytest

from services.cli.teams import DOMAIN_SKILLS, BadFile, explain, read_participants
from services.kit.team_formation import form

HEADER = "name,email,skills,codes,experience,challenges,together_with,not_with"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "p.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_spreadsheet_export_with_a_bom_blank_lines_and_extra_columns_is_read(tmp_path: Path) -> None:
    text = (
        "\ufeff" + HEADER + ",domain_expert,phone\n"
        "Ana,a@example.org,python; data ,YES,Expert,eau;sols,Bea,,no,0600\n"
        ",,,,,,,,,\n"
        "Bea,b@example.org,design,no,beginner,,,,oui,\n"
        "Cyr,c@example.org,agriculture,no,intermediate,sols,,Ana,non,\n"
    )
    problem = read_participants(write(tmp_path, text), 1, 3, DOMAIN_SKILLS)
    ana, bea, cyr = problem.people
    assert (ana.skills, ana.codes, ana.experience, ana.challenges) == (
        ("python", "data"),
        True,
        "expert",
        ("eau", "sols"),
    )
    # The domain_expert column, when there is one, says who is a domain expert (not the skills).
    assert (ana.domain_expert, bea.domain_expert, cyr.domain_expert) == (False, True, False)
    assert problem.challenges == ("eau", "sols")
    assert problem.together == (("Ana", "Bea"),)
    assert problem.apart == (("Ana", "Cyr"),)


def test_without_the_column_a_farming_skill_makes_a_domain_expert(tmp_path: Path) -> None:
    text = HEADER + "\nAna,,Agriculture,no,beginner,,,\nBea,,web,yes,beginner,,,\n"
    problem = read_participants(write(tmp_path, text), 1, 2, DOMAIN_SKILLS)
    assert [p.domain_expert for p in problem.people] == [True, False]
    assert [p.domain_expert for p in read_participants(write(tmp_path, text), 1, 2, ("web",)).people] == [False, True]


@pytest.mark.parametrize(
    ("rows", "error"),
    [
        ("Ana,,,yes,beginner,,,\nAna,,,no,expert,,,", "line 3: 'Ana' already appears on line 2"),
        ("Ana,,,yes,beginner,eau;eau,,", "line 2 (Ana): a challenge is ranked twice"),
        ("Ana,,,yes,beginner,,,Ana", "line 2 (Ana): not_with names the person themselves"),
        ("Ana,,,yes,beginner,,,Zoé", "line 2 (Ana): not_with names 'Zoé', who is not in the file"),
        (",,,yes,beginner,,,", "line 2: name is empty"),
    ],
)
def test_each_mistake_is_named_with_its_line(tmp_path: Path, rows: str, error: str) -> None:
    with pytest.raises(BadFile) as raised:
        read_participants(write(tmp_path, HEADER + "\n" + rows + "\n"), 1, 3, DOMAIN_SKILLS)
    assert str(raised.value) == error


def test_a_team_is_explained_in_french_and_in_english(tmp_path: Path) -> None:
    text = (
        HEADER + "\nAna,,python,yes,expert,eau,,\nBea,,agriculture,no,beginner,eau;sols,,\nCyr,,,no,beginner,sols,,\n"
    )
    team = form(read_participants(write(tmp_path, text), 3, 3, DOMAIN_SKILLS)).teams[0]
    assert explain(team.facts, "fr") == (
        "1 qui code, 1 du métier (agriculture), expériences mêlées (débutant, expert), 2 compétences, "
        "2 sur 3 ont leur 1er ou 2e défi"
    )
    assert explain(team.facts, "en") == (
        "1 who codes, 1 domain expert, mixed experience (beginner, expert), 2 skills, "
        "2 of 3 got their first or second challenge"
    )
