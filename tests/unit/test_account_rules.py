"""The account rules on explicit clocks: mailed links expire and work once, TOTP codes are not
replayed, recovery codes work once, throttles say when to come back."""

from datetime import UTC, datetime, timedelta

import pyotp
import pytest

from schemas.errors import Rejected
from services.catalog.account_rules import (
    ADDRESS_LOGINS,
    AccountLink,
    Attempts,
    TwoStep,
    check_link,
    decide_attempt,
    decide_recovery_code,
    decide_second_step,
    decide_totp,
    new_recovery_codes,
    recovery_hash,
    token_key,
    used,
    without,
)

NOW = datetime(2031, 5, 14, 9, 30, tzinfo=UTC)
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def code_at(moment: datetime, secret: str = SECRET) -> str:
    return pyotp.TOTP(secret).at(moment)


def refusal_key(error: pytest.ExceptionInfo[Rejected]) -> str | None:
    return error.value.reply.key


def invitation(expires_in: timedelta = timedelta(days=7)) -> AccountLink:
    return AccountLink(kind="invitation", email="door@example.org", expires_at=NOW + expires_in)


def test_a_link_can_be_used_until_the_moment_it_expires_and_not_after() -> None:
    link = invitation(timedelta(days=7))
    assert check_link(link, "invitation", NOW + timedelta(days=7) - timedelta(seconds=1)) == link
    with pytest.raises(Rejected) as refused:
        check_link(link, "invitation", NOW + timedelta(days=7))
    assert refusal_key(refused) == "invitation_expired"
    assert refused.value.reply.code == "conflict"


def test_a_used_link_is_refused_as_used_even_before_it_expires() -> None:
    link = used(invitation(), NOW, "command-1")
    with pytest.raises(Rejected) as refused:
        check_link(link, "invitation", NOW + timedelta(minutes=1), "command-2")
    assert refusal_key(refused) == "invitation_used"


def test_the_command_that_used_a_link_may_repeat_and_gets_through_even_after_expiry() -> None:
    link = used(invitation(timedelta(hours=1)), NOW, "command-1")
    assert check_link(link, "invitation", NOW + timedelta(hours=2), "command-1") == link


def test_an_unknown_token_and_a_link_of_the_other_kind_are_refused_alike() -> None:
    reset = AccountLink(kind="reset", email="a@example.org", expires_at=NOW + timedelta(hours=1))
    for link in (None, reset):
        with pytest.raises(Rejected) as refused:
            check_link(link, "invitation", NOW)
        assert refusal_key(refused) == "invitation_unknown"
        assert refused.value.reply.code == "not_found"


def test_a_token_is_stored_under_a_hash_that_does_not_contain_it() -> None:
    token = "a-long-random-token-from-the-mail"
    assert token not in token_key(token) and token_key(token) == token_key(token)


def test_a_totp_code_is_accepted_once_then_refused_as_a_replay() -> None:
    step = decide_totp(SECRET, 0, code_at(NOW), NOW)
    assert step == pyotp.TOTP(SECRET).timecode(NOW)
    with pytest.raises(Rejected) as refused:
        decide_totp(SECRET, step, code_at(NOW), NOW + timedelta(seconds=5))
    assert refusal_key(refused) == "two_step_replayed"


def test_an_earlier_code_still_in_the_window_is_a_replay_once_a_later_one_was_used() -> None:
    later = decide_totp(SECRET, 0, code_at(NOW), NOW)
    with pytest.raises(Rejected) as refused:
        decide_totp(SECRET, later, code_at(NOW - timedelta(seconds=30)), NOW)
    assert refusal_key(refused) == "two_step_replayed"


def test_a_code_one_step_off_works_two_steps_off_does_not() -> None:
    assert decide_totp(SECRET, 0, code_at(NOW - timedelta(seconds=30)), NOW) > 0
    with pytest.raises(Rejected) as refused:
        decide_totp(SECRET, 0, code_at(NOW - timedelta(seconds=90)), NOW)
    assert refusal_key(refused) == "two_step_wrong_code"


def test_a_wrong_code_and_garbage_are_wrong_codes() -> None:
    right = code_at(NOW)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for code in (wrong, "abc", "", "12345"):
        with pytest.raises(Rejected) as refused:
            decide_totp(SECRET, 0, code, NOW)
        assert refusal_key(refused) == "two_step_wrong_code"


def test_a_recovery_code_works_once_typed_with_spaces_or_capitals() -> None:
    codes = new_recovery_codes()
    assert len(codes) == 10 and len(set(codes)) == 10
    hashes = tuple(recovery_hash(code) for code in codes)
    left = decide_recovery_code(hashes, "  " + codes[3].upper().replace("-", " ") + " ")
    assert len(left) == 9 and recovery_hash(codes[3]) not in left
    with pytest.raises(Rejected) as refused:
        decide_recovery_code(left, codes[3])
    assert refusal_key(refused) == "two_step_wrong_code"


def test_the_second_step_takes_a_totp_code_or_a_recovery_code() -> None:
    codes = new_recovery_codes()
    state = TwoStep(secret=SECRET, enabled=True, recovery_hashes=tuple(recovery_hash(c) for c in codes))
    after_totp = decide_second_step(state, code_at(NOW), NOW)
    assert after_totp.last_step == pyotp.TOTP(SECRET).timecode(NOW)
    assert after_totp.recovery_hashes == state.recovery_hashes
    after_recovery = decide_second_step(after_totp, codes[0], NOW)
    assert len(after_recovery.recovery_hashes) == 9 and after_recovery.last_step == after_totp.last_step


def test_the_address_throttle_refuses_past_its_limit_and_says_when_to_come_back() -> None:
    attempts = Attempts()
    for i in range(ADDRESS_LOGINS.attempts):
        attempts = decide_attempt(attempts, ADDRESS_LOGINS, NOW + timedelta(seconds=i))
    with pytest.raises(Rejected) as refused:
        decide_attempt(attempts, ADDRESS_LOGINS, NOW + timedelta(minutes=5))
    assert refusal_key(refused) == "address_throttled"
    assert refused.value.reply.retry_after == 10 * 60
    # Once the first attempts are older than the window, there is room again.
    assert decide_attempt(attempts, ADDRESS_LOGINS, NOW + ADDRESS_LOGINS.window + timedelta(seconds=1))


def test_a_successful_attempt_no_longer_counts() -> None:
    attempts = decide_attempt(Attempts(), ADDRESS_LOGINS, NOW)
    assert without(attempts, NOW) == Attempts()
