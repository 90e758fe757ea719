"""argon2id hashing (production parameters once, cheap ones elsewhere) and the password policy."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher, Type

from lantian.auth import passwords
from lantian.errors import InputError


def test_production_parameters_are_argon2id_rfc9106_low_memory() -> None:
    with passwords.using_hasher(passwords.PRODUCTION_HASHER):
        stored = passwords.hash_password("春风又绿江南岸-2017")
        assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
        assert passwords.verify_password(stored, "春风又绿江南岸-2017")
        assert not passwords.verify_password(stored, "春风又绿江南岸-2018")
        assert not passwords.needs_rehash(stored)


def test_hashes_are_salted_and_verify() -> None:
    first, second = (
        passwords.hash_password("correct horse"),
        passwords.hash_password("correct horse"),
    )
    assert first != second and first.startswith("$argon2id$")
    assert passwords.verify_password(first, "correct horse")
    assert not passwords.verify_password(first, "correct horsE")
    assert not passwords.verify_password("not a hash", "correct horse")


def test_weaker_hashes_need_rehash() -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=512, parallelism=1, type=Type.ID)
    old = weak.hash("correct horse")
    assert passwords.needs_rehash(old)  # the tests' hasher uses 1024 KiB
    assert passwords.needs_rehash("garbage")
    assert not passwords.needs_rehash(passwords.hash_password("correct horse"))


def test_unknown_users_cost_a_verification_too(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real_verify = passwords.verify_password
    monkeypatch.setattr(
        passwords, "verify_password", lambda h, p: calls.append(p) or real_verify(h, p)
    )
    passwords.burn_verification_time("guess-1")
    passwords.burn_verification_time("guess-2")
    assert calls == ["guess-1", "guess-2"]


@pytest.mark.parametrize(
    ("password", "username", "message"),
    [
        ("short1", "zhangsan", "至少需要 10 个字符"),
        ("张三的密码", "zhangsan", "at least 10 characters"),
        ("ZhangSan_Xinmi", "zhangsan_xinmi", "用户名相同"),
        ("13800138000", "zhangsan", "全部是数字"),
        ("x" * 257, "zhangsan", "256"),
    ],
)
def test_policy_refuses(password: str, username: str, message: str) -> None:
    with pytest.raises(InputError, match=message) as refused:
        passwords.check_policy(password, username)
    assert "/" in str(refused.value)  # Chinese / English


@pytest.mark.parametrize("password", ["新密市大气污染防治攻坚", "correct horse", "1234567890a"])
def test_policy_accepts(password: str) -> None:
    passwords.check_policy(password, "zhangsan")


def test_temporary_passwords_pass_the_policy_and_differ() -> None:
    made = {passwords.temporary_password() for _ in range(50)}
    assert len(made) == 50
    for password in made:
        passwords.check_policy(password, "zhangsan")
        assert len(password) == passwords.TEMPORARY_LENGTH
        assert not set(password) & set("0O1lI")
