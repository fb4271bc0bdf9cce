"""Teams events once stored keep decoding (golden payloads, never edited, only added)."""

from pathlib import Path

import msgspec

from schemas.teams import TeamsEvent
from tests.unit.test_golden_events import contained

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "teams-events.jsonl"


def lines() -> list[str]:
    return GOLDEN.read_text(encoding="utf-8").splitlines()


def test_every_stored_teams_event_still_decodes_with_all_its_fields() -> None:
    decoder = msgspec.json.Decoder(TeamsEvent)
    for line in lines():
        event = decoder.decode(line)
        assert contained(msgspec.json.decode(line), msgspec.json.decode(msgspec.json.encode(event)))


def test_every_teams_event_type_has_a_golden_payload() -> None:
    stored = {msgspec.json.decode(line)["type"] for line in lines()}
    known = {t.__struct_config__.tag for t in TeamsEvent.__args__}  # type: ignore[attr-defined]
    assert known == stored
