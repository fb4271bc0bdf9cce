"""The organiser's team formation pages, over real HTTP, NATS and JetStream: every form is a POST that
works without JavaScript and answers 303; every refusal shows the page again with the message in its
language and a 4xx, and changes nothing."""

import uuid
from pathlib import Path

import httpx
import pytest

from schemas.registration import Register, RegistrationView
from schemas.subjects import Registration, Teams
from schemas.teams import CreateTeam, GetProposal, ListTeams, ProposalView, TeamList
from services.kit.client import call
from services.kit.connection import connect
from tests.conftest import HACKATHON, Web, define_events
from tests.integration.formation_support import answers, formation_event, register
from tests.integration.login_support import logged_in
from tests.integration.test_pages import Page

SLUG = "hack-formation-pages"
PAGE = f"/organiser/e/{SLUG}/teams/formation"
SCRIPT_NAME = "<script>alert(1)</script> Zoé"


async def proposal_now(web: Web) -> ProposalView:
    client = await connect(web.nats_url, "formation-pages-test")
    try:
        return await call(client, Teams.PROPOSAL, GetProposal(event=SLUG), ProposalView)
    finally:
        await client.drain()


async def people(web: Web, tmp_path: Path, count: int) -> list[str]:
    await define_events(web.nats_url, formation_event(tmp_path, SLUG, rank_challenges=False))
    client = await connect(web.nats_url, "formation-pages-people")
    try:
        ids = [await register(client, SLUG, i) for i in range(count)]
        command = Register(
            command_id=uuid.uuid4().hex,
            event=SLUG,
            name=SCRIPT_NAME,
            email="zoe@example.org",
            consent=True,
            category="participant",
            answers=answers(count),  # type: ignore[arg-type]
        )
        view = await call(client, Registration.REGISTER, command, RegistrationView, timeout=30)
        return [*ids, view.id]
    finally:
        await client.drain()


async def send(http: httpx.AsyncClient, action: str, lang: str = "fr", **fields: str) -> httpx.Response:
    """A form of the page, sent the way a browser does (its CSRF token, a fresh command id)."""
    page = Page((await http.get(PAGE, params={"lang": lang})).text)
    data = {"_csrf_token": page.fields["_csrf_token"], "command_id": uuid.uuid4().hex, **fields}
    return await http.post(f"{PAGE}/{action}", data=data, params={"lang": lang})


def done(reply: httpx.Response, what: str) -> None:
    assert reply.status_code == 303, reply.text
    assert reply.headers["location"].startswith(f"{PAGE}?done={what}")


