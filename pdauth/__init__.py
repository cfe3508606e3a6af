"""pdauth: connect a Pipedrive account over OAuth 2.0 from the terminal."""

__version__ = "0.1.0"
