"""The audience Q&A over real HTTP and NATS: a walk-in asks from a phone, a registrant from their
private link, moderators approve, merge and reject, the projector and the stream follow. A pending
or rejected question is never on a public page, fragment, stream answer or public query."""

import asyncio
import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from schemas.qa import NAMES_BUCKET, GetModeration, GetPublicQa, Moderation, PublicQa, QaDone, SetPhase
from schemas.subjects import Qa, stream_name
from services.kit.client import call
from services.kit.connection import connect
from services.kit.lifecycle import Running
from services.web.auth import CSRF_COOKIE
from services.web.qa.public import DEVICE_COOKIE
from tests.conftest import ROUND_TABLE, Web, bucket_keys, define_events, running_web
from tests.integration.login_support import logged_in
from tests.integration.test_live_standings import next_event

AUDIENCE = f"/e/{ROUND_TABLE}/questions"
SCREEN = f"/e/{ROUND_TABLE}/qa/screen"
MODERATION = f"/organiser/e/{ROUND_TABLE}/qa"
HOSTILE = "<script>alert('xss')</script> Quand ouvrira le centre de La Loupe ?"
QUESTION = "Quand ouvrira le centre de formation numérique à La Loupe ?"


class Moderator:
    def __init__(self, client: httpx.AsyncClient, csrf: str) -> None:
        self.client, self.csrf = client, csrf

    async def post(self, path: str, **data: str) -> httpx.Response:
        form = {"_csrf_token": self.csrf, "command_id": uuid.uuid4().hex, **data}
        return await self.client.post(f"{MODERATION}{path}", data=form)

    async def phase(self, phase: str, language: str = "fr") -> None:
        assert (await self.post("/phase", phase=phase, language=language)).status_code == 303

    async def act(self, question: str, action: str) -> httpx.Response:
        return await self.post(f"/{question}/moderate", action=action)


@pytest.fixture
async def moderator(demo: Web) -> AsyncIterator[Moderator]:
    async with httpx.AsyncClient(base_url=demo.url, timeout=10) as client:
        yield Moderator(client, await logged_in(client))


@pytest.fixture
async def nats(demo: Web) -> AsyncIterator[object]:
    client = await connect(demo.nats_url, "test-qa")
    yield client
    await client.drain()


async def phone(web: Web) -> httpx.AsyncClient:
    """A walk-in's phone: it opens the audience page first, which gives it its cookies."""
    client = httpx.AsyncClient(base_url=web.url, timeout=10)
    assert (await client.get(AUDIENCE)).status_code == 200
    return client


async def send(client: httpx.AsyncClient, path: str, **data: str) -> httpx.Response:
    form = {"_csrf_token": client.cookies.get(CSRF_COOKIE, ""), "command_id": uuid.uuid4().hex, **data}
    return await client.post(path, data=form)


async def moderation(nats: object) -> Moderation:
    return await call(nats, Qa.MODERATION, GetModeration(event=ROUND_TABLE), Moderation)  # type: ignore[arg-type]


async def public(nats: object, person: str | None = None) -> PublicQa:
    return await call(nats, Qa.PUBLIC, GetPublicQa(event=ROUND_TABLE, person=person), PublicQa)  # type: ignore[arg-type]


API = f"/api/v1/events/{ROUND_TABLE}/questions"


async def everything_public(http: httpx.AsyncClient, pages_only: bool = False) -> str:
    """Every public page, fragment and (unless `pages_only`) API answer of the Q&A, for someone who asked nothing."""
    pages = [AUDIENCE, f"{AUDIENCE}?part=questions", f"{AUDIENCE}?lang=en", SCREEN, f"{SCREEN}?part=board"]
    pages += [] if pages_only else [API]
    bodies = []
    async with httpx.AsyncClient(base_url=str(http.base_url), timeout=10) as stranger:
        for page in pages:
            reply = await stranger.get(page)
            assert reply.status_code == 200, page
            bodies.append(reply.text)
    return "\n".join(bodies)


