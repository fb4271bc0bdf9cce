"""The clock the suite runs on: PERCHE_TEST_CLOCK (tests/conftest.py) starts every test at the
moment it names, for the code under test as much as for the test."""

import time
from datetime import UTC, date, datetime, timedelta

import pytest

from tests.conftest import travelled_to


def test_with_perche_test_clock_set_every_test_starts_at_that_moment_and_its_clock_ticks() -> None:
    moment = travelled_to()
    if moment is None:
        pytest.skip("PERCHE_TEST_CLOCK is not set: the suite runs on the real clock")
    start = datetime.now(UTC)
    # This test starts within a minute of the moment, however many tests ran before it.
    assert timedelta(0) <= start - moment < timedelta(minutes=1)
    assert abs(datetime.fromtimestamp(time.time(), UTC) - start) < timedelta(seconds=5)
    assert date.today() == start.astimezone().date()  # the local date travels too
    deadline = time.monotonic() + 10
    while datetime.now(UTC) == start:  # it ticks on
        assert time.monotonic() < deadline
        time.sleep(0.001)


@pytest.mark.real_clock
def test_a_test_marked_real_clock_keeps_the_real_clock() -> None:
    moment = travelled_to()
    if moment is None:
        pytest.skip("PERCHE_TEST_CLOCK is not set: the suite runs on the real clock")
    if abs(moment - datetime.now(UTC)) < timedelta(days=1):
        pytest.skip("PERCHE_TEST_CLOCK is too close to the real clock to tell them apart")
    # The real clock, as nats-server and any other process see it, is far from the travelled one.
    assert abs(datetime.now(UTC) - moment) > timedelta(days=1)