async def test_an_organiser_links_proposes_moves_locks_reruns_and_confirms_on_the_pages(
    demo: Web, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    ids = await people(demo, tmp_path, 11)
    names = {r: f"Personne {i}" for i, r in enumerate(ids[:-1])} | {ids[-1]: SCRIPT_NAME}

    def name_of(registration: str) -> str:
        return names[registration]

    assert (await http.get(PAGE)).status_code == 303  # log in first
    await logged_in(http)
    board = await http.get(f"/organiser/e/{SLUG}/teams")
    assert f'href="{PAGE}"' in board.text

    first = await http.get(PAGE)
    assert first.status_code == 200
    assert "Le formulaire ne fait pas classer les défis" in first.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Zoé" in first.text and SCRIPT_NAME not in first.text
    assert 'name="min_size" type="number" inputmode="numeric" min="1" max="50" value="3"' in first.text
    assert "Proposer des équipes" in first.text

    done(await send(http, "link", kind="together", first=ids[1], second=ids[2]), "linked")
    done(await send(http, "link", kind="apart", first=ids[3], second=ids[4]), "linked")
    linked = Page((await http.get(PAGE)).text)
    shown = linked.text_of("links")
    assert "Personne 1 et Personne 2 : ensemble" in shown or "Personne 2 et Personne 1 : ensemble" in shown
    assert "Personne 3 et Personne 4 : séparé·es" in shown or "Personne 4 et Personne 3 : séparé·es" in shown
    done(await send(http, "unlink", kind="apart", first=ids[3], second=ids[4]), "unlinked")
    assert "séparé·es" not in Page((await http.get(PAGE)).text).text_of("links")

    done(await send(http, "propose", min_size="3", max_size="4", top_up="yes"), "proposed")
    proposal = await proposal_now(demo)
    assert proposal.revision > 0 and sum(len(t.members) for t in proposal.teams) == 12
    together = next(t for t in proposal.teams if ids[1] in t.members)
    assert ids[2] in together.members
    page = Page((await http.get(PAGE)).text)
    assert "/100" in page.text_of(proposal.teams[0].id)
    assert "qui cod" in page.text_of(proposal.teams[0].id)  # the facts in words
    assert "Confirmer ces équipes" in page.text

    # Move someone of another team into the first one.
    mover = next(m for t in proposal.teams[1:] for m in t.members)
    revision = str(proposal.revision)
    done(await send(http, "move", registration=mover, to_team=proposal.teams[0].id, revision=revision), "moved")
    moved = await proposal_now(demo)
    assert mover in moved.teams[0].members and moved.revision > proposal.revision

    # The same move with the revision seen before: refused, nothing changes.
    stale = await send(http, "move", registration=mover, to_team=moved.teams[1].id, revision=revision)
    assert stale.status_code == 409, stale.status_code
    assert "La proposition a changé entre-temps" in Page(stale.text).text_of("errors")
    assert (await proposal_now(demo)).revision == moved.revision

    locked_team = moved.teams[0]
    done(await send(http, "lock", team=locked_team.id, revision=str(moved.revision)), "locked")
    locked = await proposal_now(demo)
    assert locked.teams[0].locked
    refused = await send(
        http, "move", registration=locked_team.members[0], to_team="new", revision=str(locked.revision)
    )
    assert refused.status_code in (409, 422), refused.status_code
    assert "Cette équipe est verrouillée" in refused.text

    done(await send(http, "propose", min_size="3", max_size="4"), "proposed")
    rerun = await proposal_now(demo)
    kept = next(t for t in rerun.teams if t.locked)
    assert sorted(kept.members) == sorted(locked_team.members)

    # A confirmation of the draft as it was before the rerun: refused, no team made.
    stale_confirm = await send(http, "confirm", revision=str(locked.revision))
    assert stale_confirm.status_code == 409 and "a changé entre-temps" in Page(stale_confirm.text).text_of("errors")
    stale_lock = await send(http, "lock", "en", team=kept.id, locked="no", revision=str(locked.revision))
    assert stale_lock.status_code == 409 and "changed in the meantime" in Page(stale_lock.text).text_of("errors")
    assert (await proposal_now(demo)).revision == rerun.revision

    # Meanwhile someone of an unlocked team founds a team of their own: they stay there, and are told apart.
    alone = next(m for t in rerun.teams if not t.locked for m in t.members if m != ids[-1])
    client = await connect(demo.nats_url, "formation-pages-founder")
    try:
        create = CreateTeam(command_id=uuid.uuid4().hex, event=SLUG, team_id="solo", name="Solo", founder=alone)
        await call(client, Teams.CREATE, create, TeamList)
    finally:
        await client.drain()

    confirmed = await send(http, "confirm", revision=str(rerun.revision))
    done(confirmed, "confirmed")
    shown = Page((await http.get(confirmed.headers["location"])).text)
    assert "Équipes créées" in shown.text_of("confirmed")
    assert f"{name_of(alone)} : a rejoint une équipe entre-temps" in shown.text_of("left-out")
    english = Page((await http.get(confirmed.headers["location"] + "&lang=en")).text)
    assert f"{name_of(alone)}: joined a team meanwhile" in english.text_of("left-out")
    teams = Page((await http.get(f"/organiser/e/{SLUG}/teams")).text)
    assert teams.text_of("count-teams") == str(len(rerun.teams) + 1)
    assert teams.text_of("count-unplaced") == "0"
    assert (await proposal_now(demo)).revision == 0


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        (
            "fr",
            (
                "Choisissez deux personnes différentes.",
                "Il n'y a pas de proposition",
                "nombres entiers",
                "Ce lien n'existe pas",
                "ne peut pas dépasser",
            ),
        ),
        (
            "en",
            (
                "Choose two different people.",
                "There is no team proposal",
                "whole numbers",
                "This link does not exist",
                "cannot exceed",
            ),
        ),
    ],
)
async def test_refusals_are_in_the_page_language_with_a_4xx_and_change_nothing(
    demo: Web, http: httpx.AsyncClient, tmp_path: Path, lang: str, words: tuple[str, ...]
) -> None:
    ids = await people(demo, tmp_path, 4)
    await logged_in(http)
    # The demo hackathon as shipped: its page shows too, whatever its form feeds.
    assert (await http.get(f"/organiser/e/{HACKATHON}/teams/formation", params={"lang": lang})).status_code == 200
    same = await send(http, "link", lang, kind="together", first=ids[0], second=ids[0])
    assert same.status_code == 422 and words[0] in Page(same.text).text_of("errors")
    assert (await proposal_now(demo)).links == []
    nothing = await send(http, "confirm", lang, revision="0")
    assert 400 <= nothing.status_code < 500 and words[1] in Page(nothing.text).text_of("errors")
    bad = await send(http, "propose", lang, min_size="trois", max_size="4")
    assert bad.status_code == 422 and words[2] in Page(bad.text).text_of("errors") and 'value="trois"' in bad.text
    above = await send(http, "propose", lang, min_size="3", max_size="40")
    assert 400 <= above.status_code < 500 and words[4] in Page(above.text).text_of("errors")
    unknown = await send(http, "unlink", lang, kind="apart", first=ids[0], second=ids[1])
    assert 400 <= unknown.status_code < 500 and words[3] in Page(unknown.text).text_of("errors")
    lock = await send(http, "lock", lang, team="p1", revision="0")
    assert 400 <= lock.status_code < 500 and words[1] in Page(lock.text).text_of("errors")
    junk = await send(http, "move", lang, registration=ids[0], to_team="x; drop", revision="nope")
    assert junk.status_code == 422
    discard = await send(http, "discard", lang, revision="0")
    assert 400 <= discard.status_code < 500 and words[1] in Page(discard.text).text_of("errors")
    client = await connect(demo.nats_url, "formation-pages-check")
    try:
        assert (await call(client, Teams.LIST, ListTeams(event=SLUG), TeamList)).teams == []
    finally:
        await client.drain()
