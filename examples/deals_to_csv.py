#!/usr/bin/env python3
"""Write every deal of a Pipedrive account to a CSV file, with the login `pdauth login` made.

    python examples/deals_to_csv.py deals.csv                        # the default profile
    python examples/deals_to_csv.py deals.csv -p staging             # another profile
    python examples/deals_to_csv.py - --status open                  # open deals only, to stdout
    python examples/deals_to_csv.py deals.csv --emulator http://127.0.0.1:8977   # `pdauth emulator`

Deals are read page by page (500 a page, API v2 cursors) and written as they arrive, so memory stays flat
however many there are. The file appears only once every deal is in it: a run that fails leaves nothing
half-written behind.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
from collections.abc import Iterable
from typing import Any, TextIO

import pdauth

COLUMNS = (
    "id",
    "title",
    "value",
    "currency",
    "status",
    "pipeline_id",
    "stage_id",
    "owner_id",
    "person_id",
    "org_id",
    "add_time",
    "update_time",
)


def write_deals(deals: Iterable[dict[str, Any]], out: TextIO) -> int:
    """Write `deals` as CSV rows (one column per COLUMNS entry); how many were written."""
    writer = csv.DictWriter(out, fieldnames=COLUMNS, extrasaction="ignore")
    writer.writeheader()
    count = 0
    for deal in deals:
        writer.writerow({column: deal.get(column) for column in COLUMNS})
        count += 1
    return count


def export(session: pdauth.Session, output: str, status: str | None) -> int:
    deals = session.paginate("/v2/deals", params={"status": status})  # a None value is left out
    if output == "-":
        return write_deals(deals, sys.stdout)
    partial = f"{output}.part"
    try:
        with open(partial, "w", newline="", encoding="utf-8") as out:
            count = write_deals(deals, out)
        os.replace(partial, output)
    finally:
        if os.path.exists(partial):
            os.unlink(partial)
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write every Pipedrive deal to a CSV file.")
    parser.add_argument("output", help="the CSV file to write, or - for stdout")
    parser.add_argument("-p", "--profile", help="the pdauth profile (default: PDAUTH_PROFILE or the default)")
    parser.add_argument(
        "--status", choices=("open", "won", "lost", "deleted"), help="only deals with this status"
    )
    parser.add_argument("--emulator", metavar="URL", help="a local `pdauth emulator` instead of a profile")
    args = parser.parse_args(argv)
    try:
        with pdauth.Session(args.profile, emulator=args.emulator) as session:
            count = export(session, args.output, args.status)
            info = session.token_info()
    except pdauth.PdauthError as exc:  # pdauth's errors carry the line the CLI would print
        print(f"error: {exc.one_line()}", file=sys.stderr)
        return int(exc.exit_code)
    print(f"{count} deals of {info.api_domain} written to {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
