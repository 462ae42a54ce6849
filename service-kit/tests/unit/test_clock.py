"""The clock keeps MongoDB's millisecond precision, and epoch milliseconds round-trip."""

from datetime import UTC, datetime

from service_kit.clock import from_ms, to_ms, utc_now


def test_now_is_aware_utc_at_millisecond_precision() -> None:
    now = utc_now()

    assert now.tzinfo is UTC
    assert now.microsecond % 1000 == 0


def test_epoch_milliseconds_round_trip() -> None:
    moment = datetime(2026, 12, 2, 18, 30, 15, 123000, tzinfo=UTC)

    assert to_ms(moment) == 1796236215123
    assert from_ms(to_ms(moment)) == moment
