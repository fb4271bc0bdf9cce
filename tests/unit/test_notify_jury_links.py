"""Which jurors a « send the links » command mails: confirmed jurors of that event, each once per command."""

from datetime import UTC, datetime

from schemas.notify import JuryLink, SendJuryLinks
from services.notify.jury_links import jury_link_orders
from services.notify.rules import Person
from tests.demo_events import HACKATHON, demo_spec

AT = datetime(2027, 1, 1, tzinfo=UTC)


def person(ident: str, category: str = "juror", status: str = "confirmed", event: str = HACKATHON) -> Person:
    return Person(id=ident, event=event, category=category, language="fr", status=status, registered_at=AT)  # type: ignore[arg-type]


def command(*ids: str, command_id: str = "click-0001") -> SendJuryLinks:
    links = [JuryLink(registration_id=i, url=f"https://perche.example/jury/{HACKATHON}/{i}?key=k{i}") for i in ids]
    return SendJuryLinks(command_id=command_id, event=HACKATHON, by_organiser="orga", links=links)


def test_only_confirmed_jurors_of_the_event_are_mailed_their_own_link_once_per_command() -> None:
    spec = demo_spec(HACKATHON)
    people = {
        "ok": person("ok"),
        "gone": person("gone", status="cancelled"),
        "farmer": person("farmer", category="participant"),
        "elsewhere": person("elsewhere", event="other-event"),
    }
    orders, skipped = jury_link_orders(command("ok", "gone", "farmer", "elsewhere", "unknown"), people, spec)
    assert [(o.registration_id, o.kind, o.jury_url) for o in orders] == [
        ("ok", "jury_link", f"https://perche.example/jury/{HACKATHON}/ok?key=kok")
    ]
    assert skipped == ["gone", "farmer", "elsewhere", "unknown"]
    # The same command names the same mail (claimed once); another click is another mail.
    [same], _ = jury_link_orders(command("ok"), people, spec)
    [other], _ = jury_link_orders(command("ok", command_id="click-0002"), people, spec)
    assert same.mail_id == orders[0].mail_id != other.mail_id
