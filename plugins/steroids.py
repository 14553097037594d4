"""Steroids: MP-1 methylprednisolone pulse with its monitoring orders; MP-2 oral taper.

Every number below is from docs/clinical-rules.md and carries its rule id. MP-2 is an analogue
(pediatric ADEM practice) with no confirmed start dose, so it has no number here at all: it is
offered unselected as "taper per clinician", and a dose appears only when the institution
profile supplies every part of it (drug, mg/kg, maximum, frequency).

MP-1's monitoring orders and the taper exist for the pulse (`Order.depends_on`): when MP-1 is
not in the set (an allergy, the plugin disabled) the engine removes them too. Pulse days
already given (`clinical.methylprednisolone_days_given`) count: the order covers only the days
that remain of the profile's days, or there is no MP-1 order and an alert says the pulse is
complete.
"""

from __future__ import annotations

import re
from decimal import Decimal

import attrs

from orderset.plugin import (
    Alert,
    BuildContext,
    Evidence,
    InputError,
    MedicationRule,
    Order,
    Preparation,
    PrepData,
    Product,
    Rule,
    Section,
    Setting,
    Settings,
    hookimpl,
    hours_text,
    order_from_rule,
    units,
)

SECTION = "steroids"
PRODUCT = "methylprednisolone-iv"

# MP-1: 30 mg/kg per dose, IV, once daily, maximum 1,000 mg per dose.
MP1_PER_KG = units.Quantity(30, units.mg_per_kg)
MP1_MAX_DOSE = units.Quantity(1000, units.mg)
# MP-1: 3 days by default; a profile may choose up to 5 (5 days is unconfirmed for ANE).
MP1_DEFAULT_DAYS = 3
MP1_MAX_DAYS = 5
# MP-1: infuse over at least 30 minutes; default 60 minutes.
MP1_MIN_INFUSION_MIN = 30
MP1_DEFAULT_INFUSION_MIN = 60
# MP-1: target start within 24 h of onset.
MP1_WINDOW_HOURS = Decimal(24)
# MP-1 monitoring (blood glucose during pulse days) at LAB-1's frequency: glucose every 6 hours.
MP1_GLUCOSE_FREQUENCY = "every 6 hours"
# MP-1 monitoring (blood pressure during pulse days): no rule gives a frequency, so it is per
# unit protocol unless the profile's steroids.blood_pressure_check_hours sets one (no default).
MP1_BP_DEFAULT_TEXT = "per unit protocol"
# ROUND-1 default increment for methylprednisolone.
MP1_INCREMENT = units.Quantity(5, units.mg)

# MP-2: oral steroid taper, unconfirmed: no number in the rules; every value comes from the
# profile. Formulary default, not a clinical number: ROUND-1 lists no increment for an oral
# steroid, so doses are measured to 1 mg until a profile's [formulary.steroid-taper-oral]
# increment replaces it.
TAPER_PRODUCT = "steroid-taper-oral"
MP2_INCREMENT = units.Quantity(1, units.mg)
MP2_ROUTE = "enteral (PO or NG)"
MP2_FREQUENCIES = ("once daily", "twice daily")
MP2_DEFAULT_DRUG = "oral corticosteroid"
#: The settings that together make an MP-2 dose; all or none must be set.
MP2_DOSE_KEYS = ("taper_drug", "taper_mg_per_kg", "taper_max_dose", "taper_frequency")

MP2_CLASSES = ("corticosteroid", "glucocorticoid")
# Preparation facts from the current SOLU-MEDROL US label (DailyMed set 7271310c; notes/
# product-labels.md section 1, label): formulations with benzyl alcohol must not be used in
# neonates and are contraindicated in premature infants; the 40 mg presentation contains lactose
# from cow's milk (contraindicated in cow's milk allergy). The presentations changed between US
# label revisions (Act-O-Vials of 40, 125, 500 mg and 1 g; a 1 g vial of 16 mL without diluent),
# with and without benzyl alcohol, so which vials a site stocks comes from its profile
# ([formulary.methylprednisolone-iv] presentations), as do the diluents, final volume and
# beyond-use time (seen only in non-US or secondary texts); otherwise the worksheet says "per
# pharmacy procedure" and flags the dose.
MP1_PREP_SOURCE = (
    "SOLU-MEDROL (methylprednisolone sodium succinate) US label, DailyMed set 7271310c"
)
MP1_PREPARATION = PrepData(
    source=MP1_PREP_SOURCE,
    preservative_free_under_months=1,
    # Current US label (Pfizer): benzyl alcohol formulations contraindicated in premature infants.
    preservative_free_preterm=True,
    handling=(
        "Benzyl alcohol formulations: never in neonates; contraindicated in premature infants.",
        "The 40 mg presentation contains lactose from cow's milk: not in cow's milk allergy.",
    ),
)
MP1_NEVER_PUSH_NOTE = (
    "Never as a rapid IV push (label: over 0.5 g given in under 10 minutes has been linked to"
    " arrhythmia and cardiac arrest)."
)

