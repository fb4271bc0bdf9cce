"""The public pages and the organiser's login over real HTTP, NATS and JetStream: French first,
English on request, forms that work without JavaScript, once, and only with their CSRF token."""

import html
import re
from html.parser import HTMLParser
from pathlib import Path

import httpx

from services.kit.i18n import Formatter
from tests.conftest import (
    HACKATHON,
    ORGANISER_EMAIL,
    ORGANISER_PASSWORD,
    ROUND_TABLE,
    Web,
    define_events,
)
from tests.demo_events import demo_event, demo_text

EVENT_PAGE = f"/e/{HACKATHON}"


def when(slug: str, language: str = "fr") -> str:
    """When the demo event is, as its pages say it (its dates are moved: tests/demo_events.py)."""
    event = demo_event(slug)
    return Formatter(language).span(event.starts_at, event.ends_at, event.timezone)


class Page(HTMLParser):
    """What a test reads from a page: elements by id with their attributes, text, form fields."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.source = text
        self.by_id: dict[str, dict[str, str]] = {}
        self.fields: dict[str, str] = {}
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if "id" in attributes:
            self.by_id[attributes["id"]] = {"tag": tag, **attributes}
        if tag == "input" and attributes.get("type") == "hidden":
            self.fields[attributes.get("name", "")] = attributes.get("value", "")

    def text_of(self, element_id: str) -> str:
        found = re.search(rf'<(\w+)[^>]*\bid="{re.escape(element_id)}"[^>]*>(.*?)</\1>', self.source, re.S)
        assert found, f"no element #{element_id}"
        return html.unescape(re.sub(r"<[^>]+>", "", found.group(2))).strip()

    @property
    def text(self) -> str:
        return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", self.source)))


async def event_form(http: httpx.AsyncClient, path: str = EVENT_PAGE) -> dict[str, str]:
    """The form's hidden fields (its CSRF token), as a browser would send them back."""
    page = await http.get(path)
    assert page.status_code == 200
    fields = Page(page.text).fields
    assert fields["_csrf_token"]
    return fields


def visitor(hidden: dict[str, str], **changes: str) -> dict[str, str]:
    return {
        **hidden,
        "name": "Jeanne Dupont",
        "email": "jeanne@example.org",
        "category": "public",
        "consent": "yes",
        **changes,
    }


async def registrations(http: httpx.AsyncClient, headers: dict[str, str]) -> list[dict[str, str]]:
    reply = await http.get(f"/api/v1/events/{HACKATHON}/registrations", headers=headers)
    assert reply.status_code == 200
    return list(reply.json())


