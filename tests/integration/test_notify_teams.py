"""Teams an organiser confirmed, by mail, over real NATS, JetStream, SMTP (aiosmtpd) and HTTP: each member
hears once, in their language, of their team, their teammates' first names, the challenge, the join code
and a link that opens the team page; a member of a topped-up team hears who joined; nobody erased is
written to or named; two notify instances, or one started again from the start of the stream, send
nothing twice."""

import html
import uuid
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from nats.aio.client import Client

from schemas.catalog import EventReply, EventSpec, GetEvent
from schemas.registration import Erase, Register, RegistrationView
from schemas.subjects import Catalog, Registration, Teams, stream_name
from schemas.teams import (
    ConfirmProposal,
    CreateTeam,
    GetProposal,
    ProposalConfirmedReply,
    ProposalView,
    ProposeTeams,
    TeamList,
)
from services.catalog.service import CatalogService
from services.judging.service import JudgingService
from services.kit.client import call
from services.kit.i18n import translations
from services.kit.lifecycle import Service
from services.publishing.service import PublishingService
from services.registration.service import RegistrationService
from services.teams.service import TeamsService
from tests.conftest import ORGANISER_EMAIL, ORGANISER_PASSWORD, create_organiser, define_events, running_web
from tests.integration.formation_support import answers, formation_event
from tests.integration.notify_support import BASE_URL, Inbox, Stack, drained, text_of, wait_until

SLUG = "hack-equipes"
ORGANISER = "org-equipes"
# The founder of a team of one (topped up by the proposal), then people who come alone.
PEOPLE = [
    ("Noé Bernard", "fr"),
    ("Léa Martin", "fr"),
    ("Sam Taylor", "en"),
    ("Inès Roux", "fr"),
    ("Tom Petit", "fr"),
    ("Jo Smith", "en"),
    ("Zoé Lambert", "fr"),
]
TEAM_KINDS = ("team_formed", "team_topped_up")


@pytest.fixture
def notify_backend() -> list[Service]:
    """Catalog, registration, teams, and judging and publishing for the team page (notify runs apart)."""
    return [CatalogService(), RegistrationService(), TeamsService(), JudgingService(), PublishingService()]


async def people(nc: Client) -> list[RegistrationView]:
    views = []
    for i, (name, language) in enumerate(PEOPLE):
        command = Register(
            command_id=uuid.uuid4().hex,
            event=SLUG,
            name=name,
            email=f"p{i}@example.org",
            consent=True,
            category="participant",
            answers=answers(i),  # type: ignore[arg-type]
            language="en" if language == "en" else "fr",
        )
        views.append(await call(nc, Registration.REGISTER, command, RegistrationView, timeout=30))
    return views


async def prepared(stack: Stack, tmp_path: Path) -> tuple[EventSpec, list[RegistrationView]]:
    """The hackathon, its people, the founder's team « Les Épis » on the milking challenge, and a
    proposal that tops it up and forms teams for the others."""
    await define_events(stack.nats_url, formation_event(tmp_path / "events", SLUG))
    spec = (await call(stack.nc, Catalog.GET_EVENT, GetEvent(slug=SLUG), EventReply)).event
    views = await people(stack.nc)
    create = CreateTeam(
        command_id=uuid.uuid4().hex,
        event=SLUG,
        team_id="epis",
        name="Les Épis",
        challenge="traite",
        founder=views[0].id,
    )
    await call(stack.nc, Teams.CREATE, create, TeamList)
    propose = ProposeTeams(
        command_id=uuid.uuid4().hex, event=SLUG, min_size=3, max_size=4, top_up=True, by_organiser=ORGANISER
    )
    proposal = await call(stack.nc, Teams.PROPOSE, propose, ProposalView, timeout=30)
    assert sorted(m for t in proposal.teams for m in t.members) == sorted(v.id for v in views)
    return spec, views


async def confirm(nc: Client) -> ProposalConfirmedReply:
    """The organiser confirms the draft as it is now."""
    current = await call(nc, Teams.PROPOSAL, GetProposal(event=SLUG), ProposalView)
    command = ConfirmProposal(
        command_id=uuid.uuid4().hex, event=SLUG, revision=current.revision, by_organiser=ORGANISER
    )
    return await call(nc, Teams.CONFIRM, command, ProposalConfirmedReply, timeout=30)


def team_mails(inbox: Inbox, address: str) -> list[EmailMessage]:
    return [m for m in inbox.to(address) if m["X-Perche-Kind"] in TEAM_KINDS]


def all_team_mails(inbox: Inbox) -> list[EmailMessage]:
    return [m for m in inbox.messages if m["X-Perche-Kind"] in TEAM_KINDS]


