"""Fakes for the seams the core is given: a login UI that shows nothing."""

from __future__ import annotations

import contextlib


class QuietLoginUI:
    """A pdauth.login.flow.LoginUI that shows nothing and waits without a spinner."""

    def show_url(self, url: str, browser_opened: bool) -> None:
        pass

    def waiting(self) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()

    def show_ssh_tunnel(self, command: str) -> None:
        pass

    def prompt_paste(self) -> None:
        pass

    def paste_rejected(self, message: str) -> None:
        pass
