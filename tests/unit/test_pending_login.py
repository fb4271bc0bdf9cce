"""The second step's token: short-lived, signed apart from session tokens, so neither passes for the other."""

from schemas.accounts import PENDING_LOGIN_LIFETIME
from services.web.auth import Tokens

NOW = 1_950_000_000.0  # 2031-10-17, far from the test's own clock
TOKENS = Tokens(b"s" * 32)


def test_a_pending_login_names_its_organiser_and_epoch_until_it_expires() -> None:
    token = TOKENS.pending_login("orga-1", 7, now=NOW)
    pending = TOKENS.pending_login_of(token, now=NOW + PENDING_LOGIN_LIFETIME - 1)
    assert pending is not None and (pending.organiser_id, pending.epoch) == ("orga-1", 7)
    assert TOKENS.pending_login_of(token, now=NOW + PENDING_LOGIN_LIFETIME + 1) is None


def test_a_pending_login_is_no_session_and_a_session_is_no_pending_login() -> None:
    pending = TOKENS.pending_login("orga-1", 7, now=NOW)
    session = TOKENS.issue("orga-1", "orga@example.org", 7, now=NOW)
    assert TOKENS.verify(pending, now=NOW) is None
    assert TOKENS.pending_login_of(session, now=NOW) is None


def test_a_pending_login_signed_with_another_secret_or_changed_is_refused() -> None:
    token = Tokens(b"t" * 32).pending_login("orga-1", 7, now=NOW)
    assert TOKENS.pending_login_of(token, now=NOW) is None
    body, _, signature = TOKENS.pending_login("orga-1", 7, now=NOW).partition(".")
    assert TOKENS.pending_login_of(body[:-2] + "xx." + signature, now=NOW) is None
    assert TOKENS.pending_login_of("", now=NOW) is None
