"""Event files as people write them: the demo events load, and a wrong file is refused with a
message that names the file, the field and the problem."""

from datetime import datetime
from pathlib import Path

import pytest

from schemas.event_file import decode_event_toml, encode_event_toml
from services.catalog.files import EventFileError, read_event_file
from services.catalog.rules import normalise

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "events"
ROUND_TABLE_FILE = EVENTS / "table-ronde-numerique-education-2027.toml"


class Mistake:
    """One wrong edit of the round table's file, with the field and problem the error must name."""

    def __init__(self, name: str, old: str, new: str, field: str, problem: str) -> None:
        self.name, self.old, self.new, self.field, self.problem = name, old, new, field, problem

    def write(self, folder: Path) -> Path:
        text = ROUND_TABLE_FILE.read_text(encoding="utf-8")
        assert self.old in text, f"the demo file changed: fix the case {self.name!r}"
        path = folder / f"{self.name}.toml"
        path.write_text(text.replace(self.old, self.new, 1), encoding="utf-8")
        return path


MISTAKES = [
    Mistake("wrong-type", "capacity = 80", 'capacity = "quatre-vingts"', "categories[0].capacity", "Expected `int`"),
    Mistake(
        "unknown-field", 'kind = "round_table"\n', 'kind = "round_table"\ncolour = "vert"\n', "colour", "unknown field"
    ),
    Mistake(
        "unknown-nested-field",
        "capacity = 80\n",
        "capacity = 80\nprice = 5\n",
        "categories[0]",
        "unknown field `price`",
    ),
    Mistake(
        "end-before-start",
        "ends_at = 2027-07-08T21:00:00\n",
        "ends_at = 2027-07-08T17:00:00\n",
        "ends_at",
        "must end after it starts",
    ),
    Mistake(
        "unknown-zone",
        'timezone = "Europe/Paris"',
        'timezone = "Europe/La_Loupe"',
        "timezone",
        "Unknown time zone 'Europe/La_Loupe'",
    ),
    Mistake("duplicate-category", 'id = "press"', 'id = "public"', "categories[1].id", "'public' is used twice"),
    Mistake("duplicate-session", 'id = "verre"', 'id = "accueil"', "sessions[6]", "'accueil' is used twice"),
    Mistake(
        "choice-without-choices",
        'kind = "text"\nlabel = "Besoins',
        'kind = "choice"\nlabel = "Besoins',
        "questions[2].choices",
        "needs `choices`",
    ),
    Mistake(
        "bad-slug",
        'slug = "table-ronde-numerique-education-2027"',
        'slug = "Table ronde 2027"',
        "slug",
        "matching regex",
    ),
    Mistake("unknown-kind", 'kind = "round_table"', 'kind = "apéro"', "kind", "Invalid enum value 'apéro'"),
    Mistake(
        "missing-title", 'title = "Table ronde « Numérique et Éducation »"\n', "", "title", "missing required field"
    ),
    Mistake("negative-capacity", "capacity = 80", "capacity = -3", "categories[0].capacity", "Expected `int` >= 0"),
    Mistake("unknown-room", 'room = "hall"\n', 'room = "cave"\n', "sessions[0]", "unknown room 'cave'"),
]


@pytest.mark.parametrize("path", sorted(EVENTS.glob("*.toml")), ids=lambda p: p.stem)
def test_each_demo_event_file_loads_and_passes_the_catalogs_rules(path: Path) -> None:
    spec = read_event_file(path)
    assert spec.slug == path.stem
    assert spec.timezone == "Europe/Paris"
    assert spec.starts_at.tzinfo is None  # as written: local time, converted by the catalog
    normalised = normalise(spec)
    assert normalised.starts_at.tzinfo is not None
    assert normalised.ends_at > normalised.starts_at


def test_the_demo_events_are_the_schools_hackathon_and_round_table() -> None:
    hackathon = read_event_file(EVENTS / "hackathon-comice-2027.toml")
    round_table = read_event_file(ROUND_TABLE_FILE)
    assert (hackathon.kind, hackathon.starts_at, hackathon.ends_at) == (
        "hackathon",
        datetime(2027, 6, 11, 9, 0),
        datetime(2027, 6, 13, 18, 0),
    )
    assert len(hackathon.challenges) > 0 and hackathon.category("juror") is not None
    assert (round_table.kind, round_table.starts_at.date(), round_table.starts_at.hour) == (
        "round_table",
        datetime(2027, 7, 8).date(),
        18,
    )


@pytest.mark.parametrize("mistake", MISTAKES, ids=lambda m: m.name)
def test_a_wrong_event_file_is_refused_naming_the_file_the_field_and_the_problem(
    mistake: Mistake, tmp_path: Path
) -> None:
    path = mistake.write(tmp_path)
    with pytest.raises(EventFileError) as refused:
        read_event_file(path)
    message = str(refused.value)
    assert message.startswith(f"{path}: "), message
    assert mistake.field in message, message
    assert mistake.problem in message, message


def test_a_file_that_is_not_toml_is_refused_with_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text('slug = "x"\ntitle = "sans fin\n', encoding="utf-8")
    with pytest.raises(EventFileError) as refused:
        read_event_file(path)
    assert str(refused.value).startswith(f"{path}: not valid TOML")
    assert "line 2" in str(refused.value)


def test_a_missing_file_is_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "absent.toml"
    with pytest.raises(EventFileError) as refused:
        read_event_file(path)
    assert str(refused.value) == f"{path}: cannot read the file: No such file or directory"


def test_event_files_give_challenges_rooms_and_speakers_in_english_too() -> None:
    hackathon = read_event_file(EVENTS / "hackathon-comice-2027.toml")
    assert all(c.description_en for c in hackathon.challenges if c.description)
    assert all(r.location_en for r in hackathon.rooms if r.location)
    amphi = next(r for r in hackathon.rooms if r.id == "amphi")
    assert (amphi.location, amphi.location_en) == ("rez-de-chaussée", "ground floor")
    claire = next(s for s in hackathon.speakers if s.id == "claire-moreau")
    assert claire.name_en == "Claire Moreau, president of the community of communes"
    # The organiser's editor writes the file back with its English kept.
    again = decode_event_toml(encode_event_toml(hackathon))
    assert again == hackathon
