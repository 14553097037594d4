"""The order set's timing statement: how long since onset, and what must start by when.

Made by the engine from the orders that carry a start window (`Order.start_within_hours`:
MP-1 and TCZ-1 give 24), after allergy screening and selection, so the statement only counts
down to what is actually in the set: with steroids disabled or methylprednisolone removed for
an allergy, nothing counts down to it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from orderset.formatting import format_number
from orderset.model import Case, Order, Timing


def hours_text(value: Decimal | dt.timedelta, *, up: bool = False) -> str:
    """A duration in whole minutes: "14 hours", "1 hour 30 minutes", "1 minute". Rounded down
    (time since onset, time left) or, with `up`, up (time past a window: 24 h 0.5 min is past
    by 1 minute, never by "0 hours"). A timedelta is exact; Decimal hours are taken as given."""
    if isinstance(value, dt.timedelta):
        seconds = Decimal(abs(value) // dt.timedelta(microseconds=1)) / 1_000_000
    else:
        seconds = abs(value) * 3600
    rounding = ROUND_CEILING if up else ROUND_FLOOR
    minutes = int((seconds / 60).to_integral_value(rounding=rounding))
    hours, rest = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(f"{hours} hour{'s' * (hours != 1)}")
    if rest or not hours:
        parts.append(f"{rest} minute{'s' * (rest != 1)}")
    return " ".join(parts)


def _names(orders: Sequence[Order]) -> str:
    names = [f"{o.drug or o.text} ({o.rule_id})" for o in orders]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + f" and {names[-1]}"


def timing(case: Case, orders: Sequence[Order], removed: Sequence[Order] = ()) -> Timing:
    """The timing statement for `orders` (already screened and selected). Timed orders a
    plugin proposed but the engine removed (an allergy) are named with why, instead of being
    counted down to."""
    hours = case.hours_since_onset
    elapsed = case.assessed_at - case.clinical.neuro_onset
    timed = [o for o in orders if o.start_within_hours is not None]
    absent = [o for o in removed if o.start_within_hours is not None]
    absent_text = f" {_names(absent)}: not ordered (allergy; see the alerts)." if absent else ""
    if not timed:
        return Timing(
            hours_since_onset=hours,
            window_hours=None,
            within_window=None,
            text=("No order in this set is timed from onset." + absent_text).strip(),
        )
    window = min(o.start_within_hours for o in timed if o.start_within_hours is not None)
    selected = [o for o in timed if o.selected]
    offered = [o for o in timed if not o.selected]
    window_span = dt.timedelta(seconds=int(window * 3600))
    within = elapsed <= window_span
    window_name = f"{format_number(window)}-hour window"
    if within:
        left = hours_text(window_span - elapsed)
        if selected:
            text = f"Within the {window_name}: {left} left to start {_names(selected)}"
            if offered:
                text += f" and, when indicated, {_names(offered)}"
        else:
            text = f"Within the {window_name}: {left} left to start, when indicated,"
            text += f" {_names(offered)}"
    else:
        late = hours_text(elapsed - window_span, up=True)
        if selected:
            text = (
                f"Past the {window_name} by {late}: still give {_names(selected)} now;"
                f" benefit is shown for starts within {hours_text(window)}"
            )
        else:
            text = (
                f"Past the {window_name} by {late}: {_names(offered)} offered; benefit is"
                f" shown for starts within {hours_text(window)}"
            )
    text = f"{text}.{absent_text}" if absent_text else text
    return Timing(hours_since_onset=hours, window_hours=window, within_window=within, text=text)
