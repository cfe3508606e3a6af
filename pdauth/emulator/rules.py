"""What Pipedrive does besides storing a body: defaults of a new object and fields that follow others
(a won deal gets won_time and close_time, a stage brings its pipeline, a person's name its parts)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from pdauth.emulator.schema import fail
from pdauth.emulator.store import Row
from pdauth.emulator.timefmt import day

if TYPE_CHECKING:
    from pdauth.emulator.world import World

Rule = Callable[["World", Row, dict[str, Any], bool, float], None]

# Defaults of a new object, beside owner (the caller) and the times. visible_to 3 is "owner and
# followers" in Pipedrive's visibility groups; `origin` "API" is what the API sets (docs, deal model).
DEFAULTS: Final[dict[str, dict[str, Any]]] = {
    "deal": {"value": 0, "currency": "EUR", "status": "open", "is_deleted": False, "is_archived": False,
             "visible_to": 3, "label_ids": [], "origin": "API", "probability": None, "lost_reason": None},
    "person": {"emails": [], "phones": [], "im": [], "is_deleted": False, "visible_to": 3, "label_ids": []},
    "organization": {"is_deleted": False, "visible_to": 3, "label_ids": []},
    "activity": {"type": "task", "busy": False, "done": False, "is_deleted": False, "participants": [],
                 "attendees": [], "subject": "", "priority": None},
    "product": {"is_deleted": False, "is_linkable": True, "visible_to": 3, "prices": [], "tax": 0,
                "billing_frequency": "one-time", "unit": "", "code": "", "description": ""},
    "pipeline": {"is_deleted": False, "is_deal_probability_enabled": False},
    "stage": {"is_deleted": False, "deal_probability": 100, "is_deal_rot_enabled": False, "days_to_rotten": None},
}  # fmt: skip
OWNED: Final = ("deal", "person", "organization", "activity", "product")


def apply(world: World, name: str, row: Row, changes: dict[str, Any], creating: bool, now: float) -> None:
    rule = _RULES.get(name)
    if rule is not None:
        rule(world, row, changes, creating, now)


def _deal(world: World, row: Row, changes: dict[str, Any], creating: bool, now: float) -> None:
    stages = world.tables["stage"]
    if "stage_id" in changes and row.get("stage_id") is not None:
        stage = stages.get(row["stage_id"])
        if stage is not None and "pipeline_id" in changes and changes["pipeline_id"] != stage["pipeline_id"]:
            raise fail("stage_id", f"stage {stage['id']} is not in pipeline {changes['pipeline_id']}")
        if stage is not None:
            row["pipeline_id"] = stage["pipeline_id"]
    elif "pipeline_id" in changes or creating:
        # A deal always sits in a stage: the first one of its pipeline unless a stage is named.
        pipeline_id = row.get("pipeline_id") or world.first_pipeline_id()
        row["pipeline_id"] = pipeline_id
        row["stage_id"] = world.first_stage_id(pipeline_id)
    if not creating and ("stage_id" in changes or "pipeline_id" in changes):
        row["stage_change_time"] = now
    if "status" in changes or creating:
        status = row.get("status", "open")
        row.setdefault("close_time", None)
        if status == "won":
            row["won_time"] = changes.get("won_time", now)
            row["close_time"] = changes.get("close_time", now)
        elif status == "lost":
            row["lost_time"] = changes.get("lost_time", now)
            row["close_time"] = changes.get("close_time", now)
        else:
            row["won_time"] = row["lost_time"] = row["close_time"] = None


def _person(world: World, row: Row, changes: dict[str, Any], creating: bool, now: float) -> None:
    if "name" in changes:
        first, _, last = row["name"].strip().partition(" ")
        row["first_name"], row["last_name"] = first, last.strip()
    for key in ("emails", "phones", "im"):
        items = row.get(key) or []
        if items and not any(i.get("primary") for i in items):
            items[0]["primary"] = True  # Pipedrive keeps exactly one primary address


def _activity(world: World, row: Row, changes: dict[str, Any], creating: bool, now: float) -> None:
    if "type" in changes and not world.activity_type_exists(row["type"]):
        raise fail("type", f"unknown activity type {row['type']!r} (see GET /api/v1/activityTypes)")
    if creating:
        row.setdefault("due_date", day(now))
    if "done" in changes or creating:
        row["marked_as_done_time"] = now if row.get("done") else None


def _stage(world: World, row: Row, changes: dict[str, Any], creating: bool, now: float) -> None:
    if creating or "pipeline_id" in changes:
        siblings = [s["order_nr"] for s in world.tables["stage"] if s["pipeline_id"] == row["pipeline_id"]]
        if creating or row.get("order_nr") is None:
            row["order_nr"] = max(siblings, default=0) + 1


def _pipeline(world: World, row: Row, changes: dict[str, Any], creating: bool, now: float) -> None:
    if creating:
        row["order_nr"] = max((p["order_nr"] for p in world.tables["pipeline"]), default=0) + 1


_RULES: Final[dict[str, Rule]] = {
    "deal": _deal,
    "person": _person,
    "activity": _activity,
    "stage": _stage,
    "pipeline": _pipeline,
}
