"""pdauth as a library: `pdauth.Session`, `pdauth.token()`, `pdauth.token_info()` (docs/library.md).

The public names are exported by the `pdauth` package itself, lazily; this package holds the modules.
"""
