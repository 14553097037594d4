"""SCORE-1: the ANE severity score (Yamamoto 2015, Brain & Development 37:322), a guide only.

Missing items are not guessed: the score of the known items is reported, the missing ones are
listed, and the band is the range of bands the missing points could reach ("medium or high").
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from orderset import units
from orderset.model import Case, Severity, SeverityItem

# SCORE-1 points and thresholds (strict inequalities).
SHOCK_POINTS = 3
BRAINSTEM_POINTS = 2
AGE_POINTS = 2
AGE_OVER_MONTHS = 48
PLATELET_POINTS = 1
PLATELETS_UNDER_10E9_L = Decimal(100)
CSF_PROTEIN_POINTS = 1
CSF_PROTEIN_OVER_MG_DL = Decimal(60)
# SCORE-1 bands: low 0-1, medium 2-4, high 5-9.
BANDS: tuple[tuple[str, int, int], ...] = (("low", 0, 1), ("medium", 2, 4), ("high", 5, 9))


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day-of-month `months` later (clamped to the month's last day)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover


def older_than_months(case: Case, months: int) -> bool:
    """Strictly over `months` of age at assessment (48 months and 1 day is over 48 months)."""
    return case.assessed_at.date() > add_months(case.patient.birth_date, months)


def band_for(low: int, high: int) -> str:
    """The band name, or the bands a score range could fall in ("medium or high")."""
    names = [name for name, lo, hi in BANDS if lo <= high and low <= hi]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def severity_score(case: Case) -> Severity:
    # The thresholds are decided on the converted values unrounded (not on the 0.1 steps the
    # input check shows): 99.96 x10^9/L is under 100, 60.04 mg/dL is over 60.
    c = case.clinical
    platelets = (
        None
        if c.platelets is None
        else units.to_decimal(c.platelets, units.giga_per_L) < PLATELETS_UNDER_10E9_L
    )
    protein = (
        None
        if c.csf_protein is None
        else units.to_decimal(c.csf_protein, units.mg_per_dL) > CSF_PROTEIN_OVER_MG_DL
    )
    items = (
        SeverityItem("shock at onset", SHOCK_POINTS, c.shock),
        SeverityItem("brainstem lesion on MRI", BRAINSTEM_POINTS, c.brainstem_lesion),
        SeverityItem("age over 48 months", AGE_POINTS, older_than_months(case, AGE_OVER_MONTHS)),
        SeverityItem("platelets under 100 x10^9/L", PLATELET_POINTS, platelets),
        SeverityItem("CSF protein over 60 mg/dL", CSF_PROTEIN_POINTS, protein),
    )
    score = sum(i.points for i in items if i.present)
    missing = tuple(i.name for i in items if i.present is None)
    possible = score + sum(i.points for i in items if i.present is None)
    return Severity(score=score, band=band_for(score, possible), items=items, missing=missing)
