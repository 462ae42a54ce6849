"""The ordering rule: which upload a profile shows when notifications arrive late, twice, or out of order.

Every signed upload (and every avatar deletion) gets the next value of a per-user sequence, allocated by one
atomic `$inc` on the profile document. The profile stores the sequence of the state it shows
(`applied_seq`). An upload is applied only if its sequence is higher; the write is one conditional
`update_one` whose filter pins the `applied_seq` that was read, so two racing applies cannot both win and
the replaced picture is known exactly (see `ProfileRepository.apply_avatar`).
"""

import enum


class Verdict(enum.Enum):
    """What to do with an upload, given what the profile shows now."""

    APPLY = "apply"  # newer than what the profile shows
    ALREADY_APPLIED = "already_applied"  # this very upload is what the profile shows: nothing to change
    SUPERSEDED = "superseded"  # a later upload (or a deletion) already won: destroy this asset


def decide(*, applied_seq: int, applied_public_id: str | None, seq: int, public_id: str | None) -> Verdict:
    """A later sequence always wins; the same upload twice changes nothing; an earlier one never overwrites."""
    if seq > applied_seq:
        return Verdict.APPLY
    if seq == applied_seq and public_id == applied_public_id:
        return Verdict.ALREADY_APPLIED
    return Verdict.SUPERSEDED
