"""Schedule events once stored keep decoding (golden payloads, never edited, only added)."""

from pathlib import Path

import msgspec

from schemas.schedule import Edit, ScheduleEvent
from tests.unit.test_golden_events import contained

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "schedule-events.jsonl"


def lines() -> list[str]:
    return GOLDEN.read_text(encoding="utf-8").splitlines()


def test_every_stored_schedule_event_still_decodes_with_all_its_fields() -> None:
    decoder = msgspec.json.Decoder(ScheduleEvent)
    for line in lines():
        event = decoder.decode(line)
        assert contained(msgspec.json.decode(line), msgspec.json.decode(msgspec.json.encode(event)))


def test_every_schedule_event_type_and_every_kind_of_edit_has_a_golden_payload() -> None:
    stored = [msgspec.json.decode(line) for line in lines()]
    events = {t.__struct_config__.tag for t in ScheduleEvent.__args__}  # type: ignore[attr-defined]
    edits = {t.__struct_config__.tag for t in Edit.__args__}  # type: ignore[attr-defined]
    assert {e["type"] for e in stored} == events
    assert {edit["type"] for e in stored for edit in e.get("edits", [])} == edits
