"""Seed data that looks like a small company: users, two pipelines, organizations, their people,
deals across pipelines and stages, activities, products, notes and leads.

Deterministic for a seed: the same `--seed` gives the same data byte for byte (times are anchored to
2026-01-01, not to the wall clock). Deal n is always titled "Deal n" and worth 1000 × n, so tests can
predict them; everything around it comes from the seeded generator.
"""

from __future__ import annotations

import functools
import random
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final, TypeVar

from pdauth.emulator.rules import DEFAULTS
from pdauth.emulator.timefmt import day

T = TypeVar("T")

if TYPE_CHECKING:
    from pdauth.emulator.config import EmulatorConfig
    from pdauth.emulator.world import World

ANCHOR: Final = 1767225600.0  # 2026-01-01T00:00:00Z: seed times lie in the year before
YEAR: Final = 365 * 86400
PIPELINES: Final = (
    (
        "Sales pipeline",
        ("Qualified", "Contact made", "Demo scheduled", "Proposal made", "Negotiations started"),
    ),
    ("Partnerships", ("Lead in", "In talks", "Signed")),
)
ACTIVITY_TYPES: Final = (  # Pipedrive's default types: (name, key_string = icon_key)
    ("Call", "call"), ("Meeting", "meeting"), ("Task", "task"),
    ("Deadline", "deadline"), ("Email", "email"), ("Lunch", "lunch"),
)  # fmt: skip
COLLEAGUES: Final = (("Mari Tamm", "mari"), ("Jaan Kask", "jaan"), ("Liis Saar", "liis"))
FIRST: Final = (
    "Anna",
    "Ben",
    "Carla",
    "David",
    "Eva",
    "Frank",
    "Grete",
    "Hugo",
    "Ines",
    "Jonas",
    "Kadri",
    "Lars",
)
LAST: Final = (
    "Smith",
    "Ivanova",
    "Müller",
    "Rossi",
    "Kask",
    "Novak",
    "Berg",
    "Silva",
    "Tamm",
    "Moreau",
    "Lind",
)
ORG_WORDS: Final = (
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Hooli",
    "Stark",
    "Wayne",
    "Vandelay",
    "Tyrell",
    "Soylent",
)
ORG_KINDS: Final = ("Ltd", "GmbH", "OÜ", "Inc", "AB", "Group")
CITIES: Final = (
    ("Tallinn", "Estonia"),
    ("Berlin", "Germany"),
    ("Helsinki", "Finland"),
    ("London", "United Kingdom"),
)
PRODUCTS: Final = (
    "Consulting hour",
    "Annual licence",
    "Onboarding",
    "Support plan",
    "Training day",
    "Hardware kit",
)


