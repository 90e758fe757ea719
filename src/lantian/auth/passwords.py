"""Password hashing (argon2id) and the password policy.

Hashes are argon2id in the PHC string format (``$argon2id$v=19$m=65536,t=3,p=4$salt$hash``) with
argon2-cffi's defaults, the low-memory profile of RFC 9106 §4: 64 MiB, 3 passes, 4 lanes — about
0.16 s per hash on a 2-core machine, which is what an attacker pays per guess too. The parameters live in the
hash, so raising them later only means that :func:`needs_rehash` turns true and the next login
stores a stronger hash.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from lantian.errors import InputError

#: The production hasher (argon2id, RFC 9106 low-memory profile).
PRODUCTION_HASHER = PasswordHasher(type=Type.ID)

MIN_LENGTH = 10
#: argon2 hashes any length, but a megabyte "password" per request would be a cheap denial of service.
MAX_LENGTH = 256

#: Characters of generated temporary passwords: no 0/O, 1/l/I, which people misread when copying.
_TEMPORARY_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
TEMPORARY_LENGTH = 16

#: The committed list of passwords attackers try first (one a line; case is ignored).
COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt")

_hasher = PRODUCTION_HASHER
_dummy_hashes: dict[PasswordHasher, str] = {}


def hasher() -> PasswordHasher:
    return _hasher


@contextmanager
def using_hasher(replacement: PasswordHasher) -> Iterator[PasswordHasher]:
    """Hash with ``replacement`` inside the block — for tests, which need cheap parameters."""
    global _hasher
    previous, _hasher = _hasher, replacement
    try:
        yield replacement
    finally:
        _hasher = previous


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches; a malformed stored hash counts as no match."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made with other parameters than the hasher in force."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


def burn_verification_time(password: str) -> None:
    """Spend what a real verification costs, for logins of unknown users.

    Without it, "no such user" would answer in microseconds and "wrong password" in a tenth of a
    second, telling an attacker which usernames exist.
    """
    if _hasher not in _dummy_hashes:
        _dummy_hashes[_hasher] = _hasher.hash(secrets.token_urlsafe(16))
    verify_password(_dummy_hashes[_hasher], password)


@cache
def common_passwords() -> frozenset[str]:
    """The committed list of common passwords, case-folded."""
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(
        line.strip().casefold() for line in lines if line.strip() and not line.startswith("#")
    )


def check_policy(password: str, username: str) -> None:
    """Refuse a password that is too short or too long, is (or contains) the username, is only
    digits, or is on the committed list of common passwords (NIST SP 800-63B §5.1.1.2: check
    new passwords against values known to be commonly used or compromised)."""
    if len(password) < MIN_LENGTH:
        raise InputError(
            f"密码至少需要 {MIN_LENGTH} 个字符（现为 {len(password)} 个）/ "
            f"the password needs at least {MIN_LENGTH} characters (it has {len(password)})"
        )
    if len(password) > MAX_LENGTH:
        raise InputError(
            f"密码不能超过 {MAX_LENGTH} 个字符 / the password must not exceed {MAX_LENGTH} characters"
        )
    folded, name = password.strip().casefold(), username.strip().casefold()
    if folded == name:
        raise InputError("密码不能与用户名相同 / the password must not be the username")
    if len(name) >= 4 and name in folded and len(folded) - len(name) < 6:
        # "zhangsan2024": the name plus a few characters is the name, to a guesser.
        raise InputError(
            "密码不能只是用户名加几个字符 / the password must not be the username with a few "
            "characters added"
        )
    if folded in common_passwords():
        raise InputError(
            "这是最常见的密码之一，会被最先猜到，请换一个 / this is one of the most common "
            "passwords, which are guessed first; choose another"
        )
    if password.isdigit():
        raise InputError(
            "密码不能全部是数字（如手机号、生日）/ "
            "the password must not be all digits (a phone number or a birthday is guessed first)"
        )


def temporary_password() -> str:
    """A random password for an administrator's reset: 16 characters, about 93 bits."""
    while True:
        candidate = "".join(secrets.choice(_TEMPORARY_ALPHABET) for _ in range(TEMPORARY_LENGTH))
        if not candidate.isdigit():  # the policy's rule; practically never all digits
            return candidate
