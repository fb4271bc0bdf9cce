"""The dead-letter rules, without a network: when a delivered message is set aside, and how it is kept."""

from datetime import UTC, datetime

from schemas.dead_letters import MAX_REASON, DeadLetter, headers_of, letter_from, one_line
from schemas.subjects import DeadLetters
from services.kit.dead_letters import SPARE_DELIVERIES, Verdict, max_deliver, raised, settle, unreadable


def test_a_retry_before_the_last_delivery_is_delivered_again_with_its_delay() -> None:
    retry = Verdict("retry", 2.0, "registration r1 not readable (not_found)")
    assert settle(retry, deliveries=1, dead_after=3) == retry
    assert settle(retry, deliveries=2, dead_after=3) == retry


def test_a_retry_at_the_last_delivery_becomes_a_dead_letter_saying_why() -> None:
    retry = Verdict("retry", 2.0, "registration r1 not readable (not_found)")
    dead = settle(retry, deliveries=3, dead_after=3)
    assert dead == Verdict("dead", reason="still failing after 3 deliveries: registration r1 not readable (not_found)")
    # A spare delivery (the dead letter could not be stored the first time) is set aside too.
    assert settle(retry, deliveries=4, dead_after=3).action == "dead"
    assert settle(Verdict("retry", 1.0), deliveries=3, dead_after=3).reason == (
        "still failing after 3 deliveries: the handler asked to try again"
    )


def test_what_succeeded_or_ended_is_never_a_dead_letter_however_many_deliveries() -> None:
    for verdict in (Verdict("ack"), Verdict("term")):
        assert settle(verdict, deliveries=99, dead_after=3) == verdict


def test_an_unreadable_message_is_set_aside_at_its_first_delivery() -> None:
    verdict = settle(unreadable(ValueError("JSON is malformed")), deliveries=1, dead_after=30)
    assert verdict == Verdict("dead", reason="unreadable: JSON is malformed")


def test_jetstream_delivers_a_few_more_times_than_the_last_so_a_dead_letter_not_stored_is_tried_again() -> None:
    assert max_deliver(30) == 30 + SPARE_DELIVERIES
    assert SPARE_DELIVERIES >= 1


def test_a_handlers_failure_is_named_by_its_class_and_message() -> None:
    assert raised(RuntimeError("boom")) == "RuntimeError: boom"
    assert raised(TimeoutError()) == "TimeoutError"


def test_a_reason_travels_as_one_printable_ascii_line_of_bounded_length() -> None:
    assert one_line("Expected `int`,\n got `str`\r\n - at `$.n`") == "Expected `int`, got `str` - at `$.n`"
    assert one_line("événement inconnu") == "\\xe9v\\xe9nement inconnu"
    long = one_line("x" * 2000)
    assert len(long) == MAX_REASON and long.endswith("...")


def test_a_dead_letter_reads_back_from_its_headers_and_body_as_it_was_stored() -> None:
    letter = DeadLetter(
        service="notify",
        consumer="perche-notify-teams",
        stream="PERCHE_TEAMS",
        subject="perche.teams.evt.atelier.proposal",
        sequence=42,
        reason="still failing after 3 deliveries: a teammate of r1 is not readable",
        deliveries=3,
        at=datetime(2027, 6, 11, 9, 30, tzinfo=UTC),
        payload=b'{"type": "proposal_confirmed"}',
    )
    headers = headers_of(letter)
    assert all(value.isascii() and "\n" not in value for value in headers.values())
    # Direct gets add JetStream's own headers beside ours.
    stored = {**headers, "Nats-Stream": DeadLetters.STREAM, "Nats-Sequence": "7"}
    assert letter_from(stored, letter.payload, 7) == DeadLetter(
        **{**{f: getattr(letter, f) for f in letter.__struct_fields__}, "dead_letter_sequence": 7}
    )


def test_a_garbled_dead_letter_still_reads_with_what_it_has() -> None:
    letter = letter_from({"Perche-Service": "qa", "Perche-Sequence": "x"}, b"raw", 3)
    assert (letter.service, letter.sequence, letter.reason, letter.payload) == ("qa", 0, "", b"raw")
    assert letter.at == datetime.fromtimestamp(0, UTC)


def test_one_dead_letter_subject_per_service_stream_and_sequence() -> None:
    assert DeadLetters.subject("notify", "PERCHE_REGISTRATION", 12) == "perche.dead.notify.PERCHE_REGISTRATION.12"
    assert DeadLetters.subject("notify", "PERCHE_REGISTRATION", 12) != DeadLetters.subject(
        "teams", "PERCHE_REGISTRATION", 12
    )
    assert DeadLetters.of("notify") == "perche.dead.notify.>"