MP1 = Rule(
    "MP-1",
    "Methylprednisolone pulse",
    "confirmed",
    sources=(
        "Okumura 2009, Brain Dev 31:221",
        "Chang 2022, Children 9:136",
        "Fischell 2023, Front Neurol 14:1239746",
        "methylprednisolone US label (infusion time; no 1 g cap)",
        "cap: partial, Cole 2019, Pediatr Neurol 100:26 (pediatric ADEM: maximum 1,000 mg/day)",
    ),
    description=(
        "pulse days (3 by default, up to 5 from the profile, with a note over 3) and infusion"
        " minutes (60 by default, at least 30) come from the profile. Days already given"
        " (clinical.methylprednisolone_days_given) count: the order is for the profile's days"
        " minus those, never more in all; none left: no MP-1 order and an info alert that the"
        " pulse is complete; a pulse already under way has no start window (no countdown, no"
        " window alert). Days given not recorded with a response other than initial: a warning."
        " Blood glucose checks every 6 hours (LAB-1) and blood pressure checks (per unit"
        " protocol, or every N hours from the profile; no rule gives a frequency) depend on the"
        " MP-1 order and go with it (allergy, disabled plugin); an alert past 24 hours from"
        " onset for a fresh pulse."
    ),
)
MP2 = Rule(
    "MP-2",
    "Oral steroid taper (analogue; per clinician; dose from profile only)",
    "analogue",
    sources=(
        "analogue: pediatric ADEM practice, oral prednisone taper over 4-6 weeks after the"
        " pulse (Cole 2019, Pediatr Neurol 100:26); no ANE source; no start dose confirmed",
    ),
    description=(
        "never pre-selected; offered as 'taper per clinician' with no dose; a dose only when the"
        " profile gives drug, mg/kg, maximum and frequency (all or none), weeks optional. It"
        " follows the pulse: it depends on the MP-1 order (goes with it), or, when the pulse is"
        " complete, says 'after the completed pulse'."
    ),
)

# MP-1: 30 mg/kg IV once daily, maximum 1,000 mg per dose, 3 days, start within 24 h of onset.
MP1_PULSE = MedicationRule(
    id=MP1.id,
    rule=MP1,
    product=PRODUCT,
    per_kg=MP1_PER_KG,
    maximum=MP1_MAX_DOSE,
    route="IV",
    frequency="once daily",
    duration=f"{MP1_DEFAULT_DAYS} days",
    section=Section.FIRST_LINE,
    drug_classes=("corticosteroid", "glucocorticoid"),
    notes=(MP1_NEVER_PUSH_NOTE,),
    instructions=f"infuse over {MP1_DEFAULT_INFUSION_MIN} minutes; start now",
    start_within_hours=MP1_WINDOW_HOURS,
)
# MP-2 (unconfirmed): no number of its own; per kg, maximum and frequency from the profile.
MP2_TAPER = MedicationRule(
    id=MP2.id,
    rule=MP2,
    product=TAPER_PRODUCT,
    route=MP2_ROUTE,
    duration="per clinician",
    section=Section.FIRST_LINE,
    selected=False,
    drug_classes=MP2_CLASSES,
    instructions="starting dose; begin after the methylprednisolone pulse and taper per clinician",
    sources=(*MP2.sources, "start dose per institution profile"),
)


@hookimpl
def orderset_rules() -> list[Rule]:
    return [MP1, MP2]


