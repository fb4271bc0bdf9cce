"""Seats of a category: every seat from 1 to the capacity that nobody holds is free, wherever it is."""

from datetime import UTC, datetime

from schemas.registration import Registered, SeatOffered
from services.registration.rules import CategoryTally, RegistrationState

AT = datetime(2027, 5, 2, 10, 0, tzinfo=UTC)


def tally_holding(*seats: int) -> CategoryTally:
    tally = CategoryTally()
    for seat in seats:
        tally.take(seat, f"r{seat}")
    return tally


def test_a_seat_skipped_by_a_failed_claim_is_offered_again() -> None:
    # Seat 3's append failed while seat 4's succeeded: 3 is the one seat left, not none.
    assert tally_holding(1, 2, 4).free_seat(4) == 3


def test_the_lowest_free_seat_comes_first_whether_skipped_or_given_back() -> None:
    tally = tally_holding(1, 2, 5, 7)
    tally.release(2)
    assert tally.free_seat(10) == 2
    tally.take(2, "again")
    assert tally.free_seat(10) == 3
    tally.take(3, "third")
    assert tally.free_seat(10) == 4
    tally.take(4, "fourth")
    assert tally.free_seat(10) == 6


def test_a_seat_being_claimed_is_not_free() -> None:
    assert tally_holding(1, 2, 4).free_seat(5, reserved={3}) == 5
    assert tally_holding(1, 2, 4).free_seat(4, reserved={3}) is None


def test_a_full_category_has_no_free_seat_and_never_one_past_its_capacity() -> None:
    assert tally_holding(1, 2, 3).free_seat(3) is None
    assert tally_holding(1, 3).free_seat(2) is None  # 2 holders of 2 seats, even with a gap at 2


def test_free_and_held_seats_always_add_up_to_the_capacity() -> None:
    capacity = 12
    tally = tally_holding(1, 4, 5, 9, 11)
    free = []
    while (seat := tally.free_seat(capacity)) is not None:
        free.append(seat)
        tally.take(seat, f"late{seat}")
    assert free == [2, 3, 6, 7, 8, 10, 12]
    assert sorted(tally.holders) == list(range(1, capacity + 1))


def test_a_state_replayed_from_the_log_offers_a_seat_left_between_two_taken_ones() -> None:
    state = RegistrationState()
    for number, seat in enumerate([1, 2, 4]):
        state.evolve(
            Registered(
                registration_id=f"r{number}",
                command_id=f"c{number}",
                event="e",
                category="participant",
                status="confirmed",
                language="fr",
                at=AT,
                seat=seat,
            )
        )
    state.evolve(
        Registered(
            registration_id="waiting",
            command_id="cw",
            event="e",
            category="participant",
            status="waitlisted",
            language="fr",
            at=AT,
            seat=None,
        )
    )
    assert state.tally("e", "participant").free_seat(4) == 3
    state.evolve(
        SeatOffered(
            registration_id="waiting", command_id="o", event="e", category="participant", seat=3, expires_at=AT, at=AT
        )
    )
    assert state.tally("e", "participant").free_seat(4) is None
