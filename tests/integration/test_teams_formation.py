"""Team formation through the JSON API, over real HTTP, NATS and JetStream: links, a proposal, a move,
a lock, a rerun that keeps the locked team, and a confirmation that leaves out whoever joined a team
meanwhile; every refusal a clear error that changes nothing."""

import uuid
from pathlib import Path
from typing import Any

import httpx

from schemas.subjects import Teams
from schemas.teams import CreateTeam, JoinTeam, Membership, TeamList
from services.kit.client import call
from services.kit.connection import connect
from tests.conftest import Web, define_events
from tests.integration.formation_support import formation_event, register

SLUG = "hack-formation"
PEOPLE = 10


def key() -> dict[str, str]:
    return {"Idempotency-Key": uuid.uuid4().hex}


async def ok(reply: httpx.Response) -> dict[str, Any]:
    assert reply.status_code == 200, reply.text
    body: dict[str, Any] = reply.json()
    return body


def team_of(proposal: dict[str, Any]) -> dict[str, str]:
    return {m["id"]: t["id"] for t in proposal["teams"] for m in t["members"]}


async def test_an_organiser_links_proposes_moves_locks_reruns_and_confirms(
    demo: Web, http: httpx.AsyncClient, organiser_headers: dict[str, str], tmp_path: Path
) -> None:
    await define_events(demo.nats_url, formation_event(tmp_path, SLUG))
    client = await connect(demo.nats_url, "formation-test")
    try:
        ids = [await register(client, SLUG, i) for i in range(PEOPLE)]
        names = {i: f"Personne {n}" for n, i in enumerate(ids)}
        # One person founds a team themselves: it is kept as it is, and they are in no proposal.
        founder = ids[0]
        create = CreateTeam(command_id=uuid.uuid4().hex, event=SLUG, team_id="epis", name="Les Épis", founder=founder)
        await call(client, Teams.CREATE, create, TeamList)
        url = f"/api/v1/events/{SLUG}/formation"
        headers = organiser_headers

        empty = await ok(await http.get(url, headers=headers))
        assert (empty["revision"], empty["teams"], empty["missing_inputs"]) == (0, [], [])
        assert [p["name"] for p in empty["unplaced"]] == [names[i] for i in ids[1:]]

        # Links: two together, two apart.
        linked = await ok(
            await http.post(
                f"{url}/links", json={"kind": "together", "first": ids[1], "second": ids[2]}, headers=headers | key()
            )
        )
        await ok(
            await http.post(
                f"{url}/links", json={"kind": "apart", "first": ids[3], "second": ids[4]}, headers=headers | key()
            )
        )
        # A pair is unordered: shown as one link, whichever way it was given.
        [together] = linked["links"]
        assert together["kind"] == "together"
        assert {together["first"]["id"], together["second"]["id"]} == {ids[1], ids[2]}
        assert {together["first"]["name"], together["second"]["name"]} == {names[ids[1]], names[ids[2]]}
        contradicting = await http.post(
            f"{url}/links", json={"kind": "apart", "first": ids[2], "second": ids[1]}, headers=headers | key()
        )
        assert contradicting.status_code == 409 and contradicting.json()["code"] == "conflict"

        # A proposal for the nine without a team, in teams of 3 to 4.
        first = await ok(
            await http.post(f"{url}/proposal", json={"min_size": 3, "max_size": 4}, headers=headers | key())
        )
        assert first["revision"] == 1 and first["unplaced"] == []
        placed = team_of(first)
        assert sorted(placed) == sorted(ids[1:])
        assert placed[ids[1]] == placed[ids[2]] and placed[ids[3]] != placed[ids[4]]
        assert all(3 <= len(t["members"]) <= 4 and 0 <= t["score"] <= 100 for t in first["teams"])
        assert {m["name"] for t in first["teams"] for m in t["members"]} == {names[i] for i in ids[1:]}
        assert all(t["facts"]["coders"] >= 1 for t in first["teams"])

        # Move one person of the first team to the second.
        source, target = first["teams"][0], first["teams"][1]
        mover = next(m["id"] for m in source["members"] if m["id"] not in (ids[1], ids[2]))
        moved = await ok(
            await http.post(
                f"{url}/moves",
                json={"revision": 1, "registration": mover, "to_team": target["id"]},
                headers=headers | key(),
            )
        )
        assert moved["revision"] == 2 and team_of(moved)[mover] == target["id"]
        stale = await http.post(
            f"{url}/moves",
            json={"revision": 1, "registration": mover, "to_team": source["id"]},
            headers=headers | key(),
        )
        assert stale.status_code == 409 and stale.json()["field"] == "revision"
        assert (await ok(await http.get(url, headers=headers)))["revision"] == 2

        # Lock the team that received them, and propose again: it is kept exactly.
        locked = await ok(
            await http.post(f"{url}/locks", json={"revision": 2, "team": target["id"]}, headers=headers | key())
        )
        kept = next(t for t in locked["teams"] if t["id"] == target["id"])
        assert kept["locked"] is True
        rerun = await ok(
            await http.post(f"{url}/proposal", json={"min_size": 3, "max_size": 4}, headers=headers | key())
        )
        assert rerun["revision"] == 4
        again = next(t for t in rerun["teams"] if t["id"] == target["id"])
        assert (again["members"], again["locked"]) == (kept["members"], True)
        assert sorted(team_of(rerun)) == sorted(ids[1:])

        # Meanwhile someone of the proposal joins Les Épis themselves: they stay there, and are left out.
        joiner = next(m["id"] for t in rerun["teams"] if not t["locked"] for m in t["members"])
        join = JoinTeam(command_id=uuid.uuid4().hex, event=SLUG, team_id="epis", registration=joiner)
        await call(client, Teams.JOIN, join, Membership)
        confirm_key = key()
        confirmed = await ok(
            await http.post(f"{url}/confirmation", json={"revision": 4}, headers=headers | confirm_key)
        )
        assert confirmed["left_out"] == [{"person": {"id": joiner, "name": names[joiner]}, "reason": "joined_a_team"}]
        assert [t["name"] for t in confirmed["teams"]] == [f"Équipe {n}" for n in range(1, len(rerun["teams"]) + 1)]
        made = {m["id"] for t in confirmed["teams"] for m in t["members"]}
        assert made == set(ids[1:]) - {joiner}
        # A repeat (the same Idempotency-Key) answers the same, and makes nothing more.
        repeat = await ok(await http.post(f"{url}/confirmation", json={"revision": 4}, headers=headers | confirm_key))
        assert repeat == confirmed

        teams = await ok(await http.get(f"/api/v1/events/{SLUG}/teams", headers=headers))
        assert {t["name"]: sorted(m["id"] for m in t["members"]) for t in teams["teams"]} == {
            "Les Épis": sorted([founder, joiner]),
            **{t["name"]: sorted(m["id"] for m in t["members"]) for t in confirmed["teams"]},
        }
        assert teams["unplaced"] == []
        after = await ok(await http.get(url, headers=headers))
        assert (after["revision"], after["teams"], after["unplaced"]) == (0, [], [])
        nobody = await http.post(f"{url}/proposal", json={"min_size": 3, "max_size": 4}, headers=headers | key())
        assert nobody.status_code == 409 and nobody.json()["code"] == "conflict"
    finally:
        await client.drain()