async def test_a_walk_in_asks_a_moderator_approves_and_only_then_the_room_sees_it_as_text(
    demo: Web, http: httpx.AsyncClient, moderator: Moderator, nats: object
) -> None:
    await moderator.phase("open")
    aline = await phone(demo)
    cookie = next(c for c in aline.cookies.jar if c.name == DEVICE_COOKIE)
    assert cookie.has_nonstandard_attr("HttpOnly") and cookie.get_nonstandard_attr("SameSite", "").lower() == "lax"
    asked = await send(aline, f"{AUDIENCE}/ask", text=HOSTILE, name="Aline <b>M.</b>")
    assert asked.status_code == 303
    # Pending: its asker sees it waiting, as text; nobody else sees it anywhere.
    mine = await aline.get(AUDIENCE)
    assert "&lt;script&gt;alert(" in mine.text and "<script>alert(" not in mine.text
    assert "En attente de modération" in mine.text
    assert "alert(" not in await everything_public(http)
    assert (await public(nats)).questions == []
    [waiting] = (await moderation(nats)).questions
    assert (waiting.status, waiting.name, waiting.askers[0].startswith("dev:")) == ("pending", "Aline <b>M.</b>", True)
    # The log knows the device by a digest, never by the cookie that acts as it.
    assert cookie.value not in waiting.askers[0]
    # The name is personal data: in the Q&A's bucket, where erasure can reach it, never in the stream.
    js = nats.jetstream()  # type: ignore[attr-defined]
    stored = await js.get_last_msg(stream_name("qa"), Qa.event_subject(ROUND_TABLE))
    assert b"Aline" not in stored.data and b"alert(" in stored.data
    names = await js.key_value(NAMES_BUCKET)
    assert [(await names.get(key)).value for key in await bucket_keys(js, NAMES_BUCKET)] == [b"Aline <b>M.</b>"]
    queue = await moderator.client.get(f"{MODERATION}/")
    assert queue.status_code == 200 and "&lt;script&gt;alert(" in queue.text and "<script>alert(" not in queue.text

    assert (await http.get(API)).json()["questions"] == []
    assert (await moderator.act(waiting.id, "approve")).status_code == 303
    [listed] = (await http.get(API)).json()["questions"]
    assert (listed["text"], listed["status"], listed["votes"]) == (HOSTILE, "approved", 0)
    assert "askers" not in listed and "original" not in listed
    shown = await everything_public(http, pages_only=True)
    assert "&lt;script&gt;alert(" in shown and "<script>alert(" not in shown
    assert "Aline &lt;b&gt;M.&lt;/b&gt;" in shown
    # The projector's QR code takes the room to the audience page.
    screen = await http.get(SCREEN)
    assert "<svg" in screen.text and f"/e/{ROUND_TABLE}/questions" in screen.text
    await aline.aclose()


async def test_a_rejected_question_stays_off_every_public_page_and_its_asker_sees_it_refused(
    demo: Web, http: httpx.AsyncClient, moderator: Moderator, nats: object
) -> None:
    await moderator.phase("open")
    bruno = await phone(demo)
    assert (await send(bruno, f"{AUDIENCE}/ask", text="Une question hors sujet et blessante ici")).status_code == 303
    [question] = (await moderation(nats)).questions
    assert (await moderator.act(question.id, "reject")).status_code == 303
    assert "hors sujet" not in await everything_public(http)
    assert (await public(nats)).questions == []
    page = await bruno.get(AUDIENCE)
    assert "hors sujet" in page.text and "Non retenue par la modération." in page.text
    await bruno.aclose()


