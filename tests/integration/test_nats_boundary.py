"""Invariant 5 at the NATS boundary: malformed messages get a typed error and break nothing."""

import msgspec

from schemas.errors import ErrorReply
from schemas.judging import GetStandings, Standings
from schemas.publishing import GetResults, Results
from schemas.registration import GetCounts
from schemas.subjects import Catalog, Judging, Publishing, Registration
from services.kit.client import call
from services.kit.codec import encode
from services.kit.lifecycle import Running
from tests.conftest import HACKATHON, define_events


async def test_malformed_commands_are_answered_with_a_precise_error_and_the_service_lives_on(
    nats_url: str, backend: Running, nc: object
) -> None:
    await define_events(nats_url)
    cases = {
        b"not json at all": None,
        b'{"command_id": 12}': "command_id",
        b'{"command_id": "abcdefgh", "event": "x", "name": "A", "email": "a@b.fr", "consent": "oui"}': "consent",
        b"[]": None,
    }
    for payload, field in cases.items():
        reply = await nc.request(Registration.REGISTER, payload, timeout=5)  # type: ignore[attr-defined]
        error = msgspec.json.decode(reply.data, type=ErrorReply)
        assert error.code == "invalid"
        assert error.field == field
        assert error.message
    garbage = await nc.request(Catalog.DEFINE_EVENT, b'{"spec": {}}', timeout=5)  # type: ignore[attr-defined]
    assert msgspec.json.decode(garbage.data, type=ErrorReply).code == "invalid"
    alive = await nc.request(Registration.COUNTS, encode(GetCounts(event=HACKATHON)), timeout=5)  # type: ignore[attr-defined]
    assert b'"counts"' in alive.data


async def test_bad_scores_and_publications_over_nats_get_a_typed_error_and_change_nothing(
    nats_url: str, backend: Running, nc: object
) -> None:
    await define_events(nats_url)
    cases = [
        (Judging.SCORE, b'{"command_id": "abcdefgh", "event": "hackathon-comice-2027", "juror": "j"}', "team"),
        (
            Judging.SCORE,
            b'{"command_id": "abcdefgh", "event": "hackathon-comice-2027", "juror": "j", "team": "a",'
            b' "criterion": "c", "points": -1}',
            "points",
        ),
        (
            Judging.ASSIGN,
            b'{"command_id": "abcdefgh", "event": "hackathon-comice-2027", "juror": "j",'
            b' "teams": "a", "by_organiser": "o"}',
            "teams",
        ),
        (
            Publishing.PUBLISH,
            b'{"command_id": "short", "event": "hackathon-comice-2027", "by_organiser": "o"}',
            "command_id",
        ),
    ]
    for subject, payload, field in cases:
        reply = await nc.request(subject, payload, timeout=5)  # type: ignore[attr-defined]
        error = msgspec.json.decode(reply.data, type=ErrorReply)
        assert (error.code, error.field) == ("invalid", field), error
    standings = await call(nc, Judging.STANDINGS, GetStandings(event=HACKATHON), Standings)  # type: ignore[arg-type]
    assert standings.standings == [] and not standings.closed
    results = await call(nc, Publishing.RESULTS, GetResults(event=HACKATHON), Results)  # type: ignore[arg-type]
    assert results.version == 0
