"""Fields of API v2 resources and v2's strict input rules: a string is never a number, 1 is never true.

Each `Field` mirrors a property of the SDK's model (nullable where the model says `| null`) and says
whether a request body may set it. `check` turns one JSON value into the stored value or raises a 400.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, Literal

from pdauth.emulator.errors import ApiError, invalid
from pdauth.emulator.timefmt import parse_date, parse_rfc3339

Kind = Literal[
    "int", "num", "str", "bool", "time", "date", "ints", "strs", "choice",
    "contacts", "address", "prices", "participants", "attendees",
]  # fmt: skip
Write = Literal["", "rw", "add"]

ADDRESS_KEYS: Final = (
    "value", "country", "admin_area_level_1", "admin_area_level_2", "locality", "sublocality",
    "route", "street_number", "subpremise", "postal_code",
)  # fmt: skip


@dataclass(frozen=True)
class Field:
    name: str
    kind: Kind
    nullable: bool = False  # the SDK model declares `| null`: sent as null when empty, else left out
    write: Write = ""  # "rw": add and update bodies may set it; "add": only add
    required: bool = False  # an add body must carry it
    choices: tuple[object, ...] = ()
    ref: str | None = None  # the resource an id refers to (checked to exist)
    output: bool = True  # False: accepted in bodies, absent from the model (e.g. a deal's archive_time)


def fail(field: str, reason: str) -> ApiError:
    return invalid(f"Validation failed: {field}: {reason}")


def is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value == value  # not NaN


def check(field: Field, value: object) -> Any:
    """The value to store for `field`, or a 400 naming the field."""
    if value is None:
        if field.nullable or not field.required:
            return None
        raise fail(field.name, "must not be null")
    return _CHECKS[field.kind](field, value)


def _int(field: Field, value: object) -> int:
    if not is_int(value):
        raise fail(field.name, "must be an integer")
    assert isinstance(value, int)
    return value


def _num(field: Field, value: object) -> float | int:
    if not is_number(value):
        raise fail(field.name, "must be a number")
    return value  # type: ignore[return-value]


def _str(field: Field, value: object) -> str:
    if not isinstance(value, str):
        raise fail(field.name, "must be a string")
    if field.required and not value.strip():
        raise fail(field.name, "must not be empty")
    return value


def _bool(field: Field, value: object) -> bool:
    if not isinstance(value, bool):
        raise fail(field.name, "must be a boolean (true or false)")
    return value


def _time(field: Field, value: object) -> float:
    parsed = parse_rfc3339(value) if isinstance(value, str) else None
    if parsed is None:
        raise fail(field.name, "must be an RFC 3339 date-time such as 2025-01-01T10:20:00Z")
    return parsed


def _date(field: Field, value: object) -> str:
    parsed = parse_date(value) if isinstance(value, str) else None
    if parsed is None:
        raise fail(field.name, "must be a date YYYY-MM-DD")
    return parsed


def _ints(field: Field, value: object) -> list[int]:
    if not isinstance(value, list) or not all(is_int(v) for v in value):
        raise fail(field.name, "must be an array of integers")
    return list(value)


def _strs(field: Field, value: object) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise fail(field.name, "must be an array of strings")
    return list(value)


def _choice(field: Field, value: object) -> object:
    # `in` alone would let True pass for 1: compare types too.
    if not any(type(value) is type(c) and value == c for c in field.choices):
        raise fail(field.name, f"must be one of {', '.join(map(str, field.choices))}")
    return value


def _objects(field: Field, value: object, keys: dict[str, Callable[[object], bool]]) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise fail(field.name, "must be an array of objects")
    for item in value:
        for key, item_value in item.items():
            test = keys.get(key)
            if test is None:
                raise fail(field.name, f"unknown property {key!r}")
            if not test(item_value):
                raise fail(field.name, f"{key} has the wrong type")
    return [dict(item) for item in value]


def _is_str(v: object) -> bool:
    return isinstance(v, str)


def _is_bool(v: object) -> bool:
    return isinstance(v, bool)


def _contacts(field: Field, value: object) -> list[dict[str, Any]]:
    items = _objects(field, value, {"value": _is_str, "primary": _is_bool, "label": _is_str})
    if any("value" not in item for item in items):
        raise fail(field.name, "every item needs a value")
    return [
        {"value": i["value"], "primary": i.get("primary", False), "label": i.get("label", "work")}
        for i in items
    ]


def _address(field: Field, value: object) -> dict[str, str]:
    if not isinstance(value, dict):
        raise fail(field.name, "must be an object")
    for key, item in value.items():
        if key not in ADDRESS_KEYS:
            raise fail(field.name, f"unknown property {key!r}")
        if not isinstance(item, str):
            raise fail(field.name, f"{key} must be a string")
    return dict(value)


def _prices(field: Field, value: object) -> list[dict[str, Any]]:
    keys = {
        "price": is_number,
        "cost": is_number,
        "currency": _is_str,
        "direct_cost": is_number,
        "notes": _is_str,
    }
    items = _objects(field, value, keys)
    if any("currency" not in item for item in items):
        raise fail(field.name, "every price needs a currency")
    return items


def _participants(field: Field, value: object) -> list[dict[str, Any]]:
    return _objects(field, value, {"person_id": is_int, "primary": _is_bool})


def _attendees(field: Field, value: object) -> list[dict[str, Any]]:
    keys = {"email": _is_str, "name": _is_str, "status": _is_str, "is_organizer": _is_bool}
    return _objects(field, value, {**keys, "person_id": is_int, "user_id": is_int})


_CHECKS: Final[dict[str, Callable[[Field, object], Any]]] = {
    "int": _int, "num": _num, "str": _str, "bool": _bool, "time": _time, "date": _date,
    "ints": _ints, "strs": _strs, "choice": _choice, "contacts": _contacts, "address": _address,
    "prices": _prices, "participants": _participants, "attendees": _attendees,
}  # fmt: skip
