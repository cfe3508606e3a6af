"""The list filters of API v2 (the SDK's `get…` parameters), as one predicate over rows.

Deleted rows never show, except deals asked for with status=deleted (Pipedrive keeps them 30 days).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pdauth.emulator.query as query
from pdauth.emulator.errors import ApiError
from pdauth.emulator.resources import Resource
from pdauth.emulator.schema import fail
from pdauth.emulator.store import Row

if TYPE_CHECKING:
    from pdauth.emulator.world import World

Predicate = Callable[[Row], bool]


def predicate(world: World, resource: Resource, q: dict[str, str]) -> Predicate:
    tests: list[Predicate] = []
    statuses = {"open", "won", "lost"}
    for name in resource.filters:
        if name == "ids":
            wanted = query.id_list(q)
            if wanted is not None:
                tests.append(lambda r, w=wanted: r["id"] in w)  # type: ignore[misc]
        elif name == "filter_id":
            if q.get("filter_id"):
                raise ApiError(404, "Filter not found")  # the emulated company has no saved filters
        elif name == "status":
            raw = q.get("status")
            if raw:
                statuses = {s.strip() for s in raw.split(",")}
                if not statuses <= {"open", "won", "lost", "deleted"}:
                    raise fail("status", "must be open, won, lost or deleted (comma-separated)")
        elif name in ("updated_since", "updated_until"):
            moment = query.timestamp(q, name)
            if moment is not None and name == "updated_since":
                tests.append(lambda r, m=moment: r["update_time"] >= m)  # type: ignore[misc]
            elif moment is not None:
                tests.append(lambda r, m=moment: r["update_time"] < m)  # type: ignore[misc]
        elif name == "done":
            done = query.boolean(q, "done")
            if done is not None:
                tests.append(lambda r, d=done: bool(r.get("done")) == d)  # type: ignore[misc]
        elif name == "lead_id":
            if q.get("lead_id"):
                tests.append(lambda r, v=q["lead_id"]: r.get("lead_id") == v)  # type: ignore[misc]
        elif name == "deal_id" and resource.name == "person":
            deal_id = query.integer(q, name)
            if deal_id is not None:
                deal = world.tables["deal"].get(deal_id)
                person = deal["person_id"] if deal else None
                tests.append(lambda r, p=person: r["id"] == p)  # type: ignore[misc]
        elif name in ("include_fields", "custom_fields", "include_option_labels", "include_labels"):
            continue  # accepted; they only shape the output
        else:
            number = query.integer(q, name)
            if number is not None:
                tests.append(lambda r, n=name, v=number: r.get(n) == v)  # type: ignore[misc]
    with_deleted = resource.name == "deal" and "deleted" in statuses
    if resource.name == "deal" and statuses != {"open", "won", "lost"}:
        live = statuses - {"deleted"}
        tests.append(
            lambda r: (
                (r.get("is_deleted") and with_deleted) or (not r.get("is_deleted") and r["status"] in live)
            )
        )
    elif not with_deleted:
        tests.insert(0, lambda r: not r.get("is_deleted"))
    if len(tests) == 1:
        return tests[0]
    return lambda row: all(test(row) for test in tests)
