"""/healthz tells the truth: a service that cannot write is reported, with what is wrong."""

import httpx
from nats.aio.client import Client

from services.kit.kv import bucket
from services.registration.service import PEOPLE_BUCKET
from tests.conftest import Web


async def test_healthz_says_ok_when_every_service_can_write(demo: Web, http: httpx.AsyncClient) -> None:
    reply = await http.get("/healthz")
    assert reply.status_code == 200, reply.text
    assert reply.json()["status"] == "ok"
    assert reply.json()["problems"] == {}
    assert all(reply.json()["services"].values())


async def test_healthz_is_degraded_and_names_the_part_while_a_service_cannot_write(
    demo: Web, http: httpx.AsyncClient, nc: Client
) -> None:
    js = nc.jetstream()
    await js.delete_stream(f"KV_{PEOPLE_BUCKET}")
    reply = await http.get("/healthz")
    assert reply.status_code == 503, reply.text
    body = reply.json()
    assert body["status"] == "degraded"
    assert body["services"]["registration"] is False
    assert body["services"]["catalog"] is True
    assert list(body["problems"]) == ["registration"]
    assert body["problems"]["registration"] == [f"stream KV_{PEOPLE_BUCKET} does not exist"]

    await bucket(js, PEOPLE_BUCKET)
    assert (await http.get("/healthz")).status_code == 200
