"""The table of API v2 resources that drives the generic engine: fields, filters, sorts, scopes, search.

Every entry is read off the official Node SDK (npm `pipedrive` 33.x, `dist/versions/v2`): the fields
and their nullability from the model (`Deal`, `Person`, `Organization`, `Activity`, `Product`,
`Pipeline`, `Stage`), what a body may set from `Add…Request`/`Update…Request`, the list filters and
sorts from the API class's `get…` parameters, the scopes from its `setOAuthToObject` calls.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Final

from pdauth.emulator.schema import Field

VISIBLE_TO: Final = (1, 3, 5, 7)
ADMIN: Final = ("admin",)


@dataclass(frozen=True)
class Resource:
    name: str  # "deal": the webhook event object and the search item type
    plural: str  # "deals": the path under /api/v2/
    label: str  # "Deal", as in "Deal not found"
    fields: tuple[Field, ...]
    read_scopes: tuple[str, ...]
    write_scopes: tuple[str, ...]
    filters: tuple[str, ...]  # list query parameters (besides cursor, limit, sort_by, sort_direction)
    sorts: tuple[str, ...]
    search_fields: tuple[str, ...] = ()  # `fields` a search may name; () = no /search endpoint
    fields_path: str = ""  # e.g. "dealFields"; "" = no fields endpoint
    custom_fields: bool = False  # the model has a custom_fields object
    webhooks: bool = True  # webhooks v2 has this event object

    def field(self, name: str) -> Field | None:
        return self._by_name.get(name)

    @cached_property
    def _by_name(self) -> dict[str, Field]:
        return {f.name: f for f in self.fields}

    @cached_property
    def output_fields(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.output)


def _f(name: str, kind: str = "int", **kw: object) -> Field:
    return Field(name, kind, **kw)  # type: ignore[arg-type]


_TIMES: Final = (_f("add_time", "time"), _f("update_time", "time"))
_ID: Final = _f("id")
_OWNER: Final = _f("owner_id", write="rw", ref="user")
_DELETED: Final = _f("is_deleted", "bool")
_VISIBLE: Final = _f("visible_to", "choice", write="rw", choices=VISIBLE_TO)
_LABELS: Final = _f("label_ids", "ints", write="rw")
_COMMON_FILTERS: Final = ("filter_id", "ids", "owner_id", "updated_since", "updated_until")
_IGNORED_LIST_OPTIONS: Final = ("include_fields", "custom_fields", "include_option_labels", "include_labels")

DEAL: Final = Resource(
    name="deal",
    plural="deals",
    label="Deal",
    fields=(
        _ID,
        _f("title", "str", write="rw", required=True),
        _OWNER,
        _f("person_id", nullable=True, write="rw", ref="person"),
        _f("org_id", nullable=True, write="rw", ref="organization"),
        _f("pipeline_id", write="rw", ref="pipeline"),
        _f("stage_id", write="rw", ref="stage"),
        _f("value", "num", write="rw"),
        _f("currency", "str", write="rw"),
        *_TIMES,
        _f("stage_change_time", "time", nullable=True),
        _f("is_deleted", "bool", write="rw"),
        _f("is_archived", "bool", write="rw"),
        _f("status", "choice", write="rw", choices=("open", "won", "lost")),
        _f("probability", "num", nullable=True, write="rw"),
        _f("lost_reason", "str", nullable=True, write="rw"),
        _VISIBLE,
        _f("close_time", "time", nullable=True, write="rw"),
        _f("won_time", "time", nullable=True, write="rw"),
        _f("lost_time", "time", nullable=True, write="rw"),
        _f("expected_close_date", "date", nullable=True, write="rw"),
        _LABELS,
        _f("origin", "str"),
        _f("origin_id", "str", nullable=True),
        _f("channel", nullable=True),
        _f("channel_id", "str", nullable=True),
        _f("source_lead_id", "str", nullable=True),
        _f("arr", "num", nullable=True),
        _f("mrr", "num", nullable=True),
        _f("acv", "num", nullable=True),
        _f("archive_time", "time", nullable=True, write="rw", output=False),
    ),
    read_scopes=("deals:read", "deals:full"),
    write_scopes=("deals:full",),
    filters=(
        *_COMMON_FILTERS,
        "person_id",
        "org_id",
        "pipeline_id",
        "stage_id",
        "status",
        *_IGNORED_LIST_OPTIONS,
    ),
    sorts=("id", "update_time", "add_time"),
    search_fields=("custom_fields", "notes", "title"),
    fields_path="dealFields",
    custom_fields=True,
)

PERSON: Final = Resource(
    name="person",
    plural="persons",
    label="Person",
    fields=(
        _ID,
        _f("name", "str", write="rw", required=True),
        _f("first_name", "str"),
        _f("last_name", "str"),
        _OWNER,
        _f("org_id", write="rw", ref="organization"),
        *_TIMES,
        _f("emails", "contacts", write="rw"),
        _f("phones", "contacts", write="rw"),
        _DELETED,
        _VISIBLE,
        _LABELS,
        _f("picture_id"),
        _f("postal_address", "address", write="rw"),
        _f("notes", "str", write="rw"),
        _f("im", "contacts", write="rw"),
        _f("birthday", "date", write="rw"),
        _f("job_title", "str", write="rw"),
        _f(
            "marketing_status",
            "choice",
            write="rw",
            output=False,
            choices=("no_consent", "unsubscribed", "subscribed", "archived"),
        ),
    ),
    read_scopes=("contacts:read", "contacts:full"),
    write_scopes=("contacts:full",),
    filters=(*_COMMON_FILTERS, "org_id", "deal_id", *_IGNORED_LIST_OPTIONS),
    sorts=("id", "update_time", "add_time"),
    search_fields=("custom_fields", "email", "notes", "phone", "name"),
    fields_path="personFields",
    custom_fields=True,
)

ORGANIZATION: Final = Resource(
    name="organization",
    plural="organizations",
    label="Organization",
    fields=(
        _ID,
        _f("name", "str", write="rw", required=True),
        _OWNER,
        *_TIMES,
        _DELETED,
        _VISIBLE,
        _f("address", "address", write="rw"),
        _LABELS,
        _f("website", "str", nullable=True, write="rw"),
        _f("linkedin", "str", nullable=True, write="rw"),
        _f("industry", nullable=True, write="rw"),
        _f("annual_revenue", "num", nullable=True, write="rw"),
        _f("employee_count", nullable=True, write="rw"),
    ),
    read_scopes=("contacts:read", "contacts:full"),
    write_scopes=("contacts:full",),
    filters=(*_COMMON_FILTERS, *_IGNORED_LIST_OPTIONS),
    sorts=("id", "update_time", "add_time"),
    search_fields=("address", "custom_fields", "notes", "name"),
    fields_path="organizationFields",
    custom_fields=True,
)

ACTIVITY: Final = Resource(
    name="activity",
    plural="activities",
    label="Activity",
    fields=(
        _ID,
        _f("subject", "str", write="rw"),
        _f("type", "str", write="rw"),
        _OWNER,
        _f("creator_user_id"),
        _DELETED,
        *_TIMES,
        _f("deal_id", write="rw", ref="deal"),
        _f("lead_id", "str", write="rw"),
        _f("person_id", write="rw", ref="person"),
        _f("org_id", write="rw", ref="organization"),
        _f("project_id", write="rw"),
        _f("due_date", "date", write="rw"),
        _f("due_time", "str", write="rw"),
        _f("duration", "str", write="rw"),
        _f("busy", "bool", write="rw"),
        _f("done", "bool", write="rw"),
        _f("marked_as_done_time", "time"),
        _f("location", "address", write="rw"),
        _f("participants", "participants", write="rw"),
        _f("attendees", "attendees", write="rw"),
        _f("conference_meeting_client", "str"),
        _f("conference_meeting_url", "str"),
        _f("conference_meeting_id", "str"),
        _f("public_description", "str", write="rw"),
        _f("priority", write="rw"),
        _f("outcome", nullable=True, write="rw"),
        _f("note", "str", write="rw"),
    ),
    read_scopes=("activities:read", "activities:full"),
    write_scopes=("activities:full",),
    filters=(*_COMMON_FILTERS, "deal_id", "lead_id", "person_id", "org_id", "done", "include_fields"),
    sorts=("id", "update_time", "add_time", "due_date"),
)

PRODUCT: Final = Resource(
    name="product",
    plural="products",
    label="Product",
    fields=(
        _ID,
        _f("name", "str", write="rw", required=True),
        _f("code", "str", write="rw"),
        _f("unit", "str", write="rw"),
        _f("tax", "num", write="rw"),
        _DELETED,
        _f("is_linkable", "bool", write="rw"),
        _VISIBLE,
        _OWNER,
        *_TIMES,
        _f("description", "str", write="rw"),
        # The request model takes a category id (a number), the response model a string.
        _f("category", nullable=True, write="rw"),
        _f(
            "billing_frequency",
            "choice",
            write="rw",
            choices=("annually", "quarterly", "monthly", "weekly", "one-time", "semi-annually"),
        ),
        _f("billing_frequency_cycles", nullable=True, write="rw"),
        _f("prices", "prices", write="rw"),
    ),
    read_scopes=("products:read", "products:full"),
    write_scopes=("products:full",),
    filters=("owner_id", "ids", "filter_id", "updated_since", "custom_fields"),
    sorts=("id", "name", "add_time", "update_time"),
    search_fields=("code", "custom_fields", "name"),
    fields_path="productFields",
    custom_fields=True,
)

PIPELINE: Final = Resource(
    name="pipeline",
    plural="pipelines",
    label="Pipeline",
    fields=(
        _ID,
        _f("name", "str", write="rw", required=True),
        _f("order_nr"),
        _DELETED,
        _f("is_deal_probability_enabled", "bool", write="rw"),
        *_TIMES,
    ),
    read_scopes=("deals:read", "deals:full", "admin"),
    write_scopes=ADMIN,
    filters=(),
    sorts=("id", "update_time", "add_time"),
    webhooks=False,  # pipeline events exist in webhooks v1 only
)

STAGE: Final = Resource(
    name="stage",
    plural="stages",
    label="Stage",
    fields=(
        _ID,
        _f("order_nr"),
        _f("name", "str", write="rw", required=True),
        _DELETED,
        _f("deal_probability", write="rw"),
        _f("pipeline_id", write="rw", required=True, ref="pipeline"),
        _f("is_deal_rot_enabled", "bool", write="rw"),
        _f("days_to_rotten", nullable=True, write="rw"),
        *_TIMES,
    ),
    read_scopes=("deals:read", "deals:full", "admin"),
    write_scopes=ADMIN,
    filters=("pipeline_id",),
    sorts=("id", "update_time", "add_time", "order_nr"),
    webhooks=False,
)

RESOURCES: Final = (DEAL, PERSON, ORGANIZATION, ACTIVITY, PRODUCT, PIPELINE, STAGE)
BY_NAME: Final = {r.name: r for r in RESOURCES}
BY_PLURAL: Final = {r.plural: r for r in RESOURCES}