def sizes(config: EmulatorConfig) -> dict[str, int]:
    """How many of each: explicit options win; otherwise proportions of --deals (0 deals: none)."""
    deals = config.deals

    def share(given: int | None, divisor: int) -> int:
        return given if given is not None else (max(1, deals // divisor) if deals else 0)

    return {
        "deal": deals,
        "organization": share(config.organizations, 10),
        "person": share(config.persons, 4),
        "activity": share(config.activities, 4),
        "product": config.products if config.products is not None else min(deals, len(PRODUCTS)),
        "note": share(None, 20),
        "lead": share(None, 20),
    }


def populate(world: World, config: EmulatorConfig) -> None:
    rng = _Draw(config.seed)
    t = world.tables
    _users(world, config)
    for number, (name, stage_names) in enumerate(PIPELINES, 1):
        t["pipeline"].insert({**DEFAULTS["pipeline"], "name": name, "order_nr": number, **_times(rng)})
        for order, stage_name in enumerate(stage_names, 1):
            stage_row = {**DEFAULTS["stage"], "name": stage_name, "pipeline_id": number, "order_nr": order}
            t["stage"].insert({**stage_row, "deal_probability": min(100, 20 * order), **_times(rng)})
    for order, (name, key) in enumerate(ACTIVITY_TYPES, 1):
        t["activity_type"].insert(
            {"name": name, "icon_key": key, "color": "", "order_nr": order, "key_string": key,
             "active_flag": True, "is_custom_flag": False, "add_time": ANCHOR - YEAR, "update_time": ANCHOR - YEAR}
        )  # fmt: skip
    n = sizes(config)
    users = [u["id"] for u in t["user"]]
    stage_ids = [s["id"] for s in t["stage"]]
    stages = {s["id"]: s for s in t["stage"]}
    for i in range(1, n["organization"] + 1):
        city, country = rng.pick(CITIES)
        name = f"{rng.pick(ORG_WORDS)} {rng.pick(ORG_KINDS)}" + (f" {i}" if i > len(ORG_WORDS) else "")
        address = {
            "value": f"{rng.upto(99)} Main Street, {city}, {country}",
            "locality": city,
            "country": country,
        }
        t["organization"].insert(
            {**DEFAULTS["organization"], "name": name, "owner_id": rng.pick(users), "address": address,
             "website": f"https://{name.split()[0].lower()}.example", "linkedin": None, "industry": None,
             "annual_revenue": None, "employee_count": rng.pick((5, 12, 40, 250)), **_times(rng)}
        )  # fmt: skip
    orgs = n["organization"]
    for number in range(1, n["person"] + 1):
        first, last = rng.pick(FIRST), rng.pick(LAST)
        org_id = rng.upto(orgs) if orgs and rng.random() < 0.9 else None
        domain = t["organization"].rows[org_id]["website"][8:] if org_id else "mail.example"
        t["person"].insert(
            {**DEFAULTS["person"], "name": f"{first} {last}", "first_name": first, "last_name": last,
             "owner_id": rng.pick(users), "org_id": org_id, "job_title": rng.pick(("CEO", "CTO", "Buyer", "")),
             "picture_id": 7_000 + number if number % 3 == 1 else None,  # every third has a photo
             "emails": [{"value": f"{first}.{last}@{domain}".lower(), "primary": True, "label": "work"}],
             "phones": [{"value": f"+372 5{99 + rng.upto(900)} {999 + rng.upto(9000)}", "primary": True,
                         "label": "mobile"}], **_times(rng)}
        )  # fmt: skip
    persons = t["person"].rows
    for i in range(1, n["deal"] + 1):
        person_id = rng.upto(len(persons)) if persons and rng.random() < 0.85 else None
        org_id = persons[person_id]["org_id"] if person_id else (rng.upto(orgs) if orgs else None)
        stage = stages[rng.pick(stage_ids)]
        status = _status(rng.random())
        times = _times(rng)
        row: dict[str, Any] = {
            **DEFAULTS["deal"], "title": f"Deal {i}", "value": 1000 * i,
            "currency": _currency(rng.random()), "owner_id": rng.pick(users),
            "person_id": person_id, "org_id": org_id, "pipeline_id": stage["pipeline_id"], "stage_id": stage["id"],
            "status": status, "origin": "ManuallyCreated", "stage_change_time": times["update_time"], **times,
            "won_time": None, "lost_time": None, "close_time": None,
            "expected_close_date": _day(times["add_time"] + 60 * 86400) if status == "open" else None,
        }  # fmt: skip
        if status != "open":
            row["close_time"] = row[f"{status}_time"] = times["update_time"]
            row["lost_reason"] = "Price" if status == "lost" else None
        t["deal"].insert(row)
    deals = t["deal"].rows
    for _ in range(n["lead"]):
        person_id = rng.upto(len(persons)) if persons else None
        lead_uuid = str(uuid.UUID(int=int(rng.random() * 2**53) << 75 | int(rng.random() * 2**53), version=4))
        lead = {"uuid": lead_uuid, "title": f"Lead from {persons[person_id]['name'] if person_id else 'the website'}",
               "owner_id": rng.pick(users), "creator_id": rng.pick(users), "person_id": person_id,
               "organization_id": persons[person_id]["org_id"] if person_id else None,
               "value": {"amount": rng.pick((1000, 5000)), "currency": "EUR"}, "is_archived": False,
               "was_seen": rng.random() < 0.5, **_times(rng)}  # fmt: skip
        world.lead_ids[lead_uuid] = t["lead"].insert(lead)["id"]
    lead_uuids = list(world.lead_ids)
    for number in range(1, n["activity"] + 1):
        deal = deals[rng.upto(len(deals))] if deals else None
        # Every fourth is a meeting (a video call); the rest any type.
        kind, _key = ACTIVITY_TYPES[1] if number % 4 == 0 else rng.pick(ACTIVITY_TYPES)
        times = _times(rng)
        extra: dict[str, Any] = {}
        if _key == "meeting":  # a video call, as calendar-synced meetings have
            extra = {"conference_meeting_client": "zoom", "conference_meeting_id": str(900_000 + number),
                     "conference_meeting_url": f"https://zoom.example/j/{900_000 + number}"}  # fmt: skip
        if lead_uuids and number % 5 == 2:  # one in five follows up a lead
            extra["lead_id"] = rng.pick(lead_uuids)
        t["activity"].insert(
            {**DEFAULTS["activity"], "subject": f"{kind} about {deal['title'] if deal else 'pipeline'}",
             "type": _key, "owner_id": rng.pick(users), "creator_user_id": rng.pick(users),
             "deal_id": deal["id"] if deal else None, "person_id": deal["person_id"] if deal else None,
             "org_id": deal["org_id"] if deal else None, "due_date": _day(times["add_time"] + 7 * 86400),
             "due_time": f"{7 + rng.upto(10):02d}:00", "duration": "00:30", "done": (done := rng.random() < 0.5),
             "marked_as_done_time": times["update_time"] if done else None, "note": "", **extra, **times}
        )  # fmt: skip
    for i in range(n["product"]):
        price = float(rng.pick((50, 120, 990, 4500)))
        t["product"].insert(
            {**DEFAULTS["product"], "name": PRODUCTS[i % len(PRODUCTS)] + (f" {i + 1}" if i >= len(PRODUCTS) else ""),
             "code": f"P-{100 + i}", "unit": "pcs", "owner_id": users[0], "category": None,
             "billing_frequency_cycles": None,
             "prices": [{"currency": "EUR", "price": price, "cost": round(price * 0.6, 2), "direct_cost": None,
                         "notes": ""}], **_times(rng)}
        )  # fmt: skip
    for _ in range(n["note"]):
        deal = deals[rng.upto(len(deals))]
        t["note"].insert(
            {"content": f"Spoke with the customer about {deal['title']}.", "deal_id": deal["id"],
             "person_id": deal["person_id"], "org_id": deal["org_id"], "lead_id": None, "user_id": rng.pick(users),
             "active_flag": True, "pinned_to_deal_flag": False, **_times(rng)}
        )  # fmt: skip


class _Draw:
    """random.Random's choice/randint/choices, cut to the one call each needs: seeding 25,000 deals
    makes a few hundred thousand draws, and the stdlib's general versions were most of start-up."""

    def __init__(self, seed: int) -> None:
        self._random = random.Random(seed).random

    def random(self) -> float:
        return self._random()

    def pick(self, items: Sequence[T]) -> T:
        return items[int(self._random() * len(items))]

    def upto(self, n: int) -> int:
        """1..n"""
        return int(self._random() * n) + 1

    def between(self, low: float, high: float) -> float:
        return low + (high - low) * self._random()


def _users(world: World, config: EmulatorConfig) -> None:
    identity = config.identity
    users = world.tables["user"]
    users.insert(world.user_row(identity.user_name, identity.user_email), identity.user_id)
    domain = identity.user_email.partition("@")[2] or "example.com"
    for name, handle in COLLEAGUES:
        users.insert(world.user_row(name, f"{handle}@{domain}", admin=False))


@functools.lru_cache(maxsize=1024)
def _day_of(day_number: int) -> str:
    return day(day_number * 86400.0)


def _day(epoch: float) -> str:
    """The date of `epoch`; seed dates fall on a few hundred days, so each is formatted once."""
    return _day_of(int(epoch // 86400))


def _status(draw: float) -> str:
    return "open" if draw < 0.8 else "won" if draw < 0.92 else "lost"


def _currency(draw: float) -> str:
    return "EUR" if draw < 0.8 else "USD" if draw < 0.9 else "GBP"


def _times(rng: _Draw) -> dict[str, float]:
    added = ANCHOR - rng.between(30 * 86400, YEAR)
    return {"add_time": float(int(added)), "update_time": float(int(added + rng.between(0, 20 * 86400)))}
