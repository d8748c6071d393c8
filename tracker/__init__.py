"""airtrack: air-surveillance tracking and sensor fusion."""
from ._version import __version__

__all__ = ["__version__"]
