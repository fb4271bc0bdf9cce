"""Projects over real HTTP, NATS and JetStream (issue 14): a team's members describe it from their
team page (texts, links, an optional photo kept in the teams service's object store), until the
deadline the organiser sets; jurors read it before scoring, organisers see who has none."""

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import msgspec
from nats.aio.client import Client

from schemas.catalog import DefineEvent, EventDefinedReply
from schemas.errors import ErrorReply
from schemas.subjects import Catalog, Teams
from schemas.teams import DescribeProject, GetProjects, ProjectList
from services.kit.client import ServiceError, call
from services.kit.connection import connect
from services.kit.lifecycle import Running
from services.teams.projects import decide_describe, project_list
from services.teams.service import TeamsService
from tests.conftest import HACKATHON, Web
from tests.demo_events import demo_spec
from tests.integration.login_support import logged_in
from tests.integration.test_judging import CRITERIA, JURY, Jury, jury, post_form, score
from tests.integration.test_pages import Page
from tests.integration.test_security_headers import juror_link
from tests.integration.test_teams import create, form_fields, register, send, teams_json

__all__ = ["jury"]  # the fixture, shared with the judging tests

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
NO_FILE = ("", b"", "application/octet-stream")
SCRIPT = "<script>alert('pwn')</script>"


async def describe(
    http: httpx.AsyncClient,
    person: dict[str, Any],
    params: str = "",
    photo: tuple[str, bytes, str] = NO_FILE,
    **fields: str,
) -> httpx.Response:
    """Post the project form of the person's team page the way a browser does (multipart, a file input)."""
    page = await http.get(person["team_url"] + params)
    assert page.status_code == 200, page.text
    action = f"/r/{person['id']}/team/project"
    hidden = form_fields(page.text, action)
    texts = {"title": "Trace ta traite", "summary_fr": "Un carnet de traite.", "links": "", **fields}
    query = f"?{params.lstrip('&')}" if params else ""
    return await http.post(action + query, data={**hidden, **texts}, files={"photo": photo})


async def projects(nats_url: str) -> ProjectList:
    client = await connect(nats_url, "test-projects")
    try:
        return await call(client, Teams.PROJECTS, GetProjects(event=HACKATHON), ProjectList)
    finally:
        await client.drain()


async def set_deadline(nats_url: str, deadline: datetime) -> None:
    """The organiser's project deadline, local to the event like every time of its file."""
    spec = msgspec.structs.replace(demo_spec(HACKATHON), project_deadline=deadline)
    client = await connect(nats_url, "test-deadline")
    try:
        await call(client, Catalog.DEFINE_EVENT, DefineEvent(command_id=uuid.uuid4().hex, spec=spec), EventDefinedReply)
    finally:
        await client.drain()


async def founded(http: httpx.AsyncClient, name: str, team: str) -> dict[str, Any]:
    person = await register(http, name)
    await create(http, person, name=team)
    return person


async def test_a_member_describes_the_project_and_a_teammate_reads_and_replaces_it(
    demo: Web, http: httpx.AsyncClient, organiser_headers: dict[str, str]
) -> None:
    alice = await founded(http, "Alice Martin", "Les Épis")
    bruno = await register(http, "Bruno Petit")
    team_id = (await teams_json(http, organiser_headers))["teams"][0]["id"]
    assert (await send(http, bruno, "join", team_id=team_id)).status_code == 303

    empty = Page((await http.get(alice["team_url"])).text)
    assert empty.text_of("project-missing").startswith("Votre équipe n'a pas encore décrit son projet.")
    saved = await describe(
        http,
        alice,
        summary_fr=f"Un carnet de traite {SCRIPT}\nHors ligne d'abord.",
        summary_en="A milking log.",
        links="https://example.org/traite\n\nhttps://demo.example.org",
    )
    assert saved.status_code == 303, saved.text
    assert saved.headers["location"] == f"{alice['team_url']}&done=project#project"

    theirs = await http.get(bruno["team_url"])
    assert "Le projet est enregistré" not in theirs.text
    page = Page(theirs.text)
    assert page.text_of("project-view-" + team_id).startswith("Trace ta traite")
    # The script is text, never markup.
    assert SCRIPT not in theirs.text
    assert "&lt;script&gt;alert(&#39;pwn&#39;)&lt;/script&gt;" in theirs.text
    assert '<a href="https://example.org/traite" rel="noopener nofollow ugc" target="_blank">' in theirs.text
    assert page.by_id["f-links"] is not None and "https://demo.example.org" in theirs.text
    # In English, the English summary.
    english = await http.get(bruno["team_url"] + "&lang=en")
    shown = Page(english.text).text_of("project-view-" + team_id)
    assert "A milking log." in shown and "Hors ligne" not in shown
    assert "Our project" in english.text

    replaced = await describe(http, bruno, title="Traite sans papier", summary_fr="Autre texte.")
    assert replaced.status_code == 303, replaced.text
    listed = await projects(demo.nats_url)
    assert listed.projects[team_id].title == "Traite sans papier"
    assert listed.projects[team_id].by_registration == bruno["id"]
    assert listed.projects[team_id].links == []


