"""Notify's stored events keep decoding: payloads of earlier versions are kept as golden files."""

from pathlib import Path

import msgspec

from schemas.notify import NotifyEvent
from tests.unit.test_golden_events import contained

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "notify-events.jsonl"


def test_every_stored_notify_event_of_an_earlier_version_still_decodes() -> None:
    decoder = msgspec.json.Decoder(NotifyEvent)
    for line in GOLDEN.read_text(encoding="utf-8").splitlines():
        event = decoder.decode(line)
        assert contained(msgspec.json.decode(line), msgspec.json.decode(msgspec.json.encode(event)))


def test_every_notify_event_type_has_a_golden_payload() -> None:
    stored = {msgspec.json.decode(line)["type"] for line in GOLDEN.read_text(encoding="utf-8").splitlines()}
    known = {t.__struct_config__.tag for t in NotifyEvent.__args__}  # type: ignore[attr-defined]
    assert known == stored
