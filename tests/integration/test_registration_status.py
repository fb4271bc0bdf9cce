"""The registration service says with its counts what each public form offers now, each
category's own window honoured, and refuses exactly what it says is closed (over real NATS)."""

import re
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import msgspec
import pytest
from nats.aio.client import Client

from schemas.catalog import DefineEvent, EventDefinedReply, EventSpec
from schemas.registration import Counts, GetCounts, Register, RegistrationView
from schemas.subjects import Catalog, Registration
from services.kit.client import ServiceError, call
from services.kit.lifecycle import Running
from tests.conftest import ROUND_TABLE
from tests.demo_events import demo_event


async def defined(nc: Client, slug: str, closed: set[str]) -> EventSpec:
    """The round table as `slug`, the categories in `closed` closed an hour ago by their own window."""
    spec = demo_event(ROUND_TABLE)
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    categories = [msgspec.structs.replace(c, closes_at=an_hour_ago) if c.id in closed else c for c in spec.categories]
    spec = msgspec.structs.replace(spec, slug=slug, categories=categories)
    await call(nc, Catalog.DEFINE_EVENT, DefineEvent(command_id=uuid.uuid4().hex, spec=spec), EventDefinedReply)
    return spec


async def counts(nc: Client, slug: str) -> Counts:
    return await call(nc, Registration.COUNTS, GetCounts(event=slug), Counts)


async def register(nc: Client, slug: str, category: str) -> RegistrationView:
    command = Register(
        command_id=uuid.uuid4().hex, event=slug, name="Léa Martin", email="lea@example.org", consent=True,
        category=category,
    )  # fmt: skip
    return await call(nc, Registration.REGISTER, command, RegistrationView)


async def test_a_category_closed_by_its_own_window_is_reported_closed_while_the_event_stays_open(
    backend: Running, nc: Client
) -> None:
    await defined(nc, "table-ronde-statut-presse", closed={"press"})
    reply = await counts(nc, "table-ronde-statut-presse")
    by_category = {c.category: c.status for c in reply.categories}
    assert by_category == {"public": "open", "press": "closed", "speaker": "open"}
    assert reply.status == "open"
    # The service refuses exactly what it reports closed, and takes what it reports open.
    with pytest.raises(ServiceError) as refused:
        await register(nc, "table-ronde-statut-presse", "press")
    assert refused.value.reply.key == "closed"
    assert (await register(nc, "table-ronde-statut-presse", "public")).status == "confirmed"


async def test_an_event_whose_public_categories_all_closed_by_their_own_windows_is_reported_closed(
    backend: Running, nc: Client
) -> None:
    await defined(nc, "table-ronde-statut-fermee", closed={"public", "press"})
    reply = await counts(nc, "table-ronde-statut-fermee")
    assert {c.category: c.status for c in reply.categories} == {
        "public": "closed",
        "press": "closed",
        "speaker": "open",
    }
    assert reply.status == "closed"  # the invitation-only speakers' window does not open the public form


async def test_the_page_and_the_api_say_what_the_service_says_of_each_category(
    nc: Client, http: httpx.AsyncClient
) -> None:
    """The web decides nothing: a category closed by its own window is closed on the form and in the
    API, while the event, whose own window is open, still takes registrations."""
    await defined(nc, "table-ronde-statut-web", closed={"press"})
    event = (await http.get("/api/v1/events/table-ronde-statut-web")).json()
    assert event["registration"] == "open"
    assert {c["id"]: c["registration"] for c in event["categories"]} == {"public": "open", "press": "closed"}
    listed = {e["slug"]: e["registration"] for e in (await http.get("/api/v1/events")).json()}
    assert listed["table-ronde-statut-web"] == "open"

    page = await http.get("/e/table-ronde-statut-web")
    assert page.status_code == 200 and "Les inscriptions sont closes." not in page.text
    radio = r'<input type="radio" name="category" value="{}"([^>]*)>[^<]*(?:<span class="hint">\(([^)]*)\))?'
    press = re.search(radio.format("press"), page.text)
    assert press is not None and "disabled" in press.group(1) and press.group(2) == "inscriptions closes"
    public = re.search(radio.format("public"), page.text)
    assert public is not None and "checked" in public.group(1) and "disabled" not in public.group(1)
    english = await http.get("/e/table-ronde-statut-web?lang=en")
    assert "(registration closed)" in english.text