@hookimpl
def orderset_settings() -> list[Setting]:
    return [
        Setting(
            SECTION,
            "methylprednisolone_days",
            MP1_DEFAULT_DAYS,
            "MP-1 pulse days (3 by default; up to 5, unconfirmed for ANE).",
            int,
            minimum=1,
            maximum=MP1_MAX_DAYS,
        ),
        Setting(
            SECTION,
            "methylprednisolone_infusion_minutes",
            MP1_DEFAULT_INFUSION_MIN,
            "MP-1 infusion time in minutes (at least 30; never a rapid push).",
            int,
            minimum=MP1_MIN_INFUSION_MIN,
            maximum=240,
        ),
        # MP-1 blood pressure checks: no rule gives a frequency, so no default ("per unit
        # protocol"); 1 to 24 hours is a plausibility bound, not a clinical number.
        Setting(
            SECTION,
            "blood_pressure_check_hours",
            None,
            "MP-1 blood pressure checks every N hours during the pulse days; no rule gives a"
            " frequency, so no default (the order says 'per unit protocol').",
            int,
            minimum=1,
            maximum=24,
        ),
        # MP-2 (analogue, no start dose confirmed): no defaults; without them the taper is
        # "per clinician".
        Setting(
            SECTION,
            "taper_drug",
            None,
            "MP-2 taper drug, a lowercase generic name (e.g. prednisolone); no default.",
            str,
        ),
        Setting(
            SECTION,
            "taper_mg_per_kg",
            None,
            "MP-2 starting taper dose per kg per administration; no default.",
            "quantity",
            units=units.spellings({"mg/kg": units.mg_per_kg}),
        ),
        Setting(
            SECTION,
            "taper_max_dose",
            None,
            "MP-2 maximum starting taper dose per administration; no default.",
            "quantity",
            units=units.spellings({"mg": units.mg}),
        ),
        Setting(
            SECTION,
            "taper_frequency",
            None,
            "MP-2 starting taper frequency; no default.",
            str,
            choices=MP2_FREQUENCIES,
        ),
        Setting(
            SECTION,
            "taper_weeks",
            None,
            "MP-2 taper length in weeks (seed B's 4-6 weeks is unconfirmed); no default.",
            int,
            minimum=1,
        ),
    ]


@hookimpl
def orderset_formulary(settings: Settings) -> list[Product]:
    return [
        Product(
            key=PRODUCT,
            drug="methylprednisolone",
            description="methylprednisolone sodium succinate for injection",
            dose_unit="mg",
            increment=MP1_INCREMENT,  # ROUND-1
            maximum_dose=MP1_MAX_DOSE,  # MP-1: maximum 1,000 mg per dose
            dosage_form="injection, powder, for solution",
            route="IV",
            local_code="MPRED-INJ",
            preparation=MP1_PREPARATION,
        ),
        Product(
            key=TAPER_PRODUCT,
            drug=settings.get(SECTION, "taper_drug") or MP2_DEFAULT_DRUG,
            description="oral corticosteroid for the taper (per institution profile)",
            dose_unit="mg",
            increment=MP2_INCREMENT,
            dosage_form="oral",
            route=MP2_ROUTE,
        ),
    ]


def _days(n: int) -> str:
    return f"{n} day{'s' * (n != 1)}"


def pulse_days(context: BuildContext) -> tuple[int, int, int | None]:
    """MP-1: (the profile's pulse days, days still to give, days given before or None)."""
    days = context.setting(SECTION, "methylprednisolone_days")
    given = context.case.clinical.methylprednisolone_days_given
    # MP-1: total pulse days (given before plus ordered now) never exceed the profile's days.
    remaining = max(days - (given or 0), 0)
    return days, remaining, given


