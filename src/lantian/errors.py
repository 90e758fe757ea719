"""The one error taxonomy: what a service says when it refuses, as opposed to a bug.

Services raise these; the faces never decide what an error means by reading its text. Each kind is
mapped once per face — to an HTTP status and the one JSON error shape in :mod:`lantian.web.app`,
to an exit code and a message in :mod:`lantian.cli` — from the class alone:

=================  ======  =========  ====================================================
class              HTTP    exit code  meaning
=================  ======  =========  ====================================================
:class:`Invalid`    422     1          the input is wrong (a person's, a file's, a device's)
:class:`NotFound`   404     3          the thing named does not exist (or is out of sight)
:class:`NotAllowed` 403     4          the principal may not do this
:class:`Conflict`   409     5          it clashes with what is already there (a duplicate,
                                       a state that does not allow the step)
=================  ======  =========  ====================================================

Every message says what is wrong, where (file, line, field) and why, Chinese first, English second.
An error may carry structured detail: ``field`` (the input field at fault) and ``problems`` (one
line per problem, for files with many bad rows).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any, ClassVar


class ServiceError(Exception):
    """The common base: nothing was written because of it; its message is meant for people."""

    #: The machine-readable code of the JSON error shape (``{"error": {"code": …}}``).
    code: ClassVar[str] = "error"
    #: The HTTP status the web faces answer with.
    http_status: ClassVar[int] = 400
    #: The exit code of the command line.
    exit_code: ClassVar[int] = 1

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        problems: Sequence[object] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.problems: tuple[object, ...] = tuple(problems or ())

    def as_json(self) -> dict[str, Any]:
        """The one JSON error shape: ``{"error": {"code", "message"[, "field"][, "problems"]}}``."""
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field is not None:
            body["field"] = self.field
        if self.problems:
            # A structured problem (a dataclass such as a file's row problem) keeps its fields.
            body["problems"] = [
                dataclasses.asdict(problem)
                if dataclasses.is_dataclass(problem) and not isinstance(problem, type)
                else str(problem)
                for problem in self.problems
            ]
        return {"error": body}


class Invalid(ServiceError, ValueError):
    """Bad input from a person, a file or a device.

    It is also a :class:`ValueError`, as bad input has always been here (callers that catch
    ``ValueError`` around parsing keep working); the other kinds are not, so a broad
    ``except ValueError`` never turns a refusal of permission into a form error.
    """

    code = "invalid_input"
    http_status = 422
    exit_code = 1


#: The name the code used before the taxonomy: still raised in many places, and the same class.
InputError = Invalid


class NotFound(ServiceError):
    """The thing named does not exist, or is outside what the principal may see."""

    code = "not_found"
    http_status = 404
    exit_code = 3


class NotAllowed(ServiceError):
    """The principal may not do this (role or scope)."""

    code = "forbidden"
    http_status = 403
    exit_code = 4


class Conflict(ServiceError):
    """The change clashes with what is there: a duplicate, or a state that refuses the step."""

    code = "conflict"
    http_status = 409
    exit_code = 5


@dataclasses.dataclass(frozen=True)
class FieldProblem:
    """One problem of one input field, for an :class:`Invalid` that reports every bad field of a
    form at once (``problems``); a page shows each beside its field."""

    field: str
    message: str

    def __str__(self) -> str:
        return self.message