async def test_the_home_page_lists_the_published_events_soonest_first_in_french(
    demo: Web, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    hidden = tmp_path / "brouillon.toml"
    text = demo_text(ROUND_TABLE)
    hidden.write_text(
        text.replace(f'slug = "{ROUND_TABLE}"', 'slug = "brouillon-2027"').replace(
            "published = true", "published = false"
        )
    )
    await define_events(demo.nats_url, hidden)

    home = await http.get("/")
    assert home.status_code == 200
    page = Page(home.text)
    assert '<html lang="fr">' in home.text
    assert page.text.index("Hackathon agricole du comice de La Loupe") < page.text.index(
        "Table ronde « Numérique et Éducation »"
    )
    assert when(HACKATHON) in page.text  # « du vendredi 11 juin 2027 au dimanche 13 juin 2027 » as written
    assert when(ROUND_TABLE) in page.text  # « jeudi 8 juillet 2027, 18 h 30 – 21 h 00 » as written
    assert page.text.count("Inscriptions ouvertes") == 2
    assert f'href="/e/{HACKATHON}"' in home.text and f'href="/e/{ROUND_TABLE}"' in home.text
    assert "brouillon-2027" not in home.text
    assert (await http.get("/e/brouillon-2027")).status_code == 404


async def test_an_event_page_shows_the_event_in_french_with_a_form_that_needs_no_javascript(
    demo: Web, http: httpx.AsyncClient
) -> None:
    reply = await http.get(EVENT_PAGE)
    assert reply.status_code == 200
    page = Page(reply.text)
    assert page.text_of("form-title") == "S'inscrire"
    assert when(HACKATHON) in page.text
    assert "École du numérique, ancien collège de La Loupe" in page.text
    # A plain HTML form: it posts to the server, and scripts only refine it.
    assert re.search(r'<form method="post" action="/e/hackathon-comice-2027"', reply.text)
    assert page.fields["_csrf_token"] and reply.cookies.get("perche_csrf")
    assert page.by_id["f-email"]["type"] == "email" and page.by_id["f-name"]["autocomplete"] == "name"
    assert 'value="public"' in reply.text
    assert 'value="juror"' not in reply.text  # an invitation-only category is not offered


async def test_submitting_the_form_redirects_to_the_confirmation_page(
    demo: Web, http: httpx.AsyncClient, organiser_headers: dict[str, str]
) -> None:
    sent = await http.post(EVENT_PAGE, data=visitor(await event_form(http)))
    assert sent.status_code == 303
    location = sent.headers["location"]
    assert re.fullmatch(r"/r/[0-9a-f]{20}\?token=[\w-]+&new=1", location), location

    confirmation = await http.get(location)
    assert confirmation.status_code == 200
    page = Page(confirmation.text)
    assert "Merci, votre inscription est confirmée !" in page.text
    assert "Jeanne Dupont" in page.text and "jeanne@example.org" in page.text
    assert "Visiteur (présentations du dimanche)" in page.text
    [registered] = await registrations(http, organiser_headers)
    assert location.startswith(f"/r/{registered['id']}?")
    assert (registered["name"], registered["status"], registered["category"]) == (
        "Jeanne Dupont",
        "confirmed",
        "public",
    )

    # The page is the person's link to cancel, with the same protection as the form.
    cancelled = await http.post(
        f"/r/{registered['id']}/cancel", data={**Page(confirmation.text).fields}, follow_redirects=True
    )
    assert cancelled.status_code == 200 and "annulée" in Page(cancelled.text).text
    assert [r["status"] for r in await registrations(http, organiser_headers)] == ["cancelled"]


async def test_cancelling_asks_first_and_a_cancelled_person_registers_again_with_other_answers(
    demo: Web, http: httpx.AsyncClient, organiser_headers: dict[str, str]
) -> None:
    sent = await http.post(EVENT_PAGE, data=visitor(await event_form(http)))
    private = sent.headers["location"].removesuffix("&new=1")
    registration_id, token = private.split("/r/")[1].split("?token=")
    # The private page's button only asks: a page that says what happens, with the confirm form.
    asked = await http.get(f"/r/{registration_id}/cancel", params={"token": token})
    assert asked.status_code == 200
    question = Page(asked.text)
    assert "Annuler votre inscription ?" in question.text and "Votre place sera libérée" in question.text
    assert question.fields["token"] == token and question.fields["command_id"]
    assert [r["status"] for r in await registrations(http, organiser_headers)] == ["confirmed"]
    # A link that gives no access asks nothing.
    assert (await http.get(f"/r/{registration_id}/cancel", params={"token": "not-the-token"})).status_code == 403
    cancelled = await http.post(f"/r/{registration_id}/cancel", data=question.fields)
    assert (cancelled.status_code, cancelled.headers["location"]) == (303, private)
    # Cancelled: the question is answered, and the private page offers to register again.
    again = await http.get(f"/r/{registration_id}/cancel", params={"token": token})
    assert (again.status_code, again.headers["location"]) == (303, private)
    link = f"/e/{HACKATHON}?again={registration_id}"
    assert f'href="{link}"' in (await http.get(private)).text
    # From that link, the same browser and person with other answers: a new registration.
    anew = await http.post(EVENT_PAGE, data=visitor(await event_form(http, link), q_accessibility="fauteuil"))
    assert anew.status_code == 303 and registration_id not in anew.headers["location"]
    statuses = {r["id"]: r["status"] for r in await registrations(http, organiser_headers)}
    assert len(statuses) == 2 and statuses[registration_id] == "cancelled"
    assert sorted(statuses.values()) == ["cancelled", "confirmed"]


async def test_the_private_page_shows_a_refusal_on_itself_with_its_status_and_a_bad_link_on_the_error_page(
    demo: Web, http: httpx.AsyncClient
) -> None:
    sent = await http.post(EVENT_PAGE, data=visitor(await event_form(http)))
    location = sent.headers["location"]
    registration_id = location.split("/r/")[1].split("?")[0]
    hidden = Page((await http.get(location)).text).fields
    # Cancelling what is cancelled already is done, not refused.
    for attempt in ("first-cancel", "second-cancel"):
        cancelled = await http.post(f"/r/{registration_id}/cancel", data={**hidden, "command_id": attempt})
        assert (cancelled.status_code, cancelled.headers["location"]) == (303, location.removesuffix("&new=1"))
    # A seat claimed once cancelled: a conflict (409), said on the private page, in its language.
    hidden["command_id"] = "claim-after-cancel"
    claimed = await http.post(f"/r/{registration_id}/claim", data=hidden)
    assert claimed.status_code == 409
    assert "Cette inscription est déjà annulée." in Page(claimed.text).text
    assert "Jeanne Dupont" in Page(claimed.text).text  # the private page itself
    # A link that gives no access is not the private page: the error page (403).
    forged = await http.post(f"/r/{registration_id}/claim", data={**hidden, "token": "x" * 20})
    assert forged.status_code == 403
    assert "Ce lien n'est pas valable pour cette inscription." in Page(forged.text).text
    assert "Jeanne Dupont" not in forged.text
    english = await http.post(f"/r/{registration_id}/claim?lang=en", data=hidden)
    assert english.status_code == 409 and "This registration is already cancelled." in Page(english.text).text


async def test_the_same_form_sent_twice_registers_once(
    demo: Web, http: httpx.AsyncClient, organiser_headers: dict[str, str]
) -> None:
    form = visitor(await event_form(http))
    first = await http.post(EVENT_PAGE, data=form)
    second = await http.post(EVENT_PAGE, data=form)  # a double click, or back and send again
    reloaded = await http.post(EVENT_PAGE, data=visitor(await event_form(http)))  # the page shown again
    assert first.status_code == second.status_code == reloaded.status_code == 303
    assert first.headers["location"] == second.headers["location"] == reloaded.headers["location"]
    assert len(await registrations(http, organiser_headers)) == 1

    # Someone else registered from the same phone is another registration.
    another = visitor(await event_form(http), name="Paul Dupont", email="paul@example.org")
    assert (await http.post(EVENT_PAGE, data=another)).status_code == 303
    assert sorted(r["name"] for r in await registrations(http, organiser_headers)) == ["Jeanne Dupont", "Paul Dupont"]


async def test_a_form_with_mistakes_is_answered_with_messages_tied_to_their_fields_and_registers_nobody(
    demo: Web, http: httpx.AsyncClient, organiser_headers: dict[str, str]
) -> None:
    hidden = await event_form(http)
    cases = [
        (
            {"email": "jeanne.example.org"},
            "email",
            "f-email",
            "Cette adresse e-mail ne semble pas valide : vérifiez-la.",
        ),
        ({"name": "  "}, "name", "f-name", "Indiquez votre nom."),
        ({"consent": "no"}, "consent", None, "Cochez la case pour accepter l'utilisation de vos données."),
        ({"category": "participant"}, "q_level", "f-q_level", "Cette réponse est obligatoire."),
        ({"category": "juror"}, "category", None, "Choisissez une catégorie proposée."),
    ]
    for changes, field, element, message in cases:
        reply = await http.post(EVENT_PAGE, data=visitor(hidden, **changes))
        assert reply.status_code == 422, (field, reply.status_code)
        page = Page(reply.text)
        assert page.text_of(f"err-{field}") == message
        assert "L'inscription n'a pas été enregistrée :" in page.text_of("errors")
        if element:
            assert page.by_id[element]["aria-describedby"] == f"err-{field}"
        # What the person typed is still there.
        if field != "email":
            assert page.by_id["f-email"]["value"] == "jeanne@example.org"
    assert await registrations(http, organiser_headers) == []

    fixed = await http.post(EVENT_PAGE, data=visitor(hidden))
    assert fixed.status_code == 303  # the same form, corrected, goes through


async def test_a_form_with_three_mistakes_is_answered_with_all_three_at_once_keeping_what_was_typed(
    demo: Web, http: httpx.AsyncClient, organiser_headers: dict[str, str]
) -> None:
    form = visitor(
        await event_form(http),
        name=" ",
        email="jeanne.example.org",
        consent="no",
        q_accessibility="Une rampe d'accès",
    )
    reply = await http.post(EVENT_PAGE, data=form)
    assert reply.status_code == 422
    page = Page(reply.text)
    assert page.text_of("err-name") == "Indiquez votre nom."
    assert page.text_of("err-email") == "Cette adresse e-mail ne semble pas valide : vérifiez-la."
    assert page.text_of("err-consent") == "Cochez la case pour accepter l'utilisation de vos données."
    # The summary says there is a problem, lists the three in the form's order, each a link to its field.
    summary = page.text_of("errors")
    assert summary.startswith("Il y a un problème") and "L'inscription n'a pas été enregistrée :" in summary
    links = re.findall(r'<a href="(#f-[^"]+)">', reply.text.split('id="errors"', 1)[1].split("</div>", 1)[0])
    assert links == ["#f-name", "#f-email", "#f-consent"]
    assert page.by_id["errors"]["role"] == "alert" and page.by_id["errors"]["tabindex"] == "-1"
    for field in ("name", "email", "consent"):
        assert page.by_id[f"f-{field}"]["aria-describedby"] == f"err-{field}"
    # The answer lands on the summary without JavaScript: the browser focuses it, and scrolls to it.
    assert "autofocus" in page.by_id["errors"]
    # What was typed is kept.
    assert page.by_id["f-email"]["value"] == "jeanne.example.org"
    assert page.text_of("f-q_accessibility") == "Une rampe d'accès"
    assert await registrations(http, organiser_headers) == []

    english = await http.post(f"{EVENT_PAGE}?lang=en", data=visitor(await event_form(http), name="", email="x"))
    assert Page(english.text).text_of("errors").startswith("There is a problem")


async def test_errors_are_in_english_on_an_english_page(demo: Web, http: httpx.AsyncClient) -> None:
    hidden = await event_form(http, f"{EVENT_PAGE}?lang=en")
    reply = await http.post(f"{EVENT_PAGE}?lang=en", data=visitor(hidden, email="nope"))
    assert reply.status_code == 422
    page = Page(reply.text)
    assert page.text_of("err-email") == "This email address does not look valid: please check it."
    assert page.by_id["f-email"]["aria-invalid"] == "true"


async def test_a_form_without_its_csrf_token_is_refused_and_registers_nobody(
    demo: Web, http: httpx.AsyncClient, organiser_headers: dict[str, str]
) -> None:
    hidden = await event_form(http)
    without = {k: v for k, v in visitor(hidden).items() if k != "_csrf_token"}
    refused = await http.post(EVENT_PAGE, data=without)
    assert refused.status_code == 403
    assert "Le formulaire a expiré : rechargez la page et recommencez." in Page(refused.text).text

    forged = await http.post(EVENT_PAGE, data=visitor(hidden, _csrf_token="0" * 64))
    assert forged.status_code == 403
    # A form posted from another site: the token is there but not the cookie that goes with it.
    async with httpx.AsyncClient(base_url=demo.url) as elsewhere:
        assert (await elsewhere.post(EVENT_PAGE, data=visitor(hidden))).status_code == 403
    assert await registrations(http, organiser_headers) == []


async def test_english_is_chosen_by_query_remembered_by_cookie_or_taken_from_the_browser(
    demo: Web, http: httpx.AsyncClient
) -> None:
    english = await http.get(f"{EVENT_PAGE}?lang=en")
    page = Page(english.text)
    assert '<html lang="en">' in english.text
    assert "Agriculture hackathon at the La Loupe county fair" in page.text
    assert when(HACKATHON, "en") in page.text  # "from Friday, June 11, 2027 to Sunday, June 13, 2027" as written
    assert page.text_of("form-title") == "Register"

    remembered = await http.get("/")
    assert '<html lang="en">' in remembered.text  # the choice is kept in a cookie
    assert "Agriculture hackathon at the La Loupe county fair" in remembered.text
    back = await http.get("/?lang=fr")
    assert '<html lang="fr">' in back.text

    async with httpx.AsyncClient(base_url=demo.url, headers={"Accept-Language": "en-GB,en;q=0.9"}) as browser:
        assert "Round table: digital technology and education" in (await browser.get(f"/e/{ROUND_TABLE}")).text


async def test_an_unknown_event_is_a_french_not_found_page(demo: Web, http: httpx.AsyncClient) -> None:
    reply = await http.get("/e/pas-un-evenement")
    assert reply.status_code == 404
    assert "Cet événement n'existe pas ou n'est pas publié." in Page(reply.text).text


async def test_organiser_pages_ask_for_a_login_first(demo: Web, http: httpx.AsyncClient) -> None:
    dashboard = await http.get("/organiser/")
    assert dashboard.status_code == 303 and dashboard.headers["location"].startswith("/organiser/login?next=/organiser")
    event = await http.get(f"/organiser/e/{HACKATHON}")
    assert event.headers["location"] == f"/organiser/login?next=/organiser/e/{HACKATHON}"
    login = await http.get("/organiser/login")
    page = Page(login.text)
    assert login.status_code == 200 and page.fields["_csrf_token"]
    assert page.by_id["f-password"]["type"] == "password"
    assert page.fields["next"] == "/organiser/"
    # Only paths of this site are accepted as where to go next.
    assert Page((await http.get("/organiser/login?next=//evil.example/")).text).fields["next"] == "/organiser/"


async def test_the_login_keeps_the_page_asked_for_with_its_query_encoded_and_only_on_this_site(
    demo: Web, http: httpx.AsyncClient
) -> None:
    # A badge scanned before logging in: its `code` survives the login.
    checkin = f"/organiser/e/{HACKATHON}/checkin"
    asked = await http.get(f"{checkin}?code=abc123&lang=fr")
    assert asked.headers["location"] == f"/organiser/login?next={checkin}%3Fcode%3Dabc123%26lang%3Dfr"
    login = Page((await http.get(asked.headers["location"])).text)
    assert login.fields["next"] == f"{checkin}?code=abc123&lang=fr"
    for elsewhere in (
        "https://evil.example/organiser/",
        "//evil.example/organiser/",
        "/organiser/\\evil.example/",
        "javascript:alert(1)//organiser/",
        "/e/not-an-organiser-page",
    ):
        assert Page((await http.get("/organiser/login", params={"next": elsewhere})).text).fields["next"] == (
            "/organiser/"
        ), elsewhere
    # Nothing can break the Location header: line breaks are dropped (as browsers do), spaces encoded.
    odd = Page((await http.get("/organiser/login", params={"next": f"{checkin}?q=a b\r\nSet-Cookie: x=1"})).text)
    assert odd.fields["next"] == f"{checkin}?q=a%20bSet-Cookie:%20x=1"
    sent = await http.post(
        "/organiser/login",
        data={
            "email": ORGANISER_EMAIL,
            "password": ORGANISER_PASSWORD,
            "_csrf_token": login.fields["_csrf_token"],
            "next": login.fields["next"],
        },
    )
    assert (sent.status_code, sent.headers["location"]) == (303, f"{checkin}?code=abc123&lang=fr")


async def test_a_wrong_password_is_refused_and_the_right_one_opens_the_dashboard(
    demo: Web, http: httpx.AsyncClient
) -> None:
    sent = await http.post(EVENT_PAGE, data=visitor(await event_form(http), name="Léa Martin"))
    assert sent.status_code == 303
    token = Page((await http.get("/organiser/login")).text).fields["_csrf_token"]

    wrong = await http.post(
        "/organiser/login", data={"email": ORGANISER_EMAIL, "password": "pas le bon", "_csrf_token": token}
    )
    assert wrong.status_code == 401
    assert Page(wrong.text).text_of("err-login") == "Adresse e-mail ou mot de passe incorrect."
    assert Page(wrong.text).by_id["f-email"]["value"] == ORGANISER_EMAIL
    assert "perche_session" not in http.cookies
    assert (await http.get("/organiser/")).status_code == 303

    right = await http.post(
        "/organiser/login",
        data={
            "email": ORGANISER_EMAIL,
            "password": ORGANISER_PASSWORD,
            "_csrf_token": token,
            "next": f"/organiser/e/{HACKATHON}",
        },
    )
    assert (right.status_code, right.headers["location"]) == (303, f"/organiser/e/{HACKATHON}")
    dashboard = await http.get("/organiser/")
    assert dashboard.status_code == 200
    text = Page(dashboard.text).text
    assert "Hackathon agricole du comice de La Loupe" in text and "1 confirmés" in text

    event = Page((await http.get(right.headers["location"])).text)
    assert "Inscriptions (1)" in event.text
    assert "Léa Martin" in event.text and "jeanne@example.org" in event.text
