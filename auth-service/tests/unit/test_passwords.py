import statistics
import time

from auth_service.passwords import Passwords


async def test_hashes_are_argon2id_and_verify() -> None:
    passwords = Passwords(time_cost=1, memory_kib=8, parallelism=1)

    password_hash = await passwords.hash("correct horse")

    assert password_hash.startswith("$argon2id$")
    assert await passwords.verify(password_hash, "correct horse")
    assert not await passwords.verify(password_hash, "wrong horse")
    assert not await passwords.verify("not a hash", "correct horse")


async def test_no_hash_never_verifies() -> None:
    passwords = Passwords(time_cost=1, memory_kib=8, parallelism=1)

    assert not await passwords.verify(None, "anything")


async def test_changed_parameters_ask_for_a_rehash() -> None:
    old = Passwords(time_cost=1, memory_kib=8, parallelism=1)
    new = Passwords(time_cost=2, memory_kib=16, parallelism=1)

    password_hash = await old.hash("correct horse")

    assert new.needs_rehash(password_hash)
    assert not old.needs_rehash(password_hash)


async def test_an_unknown_user_costs_about_as_much_as_a_wrong_password() -> None:
    passwords = Passwords(time_cost=2, memory_kib=19456, parallelism=1)
    real_hash = await passwords.hash("correct horse")

    async def timed(password_hash: str | None) -> float:
        started = time.perf_counter()
        await passwords.verify(password_hash, "wrong horse")
        return time.perf_counter() - started

    wrong_password = statistics.median([await timed(real_hash) for _ in range(5)])
    unknown_user = statistics.median([await timed(None) for _ in range(5)])

    # Without the dummy hash an unknown user would answer in microseconds, a ratio near zero.
    assert 0.33 < unknown_user / wrong_password < 3