@hookimpl
def orderset_orders(context: BuildContext) -> list[Order]:
    days, remaining, given = pulse_days(context)
    if remaining == 0:
        # The pulse is complete: no MP-1 order, no monitoring for it; the taper may follow.
        return [_taper(context, completed=True)]
    minutes = context.setting(SECTION, "methylprednisolone_infusion_minutes")
    notes = list(MP1_PULSE.notes)
    if days > MP1_DEFAULT_DAYS:
        notes.append(f"{days} days is from the institution profile; over 3 days is unconfirmed.")
    if given:
        # A pulse under way: the days left, no fresh start and no 24-hour countdown.
        notes.append(
            f"{_days(given)} of the {days}-day pulse already given before this order set"
            f" (clinical.methylprednisolone_days_given): this order is for the remaining"
            f" {_days(remaining)} only; total pulse days never exceed {days} (MP-1)."
        )
        instructions = (
            f"infuse over {minutes} minutes; continue the pulse once daily from the last dose"
            f" given (day {given + 1} of {days})"
        )
        start_within = None
    else:
        instructions = f"infuse over {minutes} minutes; start now"
        start_within = MP1_PULSE.start_within_hours
    medication = order_from_rule(
        MP1_PULSE,
        context,
        duration=_days(remaining),
        instructions=instructions,
        start_within_hours=start_within,
        preparation=Preparation(
            infuse_over=units.Quantity(minutes, units.minute),
            text=f"Infuse over {minutes} minutes; never as a rapid IV push",
        ),
        notes=tuple(notes),
    )
    return [medication, *_monitoring(context), _taper(context, completed=False)]


def _monitoring(context: BuildContext) -> list[Order]:
    """MP-1 monitoring during the pulse days; each depends on the MP-1 order."""
    bp_hours = context.setting(SECTION, "blood_pressure_check_hours")
    # MP-1 glucose checks at LAB-1's frequency (glucose every 6 hours).
    glucose = Order(
        id=f"{MP1.id}-GLUCOSE",
        rule_id=MP1.id,
        kind="nursing",
        section=Section.ADMISSION,
        selected=True,
        text=(
            f"Blood glucose checks {MP1_GLUCOSE_FREQUENCY} during the methylprednisolone pulse"
            " days (frequency from LAB-1: glucose every 6 hours)"
        ),
        evidence=Evidence(
            "partial", (*MP1.sources, "LAB-1 monitoring: glucose every 6 hours (partial)")
        ),
        frequency=MP1_GLUCOSE_FREQUENCY,
        depends_on=MP1.id,
        notes=("Goes with the methylprednisolone pulse (MP-1); frequency from LAB-1.",),
    )
    if bp_hours is None:
        bp_when = MP1_BP_DEFAULT_TEXT
        bp_note = (
            "No rule gives a blood pressure check frequency (MP-1 names the checks only):"
            " per unit protocol unless the institution profile sets"
            " steroids.blood_pressure_check_hours."
        )
        # No rule gives the frequency: the order is MP-1's, but only "partial" (as the glucose
        # checks, whose frequency is borrowed from LAB-1).
        bp_evidence = Evidence("partial", MP1.sources)
    else:
        bp_when = f"every {_hours(bp_hours)} (per institution profile)"
        bp_note = "Frequency per institution profile (steroids.blood_pressure_check_hours)."
        bp_evidence = Evidence("partial", (*MP1.sources, "frequency per institution profile"))
    pressure = Order(
        id=f"{MP1.id}-BP",
        rule_id=MP1.id,
        kind="nursing",
        section=Section.ADMISSION,
        selected=True,
        text=f"Blood pressure checks {bp_when} during the methylprednisolone pulse days",
        frequency=None if bp_hours is None else f"every {_hours(bp_hours)}",
        evidence=bp_evidence,
        depends_on=MP1.id,
        notes=("Goes with the methylprednisolone pulse (MP-1).", bp_note),
    )
    return [glucose, pressure]


def _hours(n: int) -> str:
    return "hour" if n == 1 else f"{n} hours"