async def test_bad_input_is_refused_in_the_page_language_and_changes_nothing(
    demo: Web, http: httpx.AsyncClient, organiser_headers: dict[str, str]
) -> None:
    alice = await founded(http, "Alice Martin", "Les Épis")
    team_id = (await teams_json(http, organiser_headers))["teams"][0]["id"]
    assert (await describe(http, alice)).status_code == 303

    huge = await describe(http, alice, summary_fr="x" * 1_000_000)
    assert huge.status_code == 422
    assert Page(huge.text).text_of("err-summary_fr") == "Ce résumé est trop long : 2 000 caractères au plus."
    assert "Rien n'a été changé" in Page(huge.text).text_of("errors")
    bad_link = await describe(http, alice, params="&lang=en", links="javascript:alert(1)")
    assert bad_link.status_code == 422
    message = "Each link must be a web address starting with http:// or https://."
    assert Page(bad_link.text).text_of("err-links") == message
    assert Page(bad_link.text).text_of("f-links") == "javascript:alert(1)"  # what was typed stays
    untitled = await describe(http, alice, params="&lang=fr", title="  ")
    assert Page(untitled.text).text_of("err-title") == "Donnez un titre au projet."
    not_image = await describe(http, alice, photo=("photo.png", b"<svg><script>alert(1)</script></svg>", "image/png"))
    assert not_image.status_code == 422
    assert Page(not_image.text).text_of("err-photo") == "La photo doit être une image JPEG, PNG ou WebP."

    listed = await projects(demo.nats_url)
    assert listed.projects[team_id].summary_fr == "Un carnet de traite."
    assert listed.projects[team_id].photo is None


async def test_a_member_of_another_team_is_refused(
    demo: Web, http: httpx.AsyncClient, organiser_headers: dict[str, str]
) -> None:
    alice = await founded(http, "Alice Martin", "Les Épis")
    chloe = await founded(http, "Chloé Durand", "Les Sillons")
    teams = {t["name"]: t["id"] for t in (await teams_json(http, organiser_headers))["teams"]}
    # Chloé's own page, with the other team's id in the form.
    page = await http.get(chloe["team_url"])
    hidden = form_fields(page.text, f"/r/{chloe['id']}/team/project")
    data = {**hidden, "team_id": teams["Les Épis"], "title": "Volé", "summary_fr": "Pas le nôtre."}
    refused = await http.post(f"/r/{chloe['id']}/team/project", data=data, files={"photo": NO_FILE})
    assert refused.status_code == 409
    assert "Seuls les membres de l'équipe peuvent décrire son projet." in Page(refused.text).text_of("errors")
    # Alice's link with a wrong token opens nothing.
    forged = await http.post(
        f"/r/{alice['id']}/team/project", data={**hidden, "token": "not-the-token", "team_id": teams["Les Épis"]}
    )
    assert forged.status_code in (403, 404)
    assert (await projects(demo.nats_url)).projects == {}


async def test_after_the_deadline_the_project_is_read_only_and_changes_are_refused(
    demo: Web, http: httpx.AsyncClient, organiser_headers: dict[str, str]
) -> None:
    alice = await founded(http, "Alice Martin", "Les Épis")
    assert (await describe(http, alice)).status_code == 303
    page = await http.get(alice["team_url"])
    hidden = form_fields(page.text, f"/r/{alice['id']}/team/project")

    await set_deadline(demo.nats_url, datetime(2021, 3, 1, 18, 0))
    closed = Page((await http.get(alice["team_url"])).text)
    assert closed.text_of("project-closed") == "La date limite est passée : le projet ne peut plus être modifié."
    assert closed.text_of("project-deadline") == "À décrire avant le lundi 1 mars 2021 à 18 h 00."
    assert "project-form" not in closed.by_id
    # The form as it was shown before the deadline is refused, and nothing changes.
    late = await http.post(
        f"/r/{alice['id']}/team/project", data={**hidden, "title": "Trop tard", "summary_fr": "Après."}
    )
    assert late.status_code == 409
    assert "La date limite pour décrire les projets est passée" in Page(late.text).text_of("errors")
    listed = await projects(demo.nats_url)
    assert [p.title for p in listed.projects.values()] == ["Trace ta traite"]
    assert listed.open is False
    assert listed.deadline is not None and listed.deadline.isoformat() == "2021-03-01T17:00:00+00:00"


