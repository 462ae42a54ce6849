import pytest

from auth_service.stepup import STEP_UP_REQUIRED, StepUpRequired, require_fresh
from auth_service.tokens import UserClaims


def _claims(auth_time: int) -> UserClaims:
    return UserClaims(sub="u", sid="s", username="alice", jti="j", exp=2_000_000_000, auth_time=auth_time)


def test_an_authentication_within_the_window_is_fresh() -> None:
    require_fresh(_claims(1_000), now=1_300, fresh_seconds=300)


def test_an_older_authentication_asks_for_a_step_up_by_problem_type() -> None:
    with pytest.raises(StepUpRequired) as raised:
        require_fresh(_claims(1_000), now=1_301, fresh_seconds=300)

    assert raised.value.status_code == 401
    assert raised.value.extra == {"type": STEP_UP_REQUIRED, "max_age": 300}


def test_a_token_without_auth_time_is_never_fresh() -> None:
    with pytest.raises(StepUpRequired):
        require_fresh(
            UserClaims(sub="u", sid="s", username="a", jti="j", exp=2_000_000_000), now=10**9, fresh_seconds=300
        )