def _taper(context: BuildContext, *, completed: bool) -> Order:
    """MP-2: offered unselected; a dose only when the profile gives drug, mg/kg, max, frequency.

    It follows the pulse: with an MP-1 order in the set it depends on it (an allergy removes
    both); with the pulse `completed` before this order set it stands alone and says so."""
    values = {key: context.setting(SECTION, key) for key in (*MP2_DOSE_KEYS, "taper_weeks")}
    drug = values["taper_drug"]
    if drug is not None and not re.fullmatch(r"[a-z][a-z -]*[a-z]", drug):
        raise InputError(f"{SECTION}.taper_drug", f"{drug!r} is not a lowercase generic name")
    for key in ("taper_mg_per_kg", "taper_max_dose"):
        if values[key] is not None and values[key].magnitude <= 0:
            raise InputError(f"{SECTION}.{key}", "must be more than zero")
    dose_values = [values[k] for k in MP2_DOSE_KEYS[1:]]
    if any(v is not None for v in dose_values):
        for key in MP2_DOSE_KEYS:
            if values[key] is None:
                raise InputError(
                    f"{SECTION}.{key}",
                    "is needed with the other MP-2 taper dose settings"
                    f" ({', '.join(MP2_DOSE_KEYS)})",
                )
    weeks = values["taper_weeks"]
    duration = f"{weeks} weeks" if weeks is not None else MP2_TAPER.duration
    after = (
        "the completed methylprednisolone pulse" if completed else "the methylprednisolone pulse"
    )
    depends_on = None if completed else MP1.id
    notes = [
        "MP-2 is an analogue (pediatric ADEM practice, Cole 2019; no ANE source): offered,"
        " never pre-selected by default.",
        "The 4-6 weeks of ADEM practice is not used as a default; any length is from the"
        " institution profile or the clinician.",
    ]
    if values["taper_mg_per_kg"] is None:
        # No dose: the order says so in words (no drug, dose or frequency to compose a line).
        over = f" over {weeks} weeks" if weeks is not None else ""
        name = drug or MP2_DEFAULT_DRUG
        text = f"{name} taper per clinician{over}, after {after}"
        if drug is None:
            text += "; no dose: MP-2 doses come only from the institution profile"
        order = order_from_rule(
            MP2_TAPER,
            context,
            text=text,
            evidence=MP2.evidence,
            duration=duration,
            instructions="",
            notes=tuple(notes),
        )
        return attrs.evolve(order, depends_on=depends_on)
    notes.append("Starting dose, maximum and frequency are per institution profile (MP-2).")
    order = order_from_rule(
        MP2_TAPER,
        context,
        per_kg=values["taper_mg_per_kg"],
        maximum=values["taper_max_dose"],
        frequency=values["taper_frequency"],
        duration=duration,
        instructions=f"starting dose; begin after {after} and taper per clinician",
        notes=tuple(notes),
    )
    # order_from_rule composed the line; depends_on is not a record field.
    return attrs.evolve(order, depends_on=depends_on)


@hookimpl
def orderset_alerts(context: BuildContext, orders: tuple[Order, ...]) -> list[Alert]:
    case = context.case
    days, remaining, given = pulse_days(context)
    alerts = []
    if remaining == 0:
        more = (
            f" ({_days(given or 0)} recorded, more than the profile's {days})"
            if (given or 0) > days
            else ""
        )
        alerts.append(
            Alert(
                id=f"{MP1.id}-COMPLETE",
                severity="info",
                rule_id=MP1.id,
                text=(
                    f"Methylprednisolone pulse complete: {_days(given or 0)} already given of"
                    f" the {days}-day pulse{more}. No further pulse is ordered (MP-1: total"
                    " pulse days never exceed the profile's days); no pulse monitoring orders."
                ),
            )
        )
        return alerts
    pulse = [o for o in orders if o.id == MP1_PULSE.id and o.kind == "medication"]
    if pulse and given is None and case.clinical.response != "initial":
        alerts.append(
            Alert(
                id=f"{MP1.id}-DAYS-GIVEN",
                severity="warning",
                rule_id=MP1.id,
                order_id=MP1_PULSE.id,
                text=(
                    f"Response is {case.clinical.response} but the methylprednisolone pulse"
                    " days already given are not recorded: MP-1 is ordered as a fresh"
                    f" {days}-day pulse. If a pulse was given, record"
                    " clinical.methylprednisolone_days_given so the total stays within"
                    f" {days} days (MP-1)."
                ),
            )
        )
    fresh = any(o.start_within_hours is not None for o in pulse)
    if fresh and case.hours_since_onset > MP1_WINDOW_HOURS:
        since = hours_text(case.assessed_at - case.clinical.neuro_onset, up=True)
        alerts.append(
            Alert(
                id=f"{MP1.id}-WINDOW",
                severity="warning",
                rule_id=MP1.id,
                order_id=MP1_PULSE.id,
                text=(
                    f"Onset was {since} ago, past the 24-hour window: still give"
                    " methylprednisolone now; benefit is shown for starts within 24 hours."
                ),
            )
        )
    return alerts