async def test_each_member_hears_of_their_team_once_in_their_language_and_the_link_opens_the_team_page(
    stack: Stack, inbox: Inbox, tmp_path: Path
) -> None:
    nc = stack.nc
    spec, views = await prepared(stack, tmp_path)
    by_id = {v.id: v for v in views}
    founder = views[0]
    # Notify is away while the organiser confirms, and one placed person is erased meanwhile.
    await stack.stop_notify()
    confirmed = await confirm(nc)
    assert confirmed.left_out == []
    erased = next(m for t in confirmed.teams if t.id != "epis" for m in t.members)
    await call(
        nc,
        Registration.ERASE,
        Erase(command_id=uuid.uuid4().hex, registration_id=erased, by_organiser=ORGANISER),
        RegistrationView,
    )
    await stack.start_notify()
    told = [v for v in views if v.id != erased]
    await wait_until(lambda: len(all_team_mails(inbox)) == len(told))
    await wait_until(lambda: drained(nc, "teams"))
    assert team_mails(inbox, by_id[erased].email) == []

    epis = next(t for t in confirmed.teams if t.id == "epis")
    async with running_web(stack.nats_url, tmp_path / "web") as web, httpx.AsyncClient(base_url=web.url) as http:
        for team in confirmed.teams:
            for member in team.members:
                if member == erased:
                    continue
                view = by_id[member]
                [mail] = team_mails(inbox, view.email)
                text = text_of(mail)
                english = view.language == "en"
                assert mail["Content-Language"] == view.language
                title = spec.title_en if english else spec.title
                assert "@" not in text.replace(str(mail["To"]), "")  # nobody's address, not even a teammate's
                assert team.name in text
                if member == founder.id:
                    # Already in the team: a short mail naming the newcomers, first names only.
                    assert mail["X-Perche-Kind"] == "team_topped_up"
                    assert mail["Subject"] == (
                        f"New teammates in your team: {title}" if english else f"Du renfort dans votre équipe : {title}"
                    )
                    newcomers = [by_id[m].name.split()[0] for m in team.members if m not in (member, erased)]
                    assert f"Vos nouveaux coéquipiers : {', '.join(newcomers)}" in text
                else:
                    assert mail["X-Perche-Kind"] == "team_formed"
                    assert mail["Subject"] == (f"Your team for {title}" if english else f"Votre équipe pour {title}")
                    mates = [by_id[m].name.split()[0] for m in team.members if m not in (member, erased)]
                    if mates:
                        label = "Your teammates: " if english else "Vos coéquipiers : "
                        assert f"{label}{', '.join(mates)}" in text
                    for other in team.members:
                        if other != member:
                            assert by_id[other].name not in text  # a first name, never the whole name
                    assert team.code in text
                    challenge = next((c for c in spec.challenges if c.id == team.challenge), None)
                    if challenge is None:
                        expected = (
                            "Your challenge: to be chosen together" if english else "Votre défi : à choisir ensemble"
                        )
                    elif english:
                        expected = f"Your challenge: {challenge.title_en}, brought by {challenge.partner}"
                    else:
                        expected = f"Votre défi : {challenge.title}, proposé par {challenge.partner}"
                    assert expected in text
                if erased in team.members:
                    assert by_id[erased].name.split()[0] not in text
                link = f"{BASE_URL}/r/{view.id}/team?token={view.manage_token}" + ("&lang=en" if english else "")
                assert link in text
                page = await http.get(urlsplit(link).path + "?" + urlsplit(link).query)
                assert page.status_code == 200
                assert team.name.replace("'", "&#39;") in page.text
        # The organisers' log of mails names both kinds, in French and in English.
        await create_organiser(stack.nats_url)
        login = {"email": ORGANISER_EMAIL, "password": ORGANISER_PASSWORD}
        token = (await http.post("/api/v1/auth/token", json=login)).json()["token"]
        for language in ("fr", "en"):
            log = await http.get(
                "/organiser/mails/",
                params={"event": SLUG, "lang": language},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert log.status_code == 200
            gettext = translations(language).gettext
            assert gettext("Équipe formée") in html.unescape(log.text)
            assert gettext("Nouveaux coéquipiers") in html.unescape(log.text)
    assert len(epis.members) >= 3 and epis.challenge == "traite"


async def test_two_instances_and_a_notify_started_again_from_the_start_send_each_team_mail_once(
    stack: Stack, inbox: Inbox, tmp_path: Path
) -> None:
    nc = stack.nc
    _, views = await prepared(stack, tmp_path)
    await stack.start_notify()
    confirmed = await confirm(nc)
    members = [m for t in confirmed.teams for m in t.members]
    assert sorted(members) == sorted(v.id for v in views)
    await wait_until(lambda: len(all_team_mails(inbox)) == len(views))
    await wait_until(lambda: drained(nc, "teams"))
    assert all(len(team_mails(inbox, v.email)) == 1 for v in views)

    # Both instances go; the shared consumer is gone too, so a new instance reads the teams
    # stream from its start: the mails it finds recorded as sent are not sent again.
    while stack.notify:
        await stack.stop_notify()
    await nc.jetstream().delete_consumer(stream_name("teams"), "perche-notify-teams")
    await stack.start_notify()
    await wait_until(lambda: drained(nc, "teams"))
    assert len(all_team_mails(inbox)) == len(views)
    assert all(len(team_mails(inbox, v.email)) == 1 for v in views)
