"""The order set's timing statement: how long since onset, and what must start by when.

Made by the engine from the orders that carry a start window (`Order.start_within_hours`:
MP-1 and TCZ-1 give 24), after allergy screening and selection, so the statement only counts
down to what is actually in the set: with steroids disabled or methylprednisolone removed for
an allergy, nothing counts down to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from orderset.formatting import format_number
from orderset.model import Case, Order, Timing


def hours_text(value: Decimal) -> str:
    """ "14 hours", "1 hour", "2.5 hours" (to 0.1 hour)."""
    number = format_number(value, 1)
    return f"{number} hour" if number == "1" else f"{number} hours"


def _names(orders: Sequence[Order]) -> str:
    names = [f"{o.drug or o.text} ({o.rule_id})" for o in orders]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + f" and {names[-1]}"


def timing(case: Case, orders: Sequence[Order]) -> Timing:
    """The timing statement for `orders` (already screened and selected)."""
    hours = case.hours_since_onset
    timed = [o for o in orders if o.start_within_hours is not None]
    if not timed:
        return Timing(
            hours_since_onset=hours,
            window_hours=None,
            within_window=None,
            text="No order in this set is timed from onset.",
        )
    window = min(o.start_within_hours for o in timed if o.start_within_hours is not None)
    selected = [o for o in timed if o.selected]
    offered = [o for o in timed if not o.selected]
    within = hours <= window
    window_name = f"{format_number(window)}-hour window"
    if within:
        left = hours_text(window - hours)
        if selected:
            text = f"Within the {window_name}: {left} left to start {_names(selected)}"
            if offered:
                text += f" and, when indicated, {_names(offered)}"
        else:
            text = f"Within the {window_name}: {left} left to start, when indicated,"
            text += f" {_names(offered)}"
    else:
        late = hours_text(hours - window)
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
    return Timing(hours_since_onset=hours, window_hours=window, within_window=within, text=text)
