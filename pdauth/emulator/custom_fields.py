"""Custom fields: declared when the emulator starts (or added through a fields endpoint), checked
strictly in v2 bodies, and sent inside `custom_fields` keyed by a 40-hex key, as Pipedrive does."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Final

from pdauth.emulator.schema import fail, is_int, is_number
from pdauth.emulator.timefmt import parse_date

ENTITIES: Final = ("deal", "person", "organization", "product")
# Field types the emulator stores and checks (a subset of the SDK's `field_type` enum).
TYPES: Final = (
    "varchar",
    "text",
    "phone",
    "double",
    "monetary",
    "date",
    "enum",
    "set",
    "user",
    "org",
    "people",
)


@dataclass(frozen=True)
class CustomField:
    entity: str
    name: str
    type: str
    options: tuple[tuple[int, str], ...] = ()  # (option id, label) for enum and set

    @property
    def key(self) -> str:
        # Pipedrive's custom field keys are 40 hex characters; derive ours so they are stable.
        return hashlib.sha1(f"{self.entity}:{self.name}".encode(), usedforsecurity=False).hexdigest()

    def check(self, value: object) -> Any:
        """The stored value for a v2 body's `custom_fields[key]`, or a 400."""
        if value is None:
            return None
        where = f"custom_fields.{self.key}"
        if self.type in ("varchar", "text", "phone"):
            if not isinstance(value, str):
                raise fail(where, "must be a string")
        elif self.type == "double":
            if not is_number(value):
                raise fail(where, "must be a number")
        elif self.type == "monetary":
            if not (
                isinstance(value, dict)
                and set(value) <= {"value", "currency"}
                and is_number(value.get("value"))
                and isinstance(value.get("currency", "EUR"), str)
            ):
                raise fail(where, 'must be {"value": number, "currency": "EUR"}')
            return {"value": value["value"], "currency": value.get("currency", "EUR")}
        elif self.type == "date":
            if not isinstance(value, str) or parse_date(value) is None:
                raise fail(where, "must be a date YYYY-MM-DD")
        elif self.type == "enum":
            if not is_int(value) or value not in self.option_ids:
                raise fail(where, f"must be one of the option ids {list(self.option_ids)}")
        elif self.type == "set":
            if not isinstance(value, list) or not all(is_int(v) and v in self.option_ids for v in value):
                raise fail(where, f"must be an array of option ids {list(self.option_ids)}")
        elif not is_int(value):  # user, org, people: an id
            raise fail(where, "must be an integer id")
        return value

    @property
    def option_ids(self) -> tuple[int, ...]:
        return tuple(i for i, _ in self.options)


def parse_spec(spec: str, first_option_id: int = 1) -> CustomField:
    """`entity:Name:type[:Option|Option…]`, e.g. `deal:Budget:monetary`, `deal:Source:enum:Web|Event`."""
    parts = spec.split(":", 3)
    if len(parts) < 3 or not parts[1].strip():
        raise ValueError(f"custom field {spec!r}: use entity:Name:type[:Option|Option...]")
    entity, name, kind = parts[0].strip(), parts[1].strip(), parts[2].strip()
    if entity not in ENTITIES:
        raise ValueError(f"custom field {spec!r}: entity must be one of {', '.join(ENTITIES)}")
    if kind not in TYPES:
        raise ValueError(f"custom field {spec!r}: type must be one of {', '.join(TYPES)}")
    labels = [o.strip() for o in parts[3].split("|")] if len(parts) == 4 else []
    if (kind in ("enum", "set")) != bool(labels) or any(not label for label in labels):
        raise ValueError(f"custom field {spec!r}: enum and set take options (a|b|c), other types none")
    options = tuple((first_option_id + i, label) for i, label in enumerate(labels))
    return CustomField(entity, name, kind, options)


class CustomFieldTable:
    """The company's custom fields per entity, in declaration order."""

    def __init__(self, specs: tuple[str, ...] = ()) -> None:
        self._fields: dict[str, list[CustomField]] = {entity: [] for entity in ENTITIES}
        self._next_option = 1
        for spec in specs:
            self.add(parse_spec(spec, self._next_option))

    def add(self, field: CustomField) -> CustomField:
        if any(f.name == field.name for f in self._fields[field.entity]):
            raise ValueError(f"a {field.entity} custom field named {field.name!r} exists")
        self._fields[field.entity].append(field)
        self._next_option = max([self._next_option, *(i + 1 for i in field.option_ids)])
        return field

    def next_option_id(self) -> int:
        return self._next_option

    def of(self, entity: str) -> list[CustomField]:
        return self._fields.get(entity, [])

    def by_key(self, entity: str, key: str) -> CustomField | None:
        return next((f for f in self.of(entity) if f.key == key), None)

    def remove(self, entity: str, key: str) -> CustomField | None:
        field = self.by_key(entity, key)
        if field is not None:
            self._fields[entity].remove(field)
        return field
