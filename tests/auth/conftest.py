"""Fixtures of the account tests: cheap argon2 parameters, sessions on each backend."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher, Type
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from lantian.auth import passwords
from lantian.db.engine import session_factory

#: argon2id with 1 pass over 1 MiB: the same code path in about a millisecond. Only tests use it;
#: test_passwords.py checks the production parameters separately.
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1, type=Type.ID)


@pytest.fixture(autouse=True)
def fast_password_hashes() -> Iterator[PasswordHasher]:
    with passwords.using_hasher(FAST_HASHER) as hasher:
        yield hasher


@pytest.fixture
def sessions(db_engine: Engine) -> sessionmaker[Session]:
    return session_factory(db_engine)
