"""The emulated company's data: one table per resource, its users, custom fields and render cache."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from pdauth.emulator.custom_fields import CustomFieldTable
from pdauth.emulator.resources import RESOURCES
from pdauth.emulator.store import RenderCache, Row, Table

T = TypeVar("T")

if TYPE_CHECKING:
    from pdauth.emulator.clock import Clock
    from pdauth.emulator.config import EmulatorConfig, Identity


class World:
    """Everything the REST API reads and writes; guarded by App.lock (one lock, a consistent world).

    It starts empty: seed.populate fills it (the seed builds on the world, not the world on the seed).
    """

    def __init__(self, config: EmulatorConfig, clock: Clock) -> None:
        self.config = config
        self.clock = clock
        self.tables: dict[str, Table] = {r.name: Table(r.name) for r in RESOURCES}
        for name in ("user", "note", "lead", "activity_type", "webhook"):
            self.tables[name] = Table(name)
        self.custom = CustomFieldTable(config.custom_fields)
        self.cache = RenderCache()
        self.lead_ids: dict[str, int] = {}  # a lead's UUID -> its row id
        self._memo: dict[str, tuple[object, Any]] = {}

    def memo(self, name: str, tables: tuple[str, ...], compute: Callable[[], T]) -> T:
        """An index derived from `tables`, recomputed only after one of them changed."""
        key = tuple(self.tables[t].version for t in tables)
        hit = self._memo.get(name)
        if hit is not None and hit[0] == key:
            return hit[1]  # type: ignore[no-any-return]
        value = compute()
        self._memo[name] = (key, value)
        return value

    # --- lookups used by the rules and the v1 shapes -------------------------------------------

    def live(self, table: str, row_id: object) -> Row | None:
        """The row if it exists and is not deleted."""
        if not isinstance(row_id, int):
            return None
        row = self.tables[table].get(row_id)
        return None if row is None or row.get("is_deleted") else row

    def first_pipeline_id(self) -> int:
        return next((p["id"] for p in self.tables["pipeline"] if not p["is_deleted"]), 1)

    def first_stage_id(self, pipeline_id: int) -> int | None:
        stages = [s for s in self.tables["stage"] if s["pipeline_id"] == pipeline_id and not s["is_deleted"]]
        return min(stages, key=lambda s: s["order_nr"])["id"] if stages else None

    def activity_type_exists(self, key: str) -> bool:
        return any(t["key_string"] == key and t["active_flag"] for t in self.tables["activity_type"])

    def ensure_user(self, identity: Identity) -> Row:
        """The user row of whoever calls the API (set_identity may have made someone new)."""
        users = self.tables["user"]
        row = users.get(identity.user_id)
        if row is None:
            row = users.insert(self.user_row(identity.user_name, identity.user_email), identity.user_id)
            self.cache.invalidate()
        return row

    def user_row(self, name: str, email: str, admin: bool = True) -> Row:
        return {
            "name": name,
            "email": email,
            "is_admin": admin,  # internal: users/me reports it as `access`, not as is_admin
            "active_flag": True,
            "created": self.clock.now(),
            "icon_url": None,
        }

    def counts(self) -> dict[str, Any]:
        names = ("deal", "person", "organization", "activity", "product", "note", "lead")
        plural = {"deal": "deals", "person": "persons", "organization": "organizations",
                  "activity": "activities", "product": "products", "note": "notes", "lead": "leads"}  # fmt: skip
        return {plural[n]: self.tables[n].live for n in names}
