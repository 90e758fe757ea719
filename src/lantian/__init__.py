"""lantian (蓝天): the platform on which a city runs an air-pollution control campaign."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("lantian")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
