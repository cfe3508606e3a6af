"""In-memory tables: rows by id, ids ascending and never reused, and a revision per row for caches.

All access happens under the emulator's one state lock (App.lock); nothing here locks on its own.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from typing import Any

Row = dict[str, Any]


class Table:
    """Rows of one kind. A deleted row of a v2 resource stays (is_deleted) so status=deleted finds it."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.rows: dict[int, Row] = {}
        self.ids: list[int] = []  # ascending: ids are handed out in order and never reused
        self.revs: dict[int, int] = {}
        self.next_id = 1
        self.live = 0  # rows not marked deleted
        self.version = 0  # bumped on every change: caches of things derived from the table check it

    def insert(self, row: Row, row_id: int | None = None) -> Row:
        """Add a row under the next id (or a given one, e.g. a user's, kept in order)."""
        if row_id is None:
            row_id = self.next_id
        if row_id in self.rows:
            raise ValueError(f"{self.name} {row_id} exists")
        self.next_id = max(self.next_id, row_id + 1)
        row["id"] = row_id
        self.rows[row_id] = row
        if self.ids and row_id < self.ids[-1]:
            bisect.insort(self.ids, row_id)
        else:
            self.ids.append(row_id)
        self.revs[row_id] = 0
        self.version += 1
        if not row.get("is_deleted"):
            self.live += 1
        return row

    def get(self, row_id: int) -> Row | None:
        return self.rows.get(row_id)

    def touch(self, row: Row) -> None:
        """Mark a row changed, so cached renderings of it are dropped."""
        self.revs[row["id"]] += 1
        self.version += 1

    def mark_deleted(self, row: Row) -> None:
        if not row.get("is_deleted"):
            row["is_deleted"] = True
            self.live -= 1
        self.touch(row)

    def remove(self, row_id: int) -> Row | None:
        """Forget a row entirely (v1 objects without a deleted state: notes, webhooks)."""
        row = self.rows.pop(row_id, None)
        if row is not None:
            self.ids.pop(bisect.bisect_left(self.ids, row_id))
            del self.revs[row_id]
            self.version += 1
            if not row.get("is_deleted"):
                self.live -= 1
        return row

    def after(self, after_id: int, descending: bool = False) -> Iterator[Row]:
        """Rows in id order strictly after `after_id` (0 = from the start)."""
        if descending:
            stop = bisect.bisect_left(self.ids, after_id) if after_id else len(self.ids)
            for i in range(stop - 1, -1, -1):
                yield self.rows[self.ids[i]]
        else:
            for i in range(bisect.bisect_right(self.ids, after_id), len(self.ids)):
                yield self.rows[self.ids[i]]

    def __iter__(self) -> Iterator[Row]:
        return (self.rows[i] for i in self.ids)

    def __len__(self) -> int:
        return len(self.ids)


class RenderCache:
    """Serialized JSON per row, valid while the row's revision and the table's generation stand.

    Paging 25,000 deals re-sends the same rows again and again; encoding each once keeps a page of
    500 as cheap as joining 500 byte strings. `generation` changes when something every rendering
    depends on changes (a custom field declared, a user renamed).
    """

    def __init__(self) -> None:
        self._entries: dict[tuple[str, str, int], tuple[int, int, bytes]] = {}
        self.generation = 0

    def get(self, table: Table, style: str, row: Row) -> bytes | None:
        entry = self._entries.get((table.name, style, row["id"]))
        if entry is None or entry[0] != table.revs[row["id"]] or entry[1] != self.generation:
            return None
        return entry[2]

    def put(self, table: Table, style: str, row: Row, data: bytes) -> None:
        self._entries[(table.name, style, row["id"])] = (table.revs[row["id"]], self.generation, data)

    def invalidate(self) -> None:
        self.generation += 1
        if len(self._entries) > 500_000:  # bound memory when the generation keeps moving
            self._entries.clear()
