import asyncio

import pytest

from profile_service.avatars.quota import HOUR_MS, QuotaLimits, QuotaState, Turns, about, refusal

LIMITS = QuotaLimits(max_open=2, max_per_hour=3)
NOW = 10 * HOUR_MS


def state(open_uploads: dict[str, int] | None = None, grants: tuple[int, ...] = ()) -> QuotaState:
    return QuotaState(rev=1, open_uploads=open_uploads or {}, grants=grants)


@pytest.mark.parametrize(
    ("seconds", "words"),
    [(1, "1 second"), (40, "40 seconds"), (60, "1 minute"), (61, "2 minutes"), (3599, "1 hour"), (3600, "1 hour")],
)
def test_waits_are_said_in_rounded_up_words(seconds: int, words: str) -> None:
    assert about(seconds) == words


def test_within_both_limits_nothing_is_refused() -> None:
    assert refusal(state({"a": NOW + 1}, grants=(NOW - 1, NOW - 2)), LIMITS, NOW) is None


def test_lapsed_uploads_and_grants_older_than_an_hour_do_not_count() -> None:
    quota = state({"a": NOW, "b": NOW - 5, "c": NOW + 1}, grants=(NOW - HOUR_MS, NOW - HOUR_MS - 1, NOW - 1))

    assert refusal(quota, LIMITS, NOW) is None
    assert quota.lapsed_at(NOW) == ["a", "b"]


def test_too_many_open_uploads_wait_for_the_earliest_to_lapse() -> None:
    refused = refusal(state({"a": NOW + 90_500, "b": NOW + 30_000}), LIMITS, NOW)

    assert refused is not None
    assert (refused.reason, refused.retry_after) == ("open_uploads", 30)
    assert refused.detail == (
        "You have 2 uploads in progress. Finish or wait for one (about 30 seconds) before starting another."
    )


def test_too_many_grants_wait_for_the_oldest_in_the_hour_to_leave_it() -> None:
    refused = refusal(state(grants=(NOW - 600_000, NOW - 1_000, NOW - 48 * 60_000)), LIMITS, NOW)

    assert refused is not None
    assert (refused.reason, refused.retry_after) == ("hourly_uploads", 12 * 60)
    assert refused.detail == "You have started 3 uploads in the last hour. Try again in 12 minutes."


def test_a_lowered_limit_waits_until_enough_have_left() -> None:
    grants = (NOW - 50 * 60_000, NOW - 40 * 60_000, NOW - 30 * 60_000, NOW - 20 * 60_000)

    refused = refusal(state(grants=grants), QuotaLimits(max_open=2, max_per_hour=2), NOW)

    # Four in the hour, two allowed: one more is allowed once three have left, the third (30 minutes ago) last.
    assert refused is not None
    assert refused.retry_after == 30 * 60


def test_the_wait_is_never_below_a_second() -> None:
    refused = refusal(state({"a": NOW + 1, "b": NOW + 1}), LIMITS, NOW)

    assert refused is not None
    assert refused.retry_after == 1


def test_stored_state_is_read_leniently() -> None:
    assert QuotaState.from_document({}) == QuotaState(rev=None, open_uploads={}, grants=())
    assert QuotaState.from_document({"quota_rev": 3, "open_uploads": {"a": 5.0}, "upload_grants": [1, 2]}) == (
        QuotaState(rev=3, open_uploads={"a": 5}, grants=(1, 2))
    )


def test_a_reservation_takes_the_next_sequence_and_revision_and_drops_lapsed_uploads() -> None:
    quota = QuotaState(rev=7, open_uploads={"gone": NOW, "live": NOW + 5}, grants=(1, 2, 3), seq=41)

    assert quota.reserved("new", NOW + 600_000, NOW, keep=3) == {
        "avatar_seq": 42,
        "quota_rev": 8,
        "open_uploads": {"live": NOW + 5, "new": NOW + 600_000},
        "upload_grants": [2, 3, NOW],
    }
    assert QuotaState(rev=None, open_uploads={}, grants=()).reserved("a", 9, 1, keep=30) == {
        "avatar_seq": 1,
        "quota_rev": 1,
        "open_uploads": {"a": 9},
        "upload_grants": [1],
    }


async def test_turns_serialise_one_user_and_forget_them_when_done() -> None:
    turns = Turns()
    order: list[str] = []
    first_in = asyncio.Event()
    release_first = asyncio.Event()

    async def first() -> None:
        async with turns.of("u1"):
            order.append("first in")
            first_in.set()
            await release_first.wait()
            order.append("first out")

    async def second() -> None:
        await first_in.wait()
        async with turns.of("u1"):
            order.append("second in")

    other_in = asyncio.Event()

    async def other_user() -> None:
        await first_in.wait()
        async with turns.of("u2"):
            order.append("other user in")
            other_in.set()

    tasks = [asyncio.create_task(coro()) for coro in (first, second, other_user)]
    await asyncio.wait_for(other_in.wait(), timeout=5)  # another user never waits for u1's turn
    assert order == ["first in", "other user in"]
    release_first.set()
    await asyncio.gather(*tasks)

    assert order == ["first in", "other user in", "first out", "second in"]
    assert len(turns) == 0
