"""Published results by mail, over a real NATS and a real SMTP server (aiosmtpd): everyone still
registered hears once, in their language, with the top of the ranking; a correction published
again writes to no one twice, and a withdrawal tells nobody."""

import uuid

import msgspec
import pytest

from schemas.catalog import Criterion
from schemas.judging import CloseJudging, GiveScore, Sheet, Standings
from schemas.publishing import PublishResults, Results, WithdrawResults
from schemas.registration import Cancel, RegistrationView
from schemas.subjects import Judging, Publishing, Registration, Teams
from schemas.teams import CreateTeam, TeamList
from services.catalog.service import CatalogService
from services.judging.service import JudgingService
from services.kit.client import call
from services.kit.lifecycle import Service
from services.publishing.service import PublishingService
from services.registration.service import RegistrationService
from services.teams.service import TeamsService
from tests.integration.notify_support import Inbox, Stack, define, drained, register, small_event, text_of, wait_until

SLUG = "mini-hackathon"


@pytest.fixture
def notify_backend() -> list[Service]:
    """Catalog, registration, teams, judging and publishing (the `stack` fixture runs notify apart)."""
    return [CatalogService(), RegistrationService(), TeamsService(), JudgingService(), PublishingService()]


def results_mails(inbox: Inbox) -> list[object]:
    return [m for m in inbox.messages if m["X-Perche-Kind"] == "results_published"]


async def test_everyone_registered_hears_once_that_the_results_are_out(stack: Stack, inbox: Inbox) -> None:
    nc = stack.nc
    spec = msgspec.structs.replace(
        small_event(SLUG), kind="hackathon", criteria=[Criterion(id="idee", name="Idée", max_points=10)]
    )
    await define(nc, spec)
    await register(nc, SLUG, "Camille", "camille@example.org")
    await register(nc, SLUG, "Sam", "sam@example.org", language="en")
    gone = await register(nc, SLUG, "Parti", "parti@example.org")
    await call(
        nc,
        Registration.CANCEL,
        Cancel(command_id=uuid.uuid4().hex, registration_id=gone.id, by_organiser="o"),
        RegistrationView,
    )
    await wait_until(lambda: drained(nc))
    before = len(inbox.messages)

    for team, points in (("Les Trayeurs", 9), ("Circuit Malin", 6)):
        team_id = team.lower().replace(" ", "-")
        create = CreateTeam(command_id=uuid.uuid4().hex, event=SLUG, team_id=team_id, name=team, by_organiser="o")
        await call(nc, Teams.CREATE, create, TeamList)
        score = GiveScore(
            command_id=uuid.uuid4().hex, event=SLUG, juror="j1", team=team_id, criterion="idee", points=points
        )
        await call(nc, Judging.SCORE, score, Sheet)
    await call(nc, Judging.CLOSE, CloseJudging(command_id=uuid.uuid4().hex, event=SLUG, by_organiser="o"), Standings)
    publish = PublishResults(
        command_id=uuid.uuid4().hex, event=SLUG, by_organiser="o", note="Bravo !", note_en="Well done!"
    )
    await call(nc, Publishing.PUBLISH, publish, Results)
    await wait_until(lambda: len(results_mails(inbox)) == 2)
    await wait_until(lambda: drained(nc, "publishing"))

    french, english = inbox.to("camille@example.org")[-1], inbox.to("sam@example.org")[-1]
    assert french["Subject"] == f"Les résultats sont publiés : {spec.title}"
    body = text_of(french)
    assert "1. Les Trayeurs" in body and "2. Circuit Malin" in body and "Le mot du jury : Bravo !" in body
    assert f"/e/{SLUG}/results" in body
    assert english["Subject"].startswith("The results are out:") and "The jury's word: Well done!" in text_of(english)
    assert not [m for m in inbox.to("parti@example.org") if m["X-Perche-Kind"] == "results_published"]

    # A correction published again, then a withdrawal: nobody is written to again.
    again = PublishResults(command_id=uuid.uuid4().hex, event=SLUG, by_organiser="o")
    await call(nc, Publishing.PUBLISH, again, Results)
    await call(
        nc, Publishing.WITHDRAW, WithdrawResults(command_id=uuid.uuid4().hex, event=SLUG, by_organiser="o"), Results
    )
    await wait_until(lambda: drained(nc, "publishing"))
    assert len(results_mails(inbox)) == 2 and len(inbox.messages) == before + 2
