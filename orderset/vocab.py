"""Closed vocabularies for routes and frequencies, with their HL7 codes.

Plugins pick from these; the engine refuses anything else, so every renderer can map every
value (HL7 table 0162 routes, TQ1 repeat patterns) and no error-prone abbreviation is printed.
"""

from __future__ import annotations

from attrs import frozen


@frozen
class Route:
    text: str  # printed on the sheet
    hl7: str  # HL7 table 0162 code
    hl7_text: str


@frozen
class Frequency:
    text: str  # printed on the sheet: words, never QD/QOD
    hl7: str  # TQ1-3 repeat pattern code
    per_day: int | None  # administrations per day; None when once or as needed


ROUTES: dict[str, Route] = {
    r.text: r
    for r in (
        Route("IV", "IV", "Intravenous"),
        Route("IM", "IM", "Intramuscular"),
        Route("PO", "PO", "Oral"),
        Route("NG", "NG", "Nasogastric"),
        Route("enteral (PO or NG)", "PO", "Oral"),
    )
}

FREQUENCIES: dict[str, Frequency] = {
    f.text: f
    for f in (
        Frequency("once", "Once", 1),
        Frequency("once daily", "Q24H", 1),
        Frequency("twice daily", "Q12H", 2),
        Frequency("every 6 hours", "Q6H", 4),
        Frequency("every 8 hours", "Q8H", 3),
        Frequency("every 12 hours", "Q12H", 2),
        Frequency("as needed", "PRN", None),
        # OSE-1: scheduled after every session, never as needed. HL7 table 0335 has no code for
        # "after dialysis", so TQ1-3 carries the text only (an empty code is never PRN).
        Frequency("after every hemodialysis session", "", None),
        # Scheduled nursing checks (SUP-1 neurologic checks; MP-1 blood pressure checks at the
        # hours a profile sets): TQ1-3 carries Q<n>H like the medication frequencies.
        Frequency("every hour", "Q1H", 24),
        *(
            Frequency(f"every {n} hours", f"Q{n}H", None)
            for n in range(2, 25)
            if n not in (6, 8, 12)
        ),
    )
}
