"""How a REST endpoint is declared: the handler (Action), the scopes, the cost in the daily budget.

The handler modules declare their own routes with Endpoint and routes.py gathers them; this module
imports none of them, so declaring a route never means importing the table that lists it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from pdauth.emulator.hub import Hub
    from pdauth.emulator.reply import Reply
    from pdauth.emulator.state import Caller
    from pdauth.emulator.web import Request

Cost = Literal["get", "list", "update", "search"]
Action = Callable[["Hub", "Request", "Caller", dict[str, str]], "Reply"]


@dataclass(frozen=True)
class Endpoint:
    action: Action
    scopes: tuple[str, ...]  # any one of them is enough
    cost: Cost
    search: bool = False  # counted against the search burst limit (10 per 2 s) as well


Table = list[tuple[re.Pattern[str], dict[str, Endpoint]]]
