"""Dead letters on a real NATS: a poison event no service can read is set aside once per service
that meets it, whatever the restarts, and every service still starts and serves; notify's work
queue sets aside a message that fails every time after its last delivery and goes on mailing;
`perche dead-letters` lists them; the organiser's day page counts them."""

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from nats.aio.client import Client

from schemas.catalog import EventList, ListEvents
from schemas.subjects import SERVICES, Catalog, DeadLetters, Teams, events_of, stream_name
from schemas.teams import ConfirmedTeam, ProposalConfirmed
from services.cli.hosting import backend_services
from services.kit import dead_letters
from services.kit.client import call
from services.kit.codec import encode
from services.kit.lifecycle import Running
from services.kit.store import ensure_stream
from services.notify.service import NotifyService
from tests.conftest import HACKATHON, Web, define_events, running_web
from tests.integration.login_support import logged_in
from tests.integration.notify_support import Inbox, Stack, define, drained, register, small_event, wait_until
from tests.integration.test_cli import perche
from tests.integration.test_pages import Page

POISON = b'{"type": "from-a-future-version", "slug": "atelier"}'


async def poison_the_catalog(nc: Client) -> int:
    """An event this version cannot read, on the catalog's stream; its sequence."""
    js = nc.jetstream()
    await ensure_stream(js, stream_name("catalog"), [events_of("catalog")])
    ack = await js.publish(Catalog.event_subject("atelier"), POISON, stream=stream_name("catalog"))
    return ack.seq


async def test_a_poison_event_is_set_aside_once_per_service_and_every_service_still_starts_and_serves(
    nats_url: str, nc: Client, tmp_path: Path
) -> None:
    sequence = await poison_the_catalog(nc)
    seen: list[list[tuple[str, str, str, int, str, bytes]]] = []
    for start in ("first start", "restart"):
        backend = Running(backend_services(), nats_url)
        await backend.start()  # every service replays the catalog's stream and starts all the same
        try:
            if start == "first start":
                await define_events(nats_url)
            async with running_web(nats_url, tmp_path) as web, httpx.AsyncClient(base_url=web.url) as http:
                home = await http.get("/")
                assert home.status_code == 200 and "comice" in home.text.lower()
                assert (await http.get(f"/e/{HACKATHON}")).status_code == 200
            listed = await call(nc, Catalog.LIST_EVENTS, ListEvents(), EventList)
            assert HACKATHON in {e.slug for e in listed.events}
        finally:
            await backend.stop()
        letters = await dead_letters.listed(nc)
        seen.append(sorted((d.service, d.stream, d.subject, d.sequence, d.reason, d.payload) for d in letters))

    # Each service that follows the catalog set it aside once, and the restart added nothing.
    assert seen[0] == seen[1]
    assert [s for s, *_ in seen[0]] == sorted(SERVICES)
    reason = "unreadable: Invalid value 'from-a-future-version' - at `$.type`"
    assert {tuple(rest) for _, *rest in seen[0]} == {
        (stream_name("catalog"), Catalog.event_subject("atelier"), sequence, reason, POISON)
    }


def team_of(event: str, members: list[str]) -> ProposalConfirmed:
    team = ConfirmedTeam(team_id="t-epis", name="Les Épis", code="EPIS2027", members=members, added=members)
    return ProposalConfirmed(
        command_id=uuid.uuid4().hex,
        event=event,
        revision=1,
        teams=[team],
        by_organiser="orga",
        at=datetime.now(UTC),
    )


