"""The error taxonomy is mapped once per face, from the class alone: HTTP status and the one JSON
shape for the API, the error page for people, an exit code and the message for the command line."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from lantian.cli import report_error
from lantian.config import Settings
from lantian.errors import Conflict, Invalid, NotAllowed, NotFound, ServiceError
from lantian.web.app import create_app

KINDS: list[tuple[type[ServiceError], int, str, int]] = [
    (Invalid, 422, "invalid_input", 1),
    (NotFound, 404, "not_found", 3),
    (NotAllowed, 403, "forbidden", 4),
    (Conflict, 409, "conflict", 5),
]


@pytest.mark.parametrize(("kind", "status", "code", "exit_code"), KINDS)
def test_each_kind_has_one_status_one_shape_and_one_exit_code(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    kind: type[ServiceError],
    status: int,
    code: str,
    exit_code: int,
) -> None:
    # The message says "not found" whatever the kind: the faces must not read it.
    error = kind("未找到 not found / refused", field="area_code", problems=["line 2: bad"])
    app = create_app(Settings(data_dir=tmp_path))

    @app.get("/api/v1/raise")
    def api_raise() -> None:
        raise error

    @app.get("/raise")
    def page_raise() -> None:
        raise error

    client = TestClient(app)
    answer = client.get("/api/v1/raise")
    assert answer.status_code == status
    assert answer.json() == {
        "error": {
            "code": code,
            "message": "未找到 not found / refused",
            "field": "area_code",
            "problems": ["line 2: bad"],
        }
    }
    page = client.get("/raise")
    assert page.status_code == status and "text/html" in page.headers["content-type"]
    # A page speaks its own language only (issue 14): the Chinese half of the message.
    assert "未找到 not found" in page.text and "/ refused" not in page.text

    assert report_error(error) == exit_code
    assert "未找到 not found / refused" in capsys.readouterr().err


def test_input_error_is_the_invalid_kind_and_still_a_value_error() -> None:
    from lantian.errors import InputError

    assert InputError is Invalid and issubclass(Invalid, ValueError)
    # A refusal of permission is not bad input: a broad `except ValueError` must not swallow it.
    assert not issubclass(NotAllowed, ValueError) and not issubclass(Conflict, ValueError)