@pytest.mark.parametrize(
    ("lang", "message"),
    [
        ("fr", "Votre question est trop longue : 300 caractères au plus. Raccourcissez-la."),
        ("en", "Your question is too long: 300 characters at most. Shorten it."),
    ],
)
async def test_a_2000_character_question_is_refused_in_the_readers_language_and_nothing_is_stored(
    demo: Web, moderator: Moderator, nats: object, lang: str, message: str
) -> None:
    await moderator.phase("open")
    claire = await phone(demo)
    refused = await send(claire, f"{AUDIENCE}/ask?lang={lang}", text="é" * 2000)
    assert refused.status_code == 422
    assert message in refused.text.replace("&#39;", "'")
    # What was typed stays in the form, to be shortened rather than typed again.
    assert "é" * 300 in refused.text
    assert (await moderation(nats)).questions == []
    short = await send(claire, f"{AUDIENCE}/ask?lang={lang}", text="   ")
    assert short.status_code == 422 and (await moderation(nats)).questions == []
    await claire.aclose()


async def test_a_second_vote_changes_nothing_and_a_vote_can_be_withdrawn(
    demo: Web, moderator: Moderator, nats: object
) -> None:
    await moderator.phase("open")
    aline, bruno = await phone(demo), await phone(demo)
    assert (await send(aline, f"{AUDIENCE}/ask", text=QUESTION)).status_code == 303
    [question] = (await moderation(nats)).questions
    # Not approved yet: no vote.
    assert (await send(bruno, f"{AUDIENCE}/{question.id}/vote")).status_code == 409
    await moderator.act(question.id, "approve")
    assert (await send(bruno, f"{AUDIENCE}/{question.id}/vote")).status_code == 303
    again = await send(bruno, f"{AUDIENCE}/{question.id}/vote")
    assert again.status_code == 409
    assert "Vous avez déjà voté pour cette question" in again.text.replace("&#39;", "'")
    assert (await public(nats)).questions[0].votes == 1
    page = await bruno.get(AUDIENCE)
    assert "Retirer ma voix" in page.text and "1 voix" in page.text
    assert (await send(bruno, f"{AUDIENCE}/{question.id}/vote", withdraw="1")).status_code == 303
    assert (await public(nats)).questions[0].votes == 0
    await aline.aclose()
    await bruno.aclose()


async def test_asking_while_only_voting_is_open_is_refused_with_a_clear_message(
    demo: Web, moderator: Moderator, nats: object
) -> None:
    await moderator.phase("voting")
    dora = await phone(demo)
    page = await dora.get(AUDIENCE)
    assert 'action="/e/' not in page.text.split('id="questions"')[0]  # no form to ask with
    refused = await send(dora, f"{AUDIENCE}/ask?lang=en", text=QUESTION)
    assert refused.status_code == 409
    assert "Questions are no longer taken: you can still vote for the ones shown." in refused.text
    assert (await moderation(nats)).questions == []
    await dora.aclose()


async def test_the_live_stream_announces_an_approval_and_the_projector_then_shows_it(
    demo: Web, http: httpx.AsyncClient, moderator: Moderator, nats: object
) -> None:
    await moderator.phase("open", language="en")
    aline = await phone(demo)
    assert (await send(aline, f"{AUDIENCE}/ask", text=QUESTION)).status_code == 303
    [question] = (await moderation(nats)).questions
    async with http.stream("GET", f"/e/{ROUND_TABLE}/qa/screen/stream") as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        lines = stream.aiter_lines()
        assert await next_event(lines) == ("ready", ROUND_TABLE)
        assert (await moderator.act(question.id, "approve")).status_code == 303
        assert await next_event(lines) == ("change", ROUND_TABLE)
        board = await http.get(SCREEN, params={"part": "board"})
        assert QUESTION in board.text and "Next questions" in board.text  # the session's language
        assert (await moderator.act(question.id, "pin")).status_code == 303
        assert await next_event(lines) == ("change", ROUND_TABLE)
        board = await http.get(SCREEN, params={"part": "board"})
        assert 'id="current"' in board.text and QUESTION in board.text.split('id="current"')[1]
    french = await http.get(SCREEN, params={"lang": "fr"})
    assert "Question en cours" in french.text
    await aline.aclose()


