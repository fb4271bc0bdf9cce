"""How the event store reads JetStream's refusals: a race is a conflict, a lost ack a resend."""

from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js.errors import APIError, NoStreamResponseError

from services.kit.store import is_conflict, resendable


def refusal(code: int, err_code: int, description: str) -> APIError:
    """The error nats-py raises from a JetStream reply's `error` object."""
    try:
        APIError.from_error({"code": code, "err_code": err_code, "description": description})
    except APIError as error:
        return error
    raise AssertionError("nats-py did not raise")


def test_a_wrong_last_sequence_is_a_conflict_whether_or_not_the_stream_is_replicated() -> None:
    assert is_conflict(refusal(400, 10071, "wrong last sequence: 41"))
    assert is_conflict(refusal(400, 10164, "wrong last sequence"))


def test_a_message_id_still_in_process_is_resent_and_not_a_conflict() -> None:
    in_process = refusal(409, 10158, "duplicate message id is in process")
    assert resendable(in_process)
    assert not is_conflict(in_process)


def test_no_ack_and_no_leader_are_resent_and_other_refusals_are_not() -> None:
    assert resendable(NoStreamResponseError())
    assert resendable(NoRespondersError())
    assert resendable(NatsTimeoutError())
    assert resendable(refusal(503, 10008, "JetStream system temporarily unavailable"))
    assert not resendable(refusal(400, 10071, "wrong last sequence: 41"))
    assert not resendable(refusal(400, 10054, "maximum messages exceeded"))
