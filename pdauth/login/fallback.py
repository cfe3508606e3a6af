"""When the OS keyring fails during `login`: offer the encrypted file store instead of failing.

Only with a person at the terminal (an injected confirm prompt): a script gets KeyringUnavailable and its
hint, which names all three ways out (unlock/install a keyring, `--store file`, env tokens in CI).
"""

from __future__ import annotations

from pdauth.core.context import Context
from pdauth.errors import KeyringUnavailable


def offer_file_store(ctx: Context, exc: KeyringUnavailable) -> None:
    """Switch `ctx` to the file store if the user agrees; otherwise re-raise `exc`."""
    if ctx.settings.store_kind != "keyring" or ctx.deps.confirm is None:
        raise exc
    if not ctx.deps.confirm(f"{exc.message}. Use pdauth's encrypted file store for this profile instead?"):
        raise exc
    ctx.use_store("file")
