"""Cheap password hashes for the tests."""

from __future__ import annotations

from argon2 import PasswordHasher, Type

#: argon2id with 1 pass over 1 MiB: the same code path in about a millisecond. Only tests use it;
#: tests/auth/test_passwords.py checks the production parameters separately.
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1, type=Type.ID)
