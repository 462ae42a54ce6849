"""The `moderation` parameter and the overall status, without HTTP."""

import pytest

from cloudinary_emulator.errors import CloudinaryError
from cloudinary_emulator.moderation import ModerationEntry, overall_status, parse_moderation


@pytest.mark.parametrize("value", [None, "", "  "])
def test_no_moderation_value_means_no_moderation(value: str | None) -> None:
    assert parse_moderation(value) == []


def test_manual_starts_pending_without_a_decision_time() -> None:
    [entry] = parse_moderation(" manual ")

    assert entry.wire() == {"kind": "manual", "status": "pending"}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("duplicate:0|manual", "Moderation kind not supported"),
        ("duplicate:1", "Moderation kind not supported"),
        ("metascan", "Moderation kind not supported"),
        ("duplicate:-0.1", "Moderation duplicate:-0.1 moderation is not valid"),
        ("aws_rek|aws_rek|manual", "Moderation aws_rek|aws_rek|manual moderation is not valid"),
        ("manual|", "Moderation manual| moderation is not valid"),
    ],
)
def test_refusals_tell_malformed_values_from_add_ons(value: str, message: str) -> None:
    with pytest.raises(CloudinaryError) as refused:
        parse_moderation(value)

    assert (refused.value.status, refused.value.message) == (400, message)


@pytest.mark.parametrize(
    ("statuses", "overall"),
    [
        (["pending"], "pending"),
        (["approved"], "approved"),
        (["rejected"], "rejected"),
        (["approved", "pending"], "pending"),
        (["pending", "queued"], "pending"),
        (["approved", "queued"], "queued"),
        (["rejected", "aborted"], "rejected"),
        (["approved", "approved"], "approved"),
    ],
)
def test_overall_status_is_rejected_by_any_and_approved_by_all(statuses: list[str], overall: str) -> None:
    entries = [ModerationEntry(kind=f"k{index}", status=status) for index, status in enumerate(statuses)]

    assert overall_status(entries) == overall
