"""Errors that mean "the input is wrong", as opposed to a bug: the faces show their message plainly.

Every message says what is wrong, where (file, line, field) and why, Chinese first, English second.
"""

from __future__ import annotations


class InputError(ValueError):
    """Bad input from a person, a file or a device; nothing was written because of it."""
