"""The one printed line of an order, for every output format.

A medication order's line is composed from its fields (drug, dose, route, frequency, as-needed
condition, duration) and then the plugin's `instructions`, so the dose on the line is always
the dose in the order's fields: the sheet, the JSON `text` and the HL7 "Order:" NTE cannot
disagree with the RXO dose. The engine sets `Order.text` with `order_line` for every medication
order with a dose; renderers print `Order.text` and never compose a line of their own.
"""

from __future__ import annotations

from orderset.formatting import format_quantity
from orderset.model import Order

#: A duration that says nothing a frequency of "once" has not said already.
SINGLE_DOSE = "single dose"


def medication_line(
    *,
    drug: str,
    dose: str,
    route: str | None,
    frequency: str | None,
    prn: str | None = None,
    duration: str | None = None,
    instructions: str = "",
    daily: str | None = None,
    strength: str = "",
    dose_detail: str = "",
) -> str:
    """ "methylprednisolone 425 mg IV once daily for 3 days, infuse over 60 minutes".

    `strength` follows the drug ("sodium chloride 3% 142 mL") and `dose_detail` the dose
    ("30 mg (5 mL of 6 mg/mL suspension)"), so neither can be missed at the start of the line.
    `daily` is the dose per day, printed after the frequency for a rule with a maximum per day
    ("anakinra 28 mg IV every 6 hours (112 mg per day)"). A duration of "per ..." reads
    "; duration per clinician"; a single dose given "once" says nothing more. Instructions in
    parentheses follow the line directly ("... once (first line)"); other instructions follow
    a comma.
    """
    parts = [f"{drug} {strength}" if strength else drug, dose]
    if dose_detail:
        parts.append(f"({dose_detail})")
    if route:
        parts.append(route)
    if frequency and not (prn and frequency == "as needed"):
        parts.append(frequency)
    line = " ".join(parts)
    if daily:
        line += f" ({daily} per day)"
    if prn:
        line += f", as needed for {prn}"
    if duration and duration.startswith("per "):
        line += f"; duration {duration}"
    elif duration and not (frequency == "once" and duration == SINGLE_DOSE):
        line += f" for {duration}"
    if instructions:
        line += f" {instructions}" if instructions.startswith("(") else f", {instructions}"
    return line


def order_line(order: Order) -> str:
    """The order's printed line: composed from the fields for a medication with a dose, else
    the plugin's text (a nursing order, or "taper per clinician" with no dose)."""
    if order.kind != "medication" or order.dose is None or not order.drug:
        return order.text
    return medication_line(
        drug=order.drug,
        dose=format_quantity(order.dose, order.dose_unit),
        route=order.route,
        frequency=order.frequency,
        prn=order.prn,
        duration=order.duration,
        instructions=order.instructions,
        strength=order.strength,
        dose_detail=order.dose_detail,
        daily=(
            format_quantity(order.daily_dose, order.dose_unit)
            if order.daily_maximum is not None and order.daily_dose is not None
            else None
        ),
    )
