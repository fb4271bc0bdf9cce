"""Account mails as their readers get them: in their language, the one-time link on its own line."""

from datetime import UTC, datetime

from schemas.accounts import SendAccountMail
from services.notify.account_mails import account_mail
from services.notify.compose import Composer

COMPOSER = Composer(base_url="https://perche.example/", organisation="Terres de Perche", mail_from="a@perche.example")
EXPIRES = datetime(2031, 6, 1, 8, 0, tzinfo=UTC)
NOW = datetime(2031, 5, 25, 8, 0, tzinfo=UTC)


def mail(kind: str, language: str) -> tuple[str, str]:
    command = SendAccountMail(
        mail_id="m1",
        kind=kind,  # type: ignore[arg-type]
        email="porte@example.org",
        token="TOKEN-123",
        language=language,  # type: ignore[arg-type]
        expires_at=EXPIRES,
        invited_by="orga@example.org",
    )
    message = account_mail(COMPOSER, command, NOW)
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return str(message["Subject"]), body.get_content()


def test_an_invitation_in_french_names_who_invites_the_link_and_its_expiry_in_paris_time() -> None:
    subject, text = mail("invitation", "fr")
    assert subject == "Votre invitation à organiser avec Terres de Perche"
    assert "orga@example.org vous invite" in text
    assert "\nhttps://perche.example/organiser/welcome/TOKEN-123\n" in text
    assert "expire le dimanche 1 juin 2031 à 10 h 00" in text


def test_a_reset_in_english_links_to_the_reset_page() -> None:
    subject, text = mail("reset", "en")
    assert subject == "Choose a new password · Terres de Perche"
    assert "\nhttps://perche.example/organiser/reset/TOKEN-123\n" in text
    assert "porte@example.org" in text and "Hello," in text