async def test_a_registrant_asks_from_their_private_link_and_duplicates_merge_their_votes(
    demo: Web, http: httpx.AsyncClient, moderator: Moderator, nats: object
) -> None:
    await moderator.phase("open")
    body = {"name": "Rose Inscrite", "email": "rose@example.org", "consent": True}
    made = await http.post(f"/api/v1/events/{ROUND_TABLE}/registrations", json=body)
    assert made.status_code == 201, made.text
    registration = made.json()["id"]
    token = parse_qs(urlsplit(made.json()["manage_url"]).query)["token"][0]
    link = f"/r/{registration}/questions"
    # The private page and the event page lead there.
    own = await http.get(f"/r/{registration}", params={"token": token})
    assert f'href="{link}?token={token}"' in own.text
    assert f'href="{AUDIENCE}"' in (await http.get(f"/e/{ROUND_TABLE}")).text
    page = await http.get(link, params={"token": token})
    assert page.status_code == 200 and "Poser une question" in page.text
    # Another's token, or none, opens nothing and asks nothing.
    assert (await http.get(link, params={"token": "x" * 30})).status_code in (403, 404)
    csrf = http.cookies.get(CSRF_COOKIE, "")
    forged = await http.post(
        f"{link}/ask", data={"_csrf_token": csrf, "command_id": uuid.uuid4().hex, "token": "y" * 30, "text": QUESTION}
    )
    assert forged.status_code in (403, 404) and (await moderation(nats)).questions == []
    asked = await http.post(
        f"{link}/ask", data={"_csrf_token": csrf, "command_id": uuid.uuid4().hex, "token": token, "text": QUESTION}
    )
    assert asked.status_code == 303 and f"token={token}" in asked.headers["location"]
    walk_in = await phone(demo)
    duplicate = "Le centre numérique de La Loupe, c'est pour quand ?"
    assert (await send(walk_in, f"{AUDIENCE}/ask", text=duplicate)).status_code == 303
    first, second = (await moderation(nats)).questions
    assert first.askers == [f"reg:{registration}"]
    for question in (first, second):
        await moderator.act(question.id, "approve")
    # The registrant votes for both, the walk-in for the duplicate.
    for question in (first, second):
        voted = await http.post(
            f"{link}/{question.id}/vote",
            data={"_csrf_token": csrf, "command_id": uuid.uuid4().hex, "token": token},
        )
        assert voted.status_code == 303
    assert (await send(walk_in, f"{AUDIENCE}/{second.id}/vote")).status_code == 303
    # The target is typed (a field listing the questions once): one that does not exist, or is no
    # question's id at all, is refused in words and merges nothing.
    for typed, words in (("q999", "Cette question n&#39;existe pas (ou plus)."), ("<b>", "Choisissez parmi")):
        refused = await moderator.post(f"/{second.id}/merge", into=typed)
        assert refused.status_code in (404, 409, 422) and words in refused.text, (typed, refused.status_code)
    assert all(q.status != "merged" for q in (await moderation(nats)).questions)
    page = (await moderator.client.get(f"{MODERATION}/")).text
    assert page.count('<datalist id="merge-targets">') == 1 and 'list="merge-targets"' in page
    merged = await moderator.post(f"/{second.id}/merge", into=first.id)
    assert merged.status_code == 303
    [shown] = (await public(nats)).questions
    assert (shown.id, shown.votes) == (first.id, 2)
    kept = next(q for q in (await moderation(nats)).questions if q.id == first.id)
    assert len(kept.askers) == 2 and kept.merged == [second.id]
    assert duplicate.replace("'", "&#39;") not in await everything_public(http)
    queue = (await moderator.client.get(f"{MODERATION}/")).text
    assert "2 personnes l&#39;ont posée" in queue or "2 personnes l'ont posée" in queue
    await walk_in.aclose()


async def test_the_moderators_page_and_stream_are_for_the_events_organisers_only(
    demo: Web, http: httpx.AsyncClient
) -> None:
    assert (await http.get(f"{MODERATION}/")).status_code in (401, 303, 302)
    async with asyncio.timeout(10):
        reply = await http.get(f"{MODERATION}/stream")
    assert reply.status_code in (401, 303, 302)
    assert re.search(r"organiser/login", reply.headers.get("location", "/organiser/login"))