async def test_bad_requests_get_a_clear_error_and_change_nothing(
    demo: Web, http: httpx.AsyncClient, organiser_headers: dict[str, str], tmp_path: Path
) -> None:
    await define_events(demo.nats_url, formation_event(tmp_path, SLUG))
    client = await connect(demo.nats_url, "formation-test")
    try:
        ids = [await register(client, SLUG, i) for i in range(4)]
    finally:
        await client.drain()
    url = f"/api/v1/events/{SLUG}/formation"
    headers = organiser_headers

    async def refused(reply: httpx.Response, status: int, field: str | None) -> None:
        assert reply.status_code == status, reply.text
        assert reply.json()["field"] == field and reply.json()["message"]

    await refused(
        await http.post(f"{url}/proposal", json={"min_size": 4, "max_size": 3}, headers=headers), 422, "min_size"
    )
    await refused(
        await http.post(f"{url}/proposal", json={"min_size": 3, "max_size": 9}, headers=headers), 422, "max_size"
    )
    await refused(
        await http.post(f"{url}/proposal", json={"min_size": "3", "max_size": 4}, headers=headers), 400, "min_size"
    )
    await refused(
        await http.post(f"{url}/proposal", json={"min_size": 3, "max_size": 4, "extra": 1}, headers=headers),
        400,
        "data",
    )
    await refused(
        await http.post(f"{url}/links", json={"kind": "together", "first": ids[0], "second": ids[0]}, headers=headers),
        422,
        "second",
    )
    await refused(
        await http.post(f"{url}/links", json={"kind": "maybe", "first": ids[0], "second": ids[1]}, headers=headers),
        400,
        "kind",
    )
    await refused(
        await http.delete(f"{url}/links", params={"kind": "apart", "first": ids[0], "second": ids[1]}, headers=headers),
        404,
        "second",
    )
    await refused(await http.post(f"{url}/locks", json={"revision": 0, "team": "p1"}, headers=headers), 404, None)
    await refused(await http.post(f"{url}/confirmation", json={"revision": 0}, headers=headers), 404, None)
    await refused(await http.delete(url, params={"revision": 0}, headers=headers), 404, None)
    await refused(
        await http.post(
            f"{url}/moves", json={"revision": 0, "registration": ids[0], "to_team": "équipe"}, headers=headers
        ),
        400,
        "to_team",
    )
    assert (await http.get(url)).status_code == 401
    view = await ok(await http.get(url, headers=headers))
    assert (view["revision"], view["links"], len(view["unplaced"])) == (0, [], 4)

    # A proposal, then discarded with the revision it has.
    proposal = await ok(await http.post(f"{url}/proposal", json={"min_size": 2, "max_size": 2}, headers=headers))
    await refused(await http.delete(url, params={"revision": 7}, headers=headers), 409, "revision")
    discarded = await ok(await http.delete(url, params={"revision": proposal["revision"]}, headers=headers))
    assert (discarded["revision"], discarded["teams"], len(discarded["unplaced"])) == (0, [], 4)