async def test_notify_sets_aside_what_fails_at_every_delivery_after_the_last_one_and_the_next_mails_still_go(
    stack: Stack, inbox: Inbox
) -> None:
    # Three deliveries instead of thirty, so the test does not wait for the backoff of thirty.
    await stack.stop_notify()
    running = Running([NotifyService(stack.settings, housekeeping_seconds=3600, dead_after=3)], stack.nats_url)
    await running.start()
    stack.notify.append(running)
    slug = "atelier-lettres"
    await define(stack.nc, small_event(slug))
    alice = await register(stack.nc, slug, "Alice Martin", "alice@example.org")
    await wait_until(lambda: inbox.kinds("alice@example.org") == ["confirmed"])

    js = stack.nc.jetstream()
    unreadable = await js.publish(Teams.event_subject(slug), b"{not json", stream=stream_name("teams"))
    # Alice's teammate is nobody the registration service knows: her team mail can never be made.
    team = encode(team_of(slug, [alice.id, "fantome"]))
    failing = await js.publish(Teams.event_subject(slug), team, stream=stream_name("teams"))

    async def set_aside() -> bool:
        return len(await dead_letters.listed(stack.nc, "notify")) == 2

    await wait_until(set_aside)
    await wait_until(lambda: drained(stack.nc, "teams"))  # acknowledged: never delivered again
    letters = {d.sequence: d for d in await dead_letters.listed(stack.nc, "notify")}
    first, last = letters[unreadable.seq], letters[failing.seq]
    assert (first.consumer, first.stream, first.subject, first.deliveries, first.payload) == (
        "perche-notify-teams",
        stream_name("teams"),
        Teams.event_subject(slug),
        1,
        b"{not json",
    )
    assert first.reason.startswith("unreadable: JSON is malformed")
    assert (last.consumer, last.deliveries) == ("perche-notify-teams", 3)
    assert last.reason == f"still failing after 3 deliveries: a teammate of {alice.id} is not readable"
    assert last.payload == team
    info = await js.consumer_info(stream_name("teams"), "perche-notify-teams")
    assert info.config.max_deliver == 3 + dead_letters.SPARE_DELIVERIES

    # The queue went on: the next registration is mailed, and Alice got no half-made team mail.
    await register(stack.nc, slug, "Bruno Petit", "bruno@example.org")
    await wait_until(lambda: inbox.kinds("bruno@example.org") == ["confirmed"])
    assert inbox.kinds("alice@example.org") == ["confirmed"]


@pytest.mark.real_clock  # the CLI runs as another process, on the real clock
async def test_perche_dead_letters_lists_them_as_a_table_and_as_json(nats_url: str, nc: Client) -> None:
    empty = await perche("dead-letters", "--nats-url", nats_url)
    assert (empty.returncode, empty.stdout) == (0, "no dead letters\n")
    sequence = await poison_the_catalog(nc)
    backend = Running(backend_services()[:2], nats_url)  # catalog and registration
    await backend.start()
    await backend.stop()

    shown = await perche("dead-letters", "--nats-url", nats_url)
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0] == "2 dead letters"
    assert lines[1].split() == ["at", "service", "reader", "stream", "sequence", "subject", "reason"]
    rows = [line.split(None, 6) for line in lines[2:]]
    assert sorted(row[1] for row in rows) == ["catalog", "registration"]
    for row in rows:
        assert datetime.fromisoformat(row[0]).tzinfo is not None
        assert row[2:] == [
            "fold",
            stream_name("catalog"),
            str(sequence),
            Catalog.event_subject("atelier"),
            "unreadable: Invalid value 'from-a-future-version' - at `$.type`",
        ]

    as_json = await perche("dead-letters", "--json", "--service", "registration", "--nats-url", nats_url)
    assert as_json.returncode == 0, as_json.stderr
    [letter] = json.loads(as_json.stdout)
    assert {k: letter[k] for k in ("service", "consumer", "stream", "subject", "sequence", "deliveries")} == {
        "service": "registration",
        "consumer": "fold",
        "stream": stream_name("catalog"),
        "subject": Catalog.event_subject("atelier"),
        "sequence": sequence,
        "deliveries": 1,
    }
    assert letter["reason"].startswith("unreadable: ") and letter["dead_letter_sequence"] > 0
    assert "payload" in letter  # base64 of the original bytes
    # Reading them changed nothing.
    assert len(await dead_letters.listed(nc)) == 2


async def test_the_day_page_counts_dead_letters_for_those_who_run_perche_only_when_there_are_some(
    demo: Web, http: httpx.AsyncClient, nc: Client
) -> None:
    day = f"/organiser/e/{HACKATHON}/day"
    await logged_in(http)
    quiet = await http.get(day)
    assert quiet.status_code == 200 and "dead-letters" not in Page(quiet.text).by_id
    await poison_the_catalog(nc)  # the running services meet it live

    async def counted() -> bool:
        return await dead_letters.count(nc) == len(SERVICES)

    await wait_until(counted)
    page = Page((await http.get(day)).text)
    assert page.text_of("dead-letters") == str(len(SERVICES))
    assert "messages qu'aucun service n'a pu lire, sur tout Perche" in page.text
    assert "perche dead-letters" in page.text
    english = Page((await http.get(day, params={"lang": "en"})).text)
    assert english.text_of("dead-letters") == str(len(SERVICES))
    assert "messages no service could read, across Perche" in english.text
    # The figures the live page fetches again say it too.
    figures = Page((await http.get(day, params={"part": "figures"})).text)
    assert figures.text_of("dead-letters") == str(len(SERVICES))
    assert DeadLetters.STREAM not in page.text  # words for people, not stream names
