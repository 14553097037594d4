"""Who approved the order set and when it must be reviewed (the profile's `[governance]`).

CMS and ISMP expect a standard order set to be approved by medical, nursing and pharmacy
leadership and reviewed periodically. The profile records that approval; every output shows it
next to the order set, rules and profile versions, and a build after `review_due` raises a
warning (or, with `when_overdue = "refuse"`, is refused).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from orderset.errors import InputError
from orderset.model import Governance
from orderset.settings import Setting, Settings

SECTION = "governance"
WHEN_OVERDUE = ("warn", "refuse")

SETTINGS = (
    Setting(
        SECTION,
        "approved_by",
        "",
        "Who approved this order set (e.g. 'Medical, nursing and pharmacy leadership, P&T"
        " committee').",
        str,
    ),
    Setting(SECTION, "approved_on", None, "Date of approval (TOML date, 2026-11-24).", dt.date),
    Setting(SECTION, "review_due", None, "Date the order set must be reviewed by.", dt.date),
    Setting(
        SECTION,
        "when_overdue",
        "warn",
        "After review_due: 'warn' (a warning alert on every output) or 'refuse' (no build).",
        str,
        choices=WHEN_OVERDUE,
    ),
)


def _date(settings: Settings, key: str) -> dt.date | None:
    value: Any = settings.get(SECTION, key)
    if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise InputError(f"{SECTION}.{key}", f"{value!r} is not a date (write 2026-11-24)")


def governance(settings: Settings, today: dt.date) -> Governance:
    """The profile's approval record as of `today` (the case's assessment date)."""
    approved_on = _date(settings, "approved_on")
    review_due = _date(settings, "review_due")
    if approved_on and review_due and review_due < approved_on:
        raise InputError(f"{SECTION}.review_due", "is before approved_on")
    overdue = review_due is not None and today > review_due
    if review_due is not None and overdue and settings.get(SECTION, "when_overdue") == "refuse":
        raise InputError(
            f"{SECTION}.review_due",
            f"the order set's review was due on {review_due.isoformat()}; this profile refuses"
            " to build it until the order set is reviewed",
        )
    return Governance(
        approved_by=settings.get(SECTION, "approved_by") or None,
        approved_on=approved_on,
        review_due=review_due,
        review_overdue=overdue,
    )
