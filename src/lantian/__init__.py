"""lantian (蓝天): the platform on which a city runs an air-pollution control campaign."""

from __future__ import annotations


def __getattr__(name: str) -> str:
    # Looked up on first use: importlib.metadata costs tens of milliseconds at every start of
    # the command line, and only ``lantian version`` and the pages need the version.
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            found = version("lantian")
        except PackageNotFoundError:  # running from a source tree without an install
            found = "0.0.0+unknown"
        globals()["__version__"] = found
        return found
    raise AttributeError(f"module 'lantian' has no attribute {name!r}")


__all__ = ["__version__"]