async def test_asking_is_rate_limited_and_what_is_refused_is_not_stored(
    backend: Running, nats_url: str, tmp_path: Path
) -> None:
    async with running_web(nats_url, tmp_path, rate_limit_per_minute=3) as web:
        await define_events(nats_url)
        client = await connect(nats_url, "test-qa-limit")
        try:
            opened = SetPhase(command_id=uuid.uuid4().hex, event=ROUND_TABLE, phase="open", by_organiser="test")
            await call(client, Qa.SET_PHASE, opened, QaDone)
            walk_in = await phone(web)
            statuses = [
                (await send(walk_in, f"{AUDIENCE}/ask", text=f"{QUESTION} (n° {n})")).status_code for n in range(4)
            ]
            assert statuses == [303, 303, 303, 429]
            assert len((await moderation(client)).questions) == 3
            # Reading is never limited: the page still shows its asker's questions.
            assert (await walk_in.get(AUDIENCE)).text.count("En attente de modération : vous seul·e la voyez.") == 3
            await walk_in.aclose()
        finally:
            await client.drain()


async def test_an_edit_shows_the_new_words_to_the_room_and_the_original_to_the_moderators_only(
    demo: Web, http: httpx.AsyncClient, moderator: Moderator, nats: object
) -> None:
    await moderator.phase("open")
    typed = "quand ouvrira le centre de formation a la loupe ??? appelez moi au 06 12 34 56 78"
    walk_in = await phone(demo)
    assert (await send(walk_in, f"{AUDIENCE}/ask", text=typed)).status_code == 303
    [question] = (await moderation(nats)).questions
    edited = await moderator.post(f"/{question.id}/edit", text=QUESTION)
    assert edited.status_code == 303
    await moderator.act(question.id, "approve")
    shown = await everything_public(http)
    assert QUESTION in shown and "06 12 34 56 78" not in shown
    queue = (await moderator.client.get(f"{MODERATION}/")).text
    assert "Texte d'origine :" in queue.replace("&#39;", "'") and "06 12 34 56 78" in queue
    # A hand-made form with a choice no button offers is refused in words, and changes nothing.
    odd = await moderator.post(f"/{question.id}/moderate", action="delete")
    assert odd.status_code == 422 and "Choisissez parmi les réponses proposées." in odd.text
    wrong_phase = await moderator.post("/phase?lang=en", phase="paused")
    assert wrong_phase.status_code == 422 and "Choose among the answers offered." in wrong_phase.text
    too_short = await moderator.post(f"/{question.id}/edit", text="Quoi ?")
    assert too_short.status_code == 422 and (await moderation(nats)).questions[0].text == QUESTION
    # The room's page in English.
    english = await walk_in.get(AUDIENCE, params={"lang": "en"})
    assert "Questions for the round table" in english.text and "Ask a question" in english.text
    assert "I want to hear the answer" in english.text
    await walk_in.aclose()


async def test_the_device_cookie_is_secure_when_the_app_is_served_over_https(
    backend: Running, nats_url: str, tmp_path: Path
) -> None:
    async with running_web(nats_url, tmp_path, base_url="https://perche.example") as web:
        await define_events(nats_url)
        async with httpx.AsyncClient(base_url=web.url, timeout=10) as http:
            page = await http.get(AUDIENCE)
        cookies = {c.split("=", 1)[0]: c for c in page.headers.get_list("set-cookie")}
        device = cookies[DEVICE_COOKIE]
        assert "; Secure" in device and "HttpOnly" in device and "SameSite=lax" in device.replace("Lax", "lax")
        # The projector's QR code takes phones to the public address, not to the host the projector used.
        async with httpx.AsyncClient(base_url=web.url, timeout=10) as http:
            screen = await http.get(SCREEN)
        assert f"https://perche.example/e/{ROUND_TABLE}/questions" in screen.text
