"""pdauth: connect a Pipedrive account over OAuth 2.0 from the terminal."""

from pdauth.version import __version__

__all__ = ["__version__"]
