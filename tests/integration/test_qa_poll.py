"""The Q&A's live poll over real HTTP and NATS: a moderator creates and opens it, a walk-in and a
registrant vote from plain forms (and may change their vote), the projector and the moderators see
the counts through the stream, a closed poll refuses votes in words. No public answer says who
chose what; hostile text stays text."""

import uuid
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from schemas.qa import PublicQa
from services.web.auth import CSRF_COOKIE
from tests.conftest import ROUND_TABLE, Web
from tests.integration.test_live_standings import next_event

# Reused fixtures of the Q&A's integration tests.
from tests.integration.test_qa import (  # noqa: F401
    AUDIENCE,
    MODERATION,
    SCREEN,
    Moderator,
    moderation,
    moderator,
    nats,
    phone,
    public,
    send,
)

HOSTILE = "<img src=x onerror=alert(1)> Oui"
QUESTION = "Faut-il la fibre dans chaque école du canton ?"


async def create(by: Moderator, *choices: str, text: str = QUESTION, text_en: str = "") -> httpx.Response:
    fields = {f"choice_{n}": choice for n, choice in enumerate(choices, start=1)}
    return await by.post("/polls", text=text, text_en=text_en, **fields)


async def state(by: Moderator, poll: str, to: str) -> httpx.Response:
    return await by.post(f"/polls/{poll}/state", state=to)


def counts(qa: PublicQa) -> list[int]:
    assert qa.poll is not None
    return [c.votes for c in qa.poll.choices]


async def test_a_poll_is_created_opened_voted_on_changed_and_closed_and_the_screen_follows_live(
    demo: Web,
    http: httpx.AsyncClient,
    moderator: Moderator,  # noqa: F811
    nats: object,  # noqa: F811
) -> None:
    assert (await create(moderator, HOSTILE, "Non", "", text_en="Fibre in every school?")).status_code == 303
    [poll] = (await moderation(nats)).polls
    assert (poll.id, poll.state, [c.text for c in poll.choices]) == ("p1", "draft", [HOSTILE, "Non"])
    # A draft is nobody's to see.
    assert (await public(nats)).poll is None
    assert QUESTION not in (await http.get(AUDIENCE)).text
    aline = await phone(demo)
    body = {"name": "Rose Inscrite", "email": "rose@example.org", "consent": True}
    made = await http.post(f"/api/v1/events/{ROUND_TABLE}/registrations", json=body)
    assert made.status_code == 201, made.text
    registration, token = made.json()["id"], parse_qs(urlsplit(made.json()["manage_url"]).query)["token"][0]
    link, csrf = f"/r/{registration}/questions", http.cookies.get(CSRF_COOKIE, "")

    async with http.stream("GET", f"/e/{ROUND_TABLE}/qa/stream") as stream:
        lines = stream.aiter_lines()
        assert await next_event(lines) == ("ready", ROUND_TABLE)
        assert (await state(moderator, poll.id, "open")).status_code == 303
        assert await next_event(lines) == ("change", ROUND_TABLE)
        board = await http.get(SCREEN, params={"part": "board"})
        assert QUESTION in board.text and "&lt;img src=x" in board.text and "<img src=x" not in board.text
        # The walk-in votes from a plain form, and is redirected back (POST-redirect-GET).
        voted = await send(aline, f"{AUDIENCE}/poll/{poll.id}/vote", choice="0")
        assert voted.status_code == 303 and voted.headers["location"].endswith("#poll")
        assert await next_event(lines) == ("change", ROUND_TABLE)
        # The registrant, from their private link.
        data = {"_csrf_token": csrf, "command_id": uuid.uuid4().hex, "token": token, "choice": "0"}
        assert (await http.post(f"{link}/poll/{poll.id}/vote", data=data)).status_code == 303
        assert await next_event(lines) == ("change", ROUND_TABLE)
        board = await http.get(SCREEN, params={"part": "board"})
        assert "2 voix · 100 %" in board.text and "poll-fill w100" in board.text
        # Aline changes her mind: counted once, in its new place.
        assert (await send(aline, f"{AUDIENCE}/poll/{poll.id}/vote", choice="1")).status_code == 303
        assert await next_event(lines) == ("change", ROUND_TABLE)
        board = await http.get(SCREEN, params={"part": "board"})
        assert board.text.count("1 voix · 50 %") == 2 and "poll-fill w50" in board.text
    assert counts(await public(nats)) == [1, 1]
    mine = await aline.get(AUDIENCE)
    assert "Changer mon vote" in mine.text and 'value="1" checked' in mine.text
    english = await http.get(SCREEN, params={"part": "board", "lang": "en"})
    assert "Fibre in every school?" in english.text
    # The moderators see the counts too.
    queue = (await moderator.client.get(f"{MODERATION}/", params={"part": "queue"})).text
    assert "1 voix · 50 %" in queue and "Fermer le sondage" in queue
    # No public answer says who chose what.
    api = (await http.get(f"/api/v1/events/{ROUND_TABLE}/questions")).text
    assert "reg:" not in api and "dev:" not in api and registration not in api

    assert (await state(moderator, poll.id, "closed")).status_code == 303
    refused = await send(aline, f"{AUDIENCE}/poll/{poll.id}/vote?lang=en", choice="0")
    assert refused.status_code == 409
    assert "This poll is closed: your vote was not counted." in refused.text
    assert counts(await public(nats)) == [1, 1]
    # Closed, its results stay on the screen until the next poll opens.
    board = await http.get(SCREEN, params={"part": "board"})
    assert "Sondage clos : résultats" in board.text and "1 voix · 50 %" in board.text
    await aline.aclose()


@pytest.mark.parametrize(
    ("lang", "message"),
    [
        ("fr", "Un sondage a besoin de 2 choix au moins."),
        ("en", "A poll needs 2 choices at least."),
    ],
)
async def test_a_poll_with_one_choice_is_refused_in_the_moderators_language_and_nothing_is_stored(
    demo: Web,
    moderator: Moderator,  # noqa: F811
    nats: object,  # noqa: F811
    lang: str,
    message: str,
) -> None:
    form = {"_csrf_token": moderator.csrf, "command_id": uuid.uuid4().hex, "text": QUESTION, "choice_1": "Oui"}
    refused = await moderator.client.post(f"{MODERATION}/polls?lang={lang}", data=form)
    assert refused.status_code == 422
    assert message in refused.text.replace("&#39;", "'")
    assert QUESTION.replace("'", "&#39;") in refused.text  # what was typed stays in the form
    assert (await moderation(nats)).polls == []


async def test_only_one_poll_is_open_at_a_time_and_an_unticked_vote_is_refused_in_words(
    demo: Web,
    moderator: Moderator,  # noqa: F811
    nats: object,  # noqa: F811
) -> None:
    await create(moderator, "Oui", "Non")
    await create(moderator, "Bleu", "Vert", text="Quelle couleur pour le logo ?")
    assert (await state(moderator, "p1", "open")).status_code == 303
    other = await state(moderator, "p2", "open")
    assert other.status_code == 409 and "Un autre sondage est ouvert" in other.text
    bruno = await phone(demo)
    empty = await send(bruno, f"{AUDIENCE}/poll/p1/vote")
    assert empty.status_code == 422 and "Choisissez l&#39;une des réponses proposées." in empty.text
    assert (await public(nats)).poll.total == 0  # type: ignore[union-attr]
    await bruno.aclose()