async def test_a_photo_is_uploaded_served_with_its_type_and_reachable_only_by_those_who_may(
    demo: Web, http: httpx.AsyncClient, organiser_headers: dict[str, str]
) -> None:
    alice = await founded(http, "Alice Martin", "Les Épis")
    outsider = await founded(http, "Chloé Durand", "Les Sillons")
    team_id = next(t["id"] for t in (await teams_json(http, organiser_headers))["teams"] if t["name"] == "Les Épis")
    saved = await describe(http, alice, photo=("champ.png", PNG, "application/octet-stream"))
    assert saved.status_code == 303, saved.text
    page = Page((await http.get(alice["team_url"])).text)
    image = page.by_id[f"project-photo-{team_id}"]
    assert image["alt"] == "Photo du projet Trace ta traite"

    served = await http.get(image["src"])
    assert served.status_code == 200
    assert served.content == PNG
    assert served.headers["content-type"] == "image/png"
    assert served.headers["x-content-type-options"] == "nosniff"
    # Another team's member sees their own team's (none), never this one.
    assert (await http.get(f"/r/{outsider['id']}/team/photo?token={outsider['token']}")).status_code == 404
    assert (await http.get(f"/r/{alice['id']}/team/photo?token=wrong")).status_code in (403, 404)
    # Without a new photo, the photo stays; the organiser sees it too.
    assert (await describe(http, alice, title="Nouveau titre")).status_code == 303
    await logged_in(http)
    by_organiser = await http.get(f"/organiser/e/{HACKATHON}/teams/{team_id}/photo")
    assert by_organiser.status_code == 200 and by_organiser.content == PNG
    assert (await projects(demo.nats_url)).projects[team_id].photo is not None


async def test_a_photo_over_2_mb_is_refused_and_the_old_one_stays(
    demo: Web, http: httpx.AsyncClient, organiser_headers: dict[str, str]
) -> None:
    alice = await founded(http, "Alice Martin", "Les Épis")
    team_id = (await teams_json(http, organiser_headers))["teams"][0]["id"]
    assert (await describe(http, alice, photo=("a.png", PNG, "image/png"))).status_code == 303
    big = PNG + b"\x00" * (2 * 1024 * 1024)
    refused = await describe(http, alice, photo=("big.png", big, "image/png"))
    assert refused.status_code == 422
    assert Page(refused.text).text_of("err-photo") == "La photo est trop lourde : 2 Mo au plus."
    # Far bigger: refused before it is read, with the page's words.
    huge = await describe(http, alice, photo=("huge.png", PNG + b"\x00" * (3 * 1024 * 1024), "image/png"))
    assert huge.status_code == 413
    assert "La photo est trop lourde : 2 Mo au plus." in huge.text
    photo = (await projects(demo.nats_url)).projects[team_id].photo
    assert photo is not None and photo.size == len(PNG)


async def test_a_repeated_command_changes_nothing_and_its_id_for_another_request_is_refused(
    demo: Web, nc: Client, http: httpx.AsyncClient, organiser_headers: dict[str, str]
) -> None:
    alice = await founded(http, "Alice Martin", "Les Épis")
    team_id = (await teams_json(http, organiser_headers))["teams"][0]["id"]
    command = DescribeProject(
        command_id="project-once-1",
        event=HACKATHON,
        team_id=team_id,
        by_registration=alice["id"],
        title="Une fois",
        summary_fr="Texte.",
    )
    before = (await nc.jetstream().stream_info("PERCHE_TEAMS")).state.messages
    first = await call(nc, Teams.DESCRIBE, command, ProjectList)
    again = await call(nc, Teams.DESCRIBE, command, ProjectList)
    assert first == again
    assert (await nc.jetstream().stream_info("PERCHE_TEAMS")).state.messages == before + 1
    other = msgspec.structs.replace(command, title="Autre")
    try:
        await call(nc, Teams.DESCRIBE, other, ProjectList)
        raise AssertionError("the same id for another request was accepted")
    except ServiceError as error:
        assert isinstance(error.reply, ErrorReply) and error.reply.key == "command_id_reused"
    assert (await projects(demo.nats_url)).projects[team_id].title == "Une fois"

    # Another instance rebuilds the same projects from the stream, and knows the repeat too.
    fresh = TeamsService()
    running = Running([fresh], demo.nats_url)
    await running.start()
    try:
        assert project_list(fresh.state, fresh.catalog.specs[HACKATHON], datetime.now(UTC)).projects == first.projects
        assert decide_describe(fresh.state, fresh.catalog.specs[HACKATHON], command, datetime.now(UTC)) is None
    finally:
        await running.stop()


