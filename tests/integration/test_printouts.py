"""The PDFs organisers print for the day, read back with pypdf: badges with each confirmed
person's name, and the jury's paper sheets, one per juror, in that juror's language."""

import io

import httpx
from pypdf import PdfReader

from tests.conftest import HACKATHON, Web
from tests.integration.login_support import logged_in
from tests.integration.test_judging import JURY, Jury, create_teams, jury, post_form  # noqa: F401


def pages_of(reply: httpx.Response) -> list[str]:
    assert reply.status_code == 200, reply.text
    assert reply.headers["content-type"] == "application/pdf"
    # Words only: extraction breaks lines where wrapped headers do.
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(reply.content)).pages]


async def test_badges_carry_every_confirmed_persons_name_eight_to_a_page(demo: Web, http: httpx.AsyncClient) -> None:
    await logged_in(http)
    names = [f"Personne {i:02d}" for i in range(9)] + ["Zoé Lefèvre-Nguyễn"]
    for i, name in enumerate(names):
        body = {"name": name, "email": f"p{i}@example.org", "consent": True, "category": "mentor" if i else "public"}
        assert (await http.post(f"/api/v1/events/{HACKATHON}/registrations", json=body)).status_code == 201
    pages = pages_of(await http.get(f"/organiser/e/{HACKATHON}/badges.pdf"))
    assert len(pages) == 2
    text = "\n".join(pages)
    assert all(name in text for name in names[:9])
    assert "Zoé Lefèvre-Nguy" in text  # accents print as written
    assert "Mentor" in text and "Visiteur" in text and "Hackathon agricole" in text
    only_mentors = pages_of(await http.get(f"/organiser/e/{HACKATHON}/badges.pdf?category=mentor&lang=en"))
    assert len(only_mentors) == 2 and "Personne 00" not in "\n".join(only_mentors)
    assert "Agriculture hackathon" in only_mentors[0]


async def test_paper_scoring_sheets_list_each_jurors_teams_in_their_language(
    jury: Jury,  # noqa: F811
    demo: Web,
    http: httpx.AsyncClient,
) -> None:
    added = await post_form(
        http, JURY + "/", JURY + "/jurors", name="Ann Smith", email="ann@example.org", language="en"
    )
    assert added.status_code == 303
    await post_form(http, JURY + "/", f"{JURY}/assign/{jury.juror_id('Marc Dubois')}", team=jury.teams[1])
    pages = pages_of(await http.get(f"{JURY}/sheets.pdf"))
    assert len(pages) == 3  # one per juror, by name
    ann, claire, marc = pages
    assert "Scoring sheet" in ann and "Juror: Ann Smith" in ann and "Usefulness for farmers" in ann
    assert "Fiche de notation" in claire and "Membre du jury : Claire Moreau" in claire
    assert all(team in claire for team in ("Les Trayeurs", "Circuit Malin", "Météo Locale"))
    assert "Circuit Malin" in marc and "Les Trayeurs" not in marc
    assert "(/10)" in claire and "(/5)" in claire
