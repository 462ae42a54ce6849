from profile_service.avatars.ordering import Verdict, decide


def test_a_later_upload_is_applied() -> None:
    assert decide(applied_seq=3, applied_public_id="p/u/3", seq=4, public_id="p/u/4") is Verdict.APPLY


def test_the_first_upload_is_applied_to_a_profile_without_a_picture() -> None:
    assert decide(applied_seq=0, applied_public_id=None, seq=1, public_id="p/u/1") is Verdict.APPLY


def test_the_same_upload_twice_changes_nothing() -> None:
    assert decide(applied_seq=4, applied_public_id="p/u/4", seq=4, public_id="p/u/4") is Verdict.ALREADY_APPLIED


def test_an_older_upload_arriving_after_a_newer_one_is_superseded() -> None:
    assert decide(applied_seq=5, applied_public_id="p/u/5", seq=4, public_id="p/u/4") is Verdict.SUPERSEDED


def test_an_upload_signed_before_a_deletion_is_superseded() -> None:
    assert decide(applied_seq=6, applied_public_id=None, seq=5, public_id="p/u/5") is Verdict.SUPERSEDED