async def test_a_juror_reads_the_project_before_scoring_and_the_organiser_sees_who_has_none(
    demo: Web, http: httpx.AsyncClient, organiser_headers: dict[str, str]
) -> None:
    alice = await founded(http, "Alice Martin", "Les Épis")
    await founded(http, "Chloé Durand", "Les Sillons")
    teams = {t["name"]: t["id"] for t in (await teams_json(http, organiser_headers))["teams"]}
    saved = await describe(
        http,
        alice,
        summary_fr=f"Résumé {SCRIPT}",
        summary_en="In English.",
        links="https://example.org/code",
        photo=("p.png", PNG, "image/png"),
    )
    assert saved.status_code == 303, saved.text
    await set_deadline(demo.nats_url, datetime(2099, 6, 12, 18, 0))
    await logged_in(http)
    link = await juror_link(http, "Claire Moreau", "claire@example.org")
    path, _, query = link.partition("?")

    sheet = Page((await http.get(link)).text)
    assert "Projet : Trace ta traite" in sheet.text
    team_page = await http.get(f"{path}/{teams['Les Épis']}?{query}")
    assert team_page.status_code == 200
    text = team_page.text
    assert text.index('id="project"') < text.index('id="score-form"')  # read before the score form
    assert "Résumé &lt;script&gt;" in text and SCRIPT not in text
    assert '<a href="https://example.org/code" rel="noopener nofollow ugc" target="_blank">' in text
    image = Page(text).by_id[f"project-photo-{teams['Les Épis']}"]
    photo = await http.get(image["src"])
    assert photo.status_code == 200 and photo.headers["content-type"] == "image/png" and photo.content == PNG
    other = Page((await http.get(f"{path}/{teams['Les Sillons']}?{query}")).text)
    assert other.text_of("project-missing") == "L'équipe n'a pas décrit son projet."
    # A wrong key reaches no photo.
    assert (await http.get(f"{path}/{teams['Les Épis']}/photo?key=wrong")).status_code == 403

    board = Page((await http.get(f"/organiser/e/{HACKATHON}/teams")).text)
    assert board.text_of("count-projects") == "1"
    assert board.text_of("without-project") == "Les Sillons"
    assert "Date limite : vendredi 12 juin 2099 à 18 h 00." in board.text_of("projects")
    assert board.text_of(f"project-status-{teams['Les Épis']}") == "projet décrit"
    assert board.text_of(f"project-status-{teams['Les Sillons']}") == "pas encore de projet"
    shown = board.by_id[f"project-photo-{teams['Les Épis']}"]["src"]
    assert shown == f"/organiser/e/{HACKATHON}/teams/{teams['Les Épis']}/photo"
    assert (await http.get(shown)).content == PNG
    assert "Résumé &lt;script&gt;" in board.source and SCRIPT not in board.source

    # In English, the English summary (the page's language sticks: checked last).
    english = await http.get(f"{path}/{teams['Les Épis']}?{query}&lang=en")
    assert "In English." in Page(english.text).text_of("project") and "Résumé" not in Page(english.text).text_of(
        "project"
    )


async def test_once_judging_is_closed_the_project_is_frozen_with_its_team(
    jury: Jury, demo: Web, http: httpx.AsyncClient
) -> None:
    team_id = jury.teams[0]
    alice = await register(http, "Alice Martin")
    assert (await send(http, alice, "join", team_id=team_id)).status_code == 303
    assert (await describe(http, alice)).status_code == 303
    stale = form_fields((await http.get(alice["team_url"])).text, f"/r/{alice['id']}/team/project")
    link = jury.link("Claire Moreau")
    for criterion in CRITERIA:
        assert (await score(http, link, team_id, criterion, "4")).status_code == 303
    assert (await post_form(http, JURY + "/", JURY + "/close")).status_code == 303

    page = Page((await http.get(alice["team_url"])).text)
    assert page.text_of("project-closed") == "Le jury est clos : le projet ne peut plus être modifié."
    assert "project-form" not in page.by_id
    refused = await http.post(f"/r/{alice['id']}/team/project", data={**stale, "title": "Après", "summary_fr": "Non."})
    assert refused.status_code == 409
    assert "les équipes sont figées" in Page(refused.text).text_of("errors")
    assert (await projects(demo.nats_url)).projects[team_id].title == "Trace ta traite"
