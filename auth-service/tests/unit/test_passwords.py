from typing import Literal

from argon2 import PasswordHasher

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


async def test_an_unknown_user_costs_a_full_verification_with_the_same_parameters() -> None:
    # Equal cost is shown structurally, not by timing (timed asserts flake on a loaded machine):
    # an unknown login runs one real argon2id verification against a hash of the configured cost.
    passwords = Passwords(time_cost=2, memory_kib=1024, parallelism=1)
    real_hash = await passwords.hash("correct horse")
    verified: list[str] = []

    class RecordingHasher(PasswordHasher):
        def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
            verified.append(str(hash))
            return super().verify(hash, password)

    passwords._hasher = RecordingHasher(time_cost=2, memory_cost=1024, parallelism=1)

    assert not await passwords.verify(None, "wrong horse")
    assert not await passwords.verify(real_hash, "wrong horse")

    dummy_hash, wrong_password_hash = verified
    assert dummy_hash != wrong_password_hash
    assert dummy_hash.split("$")[:4] == wrong_password_hash.split("$")[:4]  # argon2id, version, m/t/p
    assert not passwords.needs_rehash(dummy_hash)
