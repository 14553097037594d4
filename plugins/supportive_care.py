"""Supportive care: SUP-1 nursing and consults, LAB-1 labs and imaging, SEIZ-1 seizure rescue,
ICP-1 hyperosmolar therapy. (The ALERT-1 aspirin alert is the engine's: it holds for every set.)

Every number below is from docs/clinical-rules.md and carries its rule id.

Selection, decided here and explained because the rules leave room:
- SUP-1: pre-selected as the rule says, with the neurology, critical care and infectious
  diseases consults; the genetics consult (RANBP2 testing in survivors and family, never to delay
  treatment) is offered unselected because it is not an acute need.
- LAB-1 is graded `partial` and, unlike SUP-1, does not say "pre-selected"; the grade table
  allows a partial rule to be pre-selected only where the rule says so, so its orders are offered
  unselected (a profile's `[selection] LAB-1 = true` pre-selects them).
- SEIZ-1 "offered selected": one choice per line is pre-selected so the set never holds two
  benzodiazepines or two second-line drugs ticked at once: lorazepam IV (named first) and
  levetiracetam (named "preferred"); midazolam IV, midazolam IM and fosphenytoin are offered
  unselected alternatives. Continuous EEG is pre-selected.
- ICP-1 hypertonic saline and its sodium/osmolarity checks are offered unselected (rule);
  mannitol appears only when the profile gives its dose.
"""

from __future__ import annotations

from typing import Any

import pint

from orderset.plugin import (
    BuildContext,
    Evidence,
    MedicationRule,
    Order,
    OrderKind,
    Product,
    Rule,
    Section,
    Setting,
    Settings,
    format_quantity,
    hookimpl,
    order_from_rule,
    rule_calculation,
    units,
)

SECTION = "supportive_care"
LORAZEPAM = "lorazepam-iv"
MIDAZOLAM = "midazolam-inj"
LEVETIRACETAM = "levetiracetam-iv"
FOSPHENYTOIN = "fosphenytoin-iv"
HYPERTONIC_SALINE = "sodium-chloride-3-percent-iv"
MANNITOL = "mannitol-iv"

# SEIZ-1 first line, seizure 5 minutes or longer: lorazepam 0.1 mg/kg IV (maximum 4 mg) or
# midazolam 0.2 mg/kg IV (maximum 10 mg) or 0.3 mg/kg IM (maximum 10 mg).
SEIZ1_LORAZEPAM_PER_KG = units.Quantity(0.1, units.mg_per_kg)
SEIZ1_LORAZEPAM_MAX = units.Quantity(4, units.mg)
SEIZ1_MIDAZOLAM_IV_PER_KG = units.Quantity(0.2, units.mg_per_kg)
SEIZ1_MIDAZOLAM_IM_PER_KG = units.Quantity(0.3, units.mg_per_kg)
SEIZ1_MIDAZOLAM_MAX = units.Quantity(10, units.mg)
SEIZ1_SEIZURE_MINUTES = 5
# SEIZ-1 second line: levetiracetam 60 mg/kg IV once (maximum 4,500 mg) preferred; fosphenytoin
# 20 mg PE/kg IV once (maximum 1,500 mg PE) as alternative.
SEIZ1_LEVETIRACETAM_PER_KG = units.Quantity(60, units.mg_per_kg)
SEIZ1_LEVETIRACETAM_MAX = units.Quantity(4500, units.mg)
SEIZ1_FOSPHENYTOIN_PER_KG = units.Quantity(20, units.mg_per_kg)  # mg PE/kg
SEIZ1_FOSPHENYTOIN_MAX = units.Quantity(1500, units.mg)  # mg PE
# ROUND-1 default increments: lorazepam 0.1 mg; midazolam 0.1 mg; levetiracetam 10 mg;
# fosphenytoin 5 mg PE.
LORAZEPAM_INCREMENT = units.Quantity(0.1, units.mg)
MIDAZOLAM_INCREMENT = units.Quantity(0.1, units.mg)
LEVETIRACETAM_INCREMENT = units.Quantity(10, units.mg)
FOSPHENYTOIN_INCREMENT = units.Quantity(5, units.mg)

# ICP-1: 3% sodium chloride bolus 6.5-10 mL/kg IV PRN; hold if serum osmolarity is 360 mOsm/L
# or more; sodium and osmolarity checks every 6 hours while used.
ICP1_SALINE_LOW_PER_KG = units.Quantity(6.5, units.mL_per_kg)
ICP1_SALINE_HIGH_PER_KG = units.Quantity(10, units.mL_per_kg)
ICP1_HOLD_OSMOLARITY = 360  # mOsm/L
ICP1_CHECK_FREQUENCY = "every 6 hours"
# ICP-1: mannitol 0.25-1 g/kg, low confidence: only from the institution profile (no default).
ICP1_MANNITOL_MIN = units.Quantity(0.25, units.g_per_kg)
ICP1_MANNITOL_MAX = units.Quantity(1, units.g_per_kg)
# Formulary defaults, not clinical numbers: ROUND-1 lists no increment for 3% sodium chloride or
# mannitol, so a bolus is measured to 1 mL and mannitol to 0.1 g; a profile's [formulary.KEY]
# increment replaces them.
SALINE_INCREMENT = units.Quantity(1, units.mL)
MANNITOL_INCREMENT = units.Quantity(0.1, units.g)

# LAB-1 monitoring: glucose and sodium every 6 hours.
LAB1_MONITOR_FREQUENCY = "every 6 hours"
# SUP-1: normothermia, target 36 C (JSCN 2023, weak); intubation when GCS 8 or less.
SUP1_TARGET_TEMPERATURE_C = 36
SUP1_INTUBATION_GCS_AT_OR_UNDER = 8
SUP1_HEAD_OF_BED_DEGREES = 30

GENERIC = "generic neurocritical care; no ANE-specific source"
JSCN = "Mizuguchi 2021, Brain Dev 43:2 (JSCN guideline)"

VALPROATE_NOTE = (
    "Valproate is not offered by default: hepatic dysfunction is common in ANE (SEIZ-1)."
)
FEWEST_DRUGS_NOTE = (
    "Use no more antiseizure drugs than needed, so consciousness can be assessed (JSCN)."
)
REPEAT_NOTE = "SEIZ-1 gives no repeat dose: a repeat is the prescriber's decision."
CHOOSE_BENZO_NOTE = "Choose one benzodiazepine: lorazepam IV, midazolam IV or midazolam IM."
FOSPHENYTOIN_RATE_NOTE = (
    "Infuse no faster than the product label's maximum rate; never a rapid push."
)

SUP1 = Rule(
    "SUP-1",
    "Supportive care: nursing, monitoring, consults",
    "partial",
    sources=(GENERIC, JSCN),
    description=(
        "pre-selected nursing orders: pediatric (under 18) or adult ICU, neurologic checks every"
        " hour, cardiorespiratory monitoring, head of bed 30 degrees, seizure precautions,"
        " intake and output, normothermia target 36 °C, intubation when GCS 8 or less, shock"
        " per protocol, enteral nutrition when possible; neurology, critical care and"
        " infectious diseases consults; the genetics consult (RANBP2) is offered unselected."
    ),
)
LAB1 = Rule(
    "LAB-1",
    "Labs and imaging",
    "partial",
    sources=(GENERIC, "Yamamoto 2015, Brain Dev 37:322 (ANE-SS inputs)"),
    description=(
        "baseline labs, glucose and sodium every 6 hours and urgent MRI brain, all offered"
        " unselected (partial, and the rule does not say pre-selected); a note where a"
        " severity score input is missing."
    ),
)
SEIZ1 = Rule(
    "SEIZ-1",
    "Seizure rescue",
    "confirmed",
    sources=("Kapur 2019, NEJM 381:2103 (ESETT)", JSCN),
    description=(
        "one choice per line is pre-selected (lorazepam IV first line, levetiracetam second"
        " line), the others offered; continuous EEG pre-selected; valproate not offered."
    ),
)
ICP1 = Rule(
    "ICP-1",
    "Raised intracranial pressure: hyperosmolar therapy",
    "partial",
    sources=("Kochanek 2012, Pediatr Crit Care Med (TBI)", "Silverman 2025, JAMA 334:692"),
    description=(
        "3% sodium chloride ordered at the low end of the range, with the range up to"
        f" {format_quantity(ICP1_SALINE_HIGH_PER_KG)} in mL on the line, offered unselected"
        " with sodium and osmolarity checks every 6 hours; mannitol only when the profile gives"
        f" its dose per kg ({format_quantity(ICP1_MANNITOL_MIN)} to"
        f" {format_quantity(ICP1_MANNITOL_MAX)})."
    ),
)

# SEIZ-1: PRN once, offered selected (one per line pre-selected).
FIRST_LINE_PRN = f"a seizure lasting {SEIZ1_SEIZURE_MINUTES} minutes or longer"
SECOND_LINE_PRN = "a seizure that continues after a benzodiazepine"
_SEIZ1: dict[str, Any] = {"rule": SEIZ1, "frequency": "once", "section": Section.SEIZURE}
_BENZO: dict[str, Any] = {**_SEIZ1, "prn": FIRST_LINE_PRN, "drug_classes": ("benzodiazepine",)}
_BENZO_NOTES = (CHOOSE_BENZO_NOTE, REPEAT_NOTE)
SEIZ1_RECORDS = (
    # SEIZ-1: lorazepam 0.1 mg/kg IV, maximum 4 mg.
    MedicationRule(
        id=f"{SEIZ1.id}-LORAZEPAM",
        product=LORAZEPAM,
        per_kg=SEIZ1_LORAZEPAM_PER_KG,
        maximum=SEIZ1_LORAZEPAM_MAX,
        route="IV",
        notes=_BENZO_NOTES,
        instructions="(first line)",
        **_BENZO,
    ),
    # SEIZ-1: midazolam 0.2 mg/kg IV, maximum 10 mg.
    MedicationRule(
        id=f"{SEIZ1.id}-MIDAZOLAM-IV",
        product=MIDAZOLAM,
        per_kg=SEIZ1_MIDAZOLAM_IV_PER_KG,
        maximum=SEIZ1_MIDAZOLAM_MAX,
        route="IV",
        selected=False,
        notes=_BENZO_NOTES,
        instructions="(first line, alternative to lorazepam)",
        **_BENZO,
    ),
    # SEIZ-1: midazolam 0.3 mg/kg IM, maximum 10 mg.
    MedicationRule(
        id=f"{SEIZ1.id}-MIDAZOLAM-IM",
        product=MIDAZOLAM,
        per_kg=SEIZ1_MIDAZOLAM_IM_PER_KG,
        maximum=SEIZ1_MIDAZOLAM_MAX,
        route="IM",
        selected=False,
        notes=_BENZO_NOTES,
        instructions="(first line, IM alternative)",
        **_BENZO,
    ),
    # SEIZ-1: levetiracetam 60 mg/kg IV once, maximum 4,500 mg (second line, preferred).
    MedicationRule(
        id=f"{SEIZ1.id}-LEVETIRACETAM",
        product=LEVETIRACETAM,
        per_kg=SEIZ1_LEVETIRACETAM_PER_KG,
        maximum=SEIZ1_LEVETIRACETAM_MAX,
        route="IV",
        prn=SECOND_LINE_PRN,
        notes=(VALPROATE_NOTE, FEWEST_DRUGS_NOTE),
        instructions="(second line, preferred)",
        **_SEIZ1,
    ),
    # SEIZ-1: fosphenytoin 20 mg PE/kg IV once, maximum 1,500 mg PE (second line, alternative).
    MedicationRule(
        id=f"{SEIZ1.id}-FOSPHENYTOIN",
        product=FOSPHENYTOIN,
        per_kg=SEIZ1_FOSPHENYTOIN_PER_KG,
        maximum=SEIZ1_FOSPHENYTOIN_MAX,
        route="IV",
        prn=SECOND_LINE_PRN,
        selected=False,
        drug_classes=("phenytoin", "hydantoin"),
        notes=(FOSPHENYTOIN_RATE_NOTE, VALPROATE_NOTE, FEWEST_DRUGS_NOTE),
        instructions="(second line, alternative to levetiracetam)",
        **_SEIZ1,
    ),
)

# ICP-1: 3% sodium chloride bolus 6.5-10 mL/kg IV PRN (ordered at 6.5 mL/kg, the range on the
# line); hold if serum osmolarity is 360 mOsm/L or more; offered unselected.
ICP1_HOLD = f"hold if serum osmolarity is {ICP1_HOLD_OSMOLARITY} mOsm/L or more"
ICP1_SALINE = MedicationRule(
    id=f"{ICP1.id}-SALINE",
    rule=ICP1,
    product=HYPERTONIC_SALINE,
    per_kg=ICP1_SALINE_LOW_PER_KG,
    route="IV",
    frequency="as needed",
    prn=f"raised intracranial pressure; {ICP1_HOLD}",
    section=Section.ICP,
    selected=False,
    notes=(
        "Infusion time per prescriber: ICP-1 gives none.",
        # ICP-1 context (Silverman 2025).
        "91% of deaths in the US cohort were cerebral herniation, median day 3 (Silverman 2025).",
    ),
)
# ICP-1: mannitol 0.25-1 g/kg, low confidence: the dose per kg only from the profile.
ICP1_MANNITOL = MedicationRule(
    id=f"{ICP1.id}-MANNITOL",
    rule=ICP1,
    product=MANNITOL,
    route="IV",
    frequency="as needed",
    prn="raised intracranial pressure",
    section=Section.ICP,
    selected=False,
    drug_classes=("osmotic diuretic",),
    notes=("Dose per institution profile; ICP-1 rates mannitol low confidence.",),
    sources=(
        "Kochanek 2012, Pediatr Crit Care Med (TBI), low confidence",
        "per institution profile",
    ),
)


@hookimpl
def orderset_rules() -> list[Rule]:
    return [SUP1, LAB1, SEIZ1, ICP1]


@hookimpl
def orderset_settings() -> list[Setting]:
    return [
        Setting(
            SECTION,
            "mannitol_g_per_kg",
            None,
            "ICP-1 mannitol dose per kg (0.25 to 1 g/kg, low confidence); no default, so"
            " mannitol is only offered when the profile gives it.",
            "quantity",
            units=units.spellings({"g/kg": units.g_per_kg}),
            minimum=ICP1_MANNITOL_MIN,
            maximum=ICP1_MANNITOL_MAX,
        )
    ]


@hookimpl
def orderset_formulary(settings: Settings) -> list[Product]:
    def product(key: str, drug: str, description: str, increment: pint.Quantity, **kw) -> Product:
        return Product(
            key=key,
            drug=drug,
            description=description,
            increment=increment,
            dosage_form="injection, solution",
            **kw,
        )

    return [
        product(
            LORAZEPAM,
            "lorazepam",
            "lorazepam injection",
            LORAZEPAM_INCREMENT,  # ROUND-1
            dose_unit="mg",
            route="IV",
            local_code="LORA-INJ",
        ),
        product(
            MIDAZOLAM,
            "midazolam",
            "midazolam injection",
            MIDAZOLAM_INCREMENT,  # ROUND-1
            dose_unit="mg",
            route="IV",
            local_code="MIDAZ-INJ",
        ),
        product(
            LEVETIRACETAM,
            "levetiracetam",
            "levetiracetam injection",
            LEVETIRACETAM_INCREMENT,  # ROUND-1
            dose_unit="mg",
            route="IV",
            local_code="LEVE-INJ",
        ),
        product(
            FOSPHENYTOIN,
            "fosphenytoin",
            "fosphenytoin sodium injection (phenytoin equivalents)",
            FOSPHENYTOIN_INCREMENT,  # ROUND-1, mg PE
            dose_unit="mg PE",
            route="IV",
            local_code="FOSPH-INJ",
        ),
        product(
            HYPERTONIC_SALINE,
            "sodium chloride",
            "sodium chloride 3% injection",
            SALINE_INCREMENT,
            dose_unit="mL",
            route="IV",
            local_code="NACL3-INJ",
        ),
        product(
            MANNITOL,
            "mannitol",
            "mannitol injection",
            MANNITOL_INCREMENT,
            dose_unit="g",
            route="IV",
            local_code="MANN-INJ",
        ),
    ]


@hookimpl
def orderset_orders(context: BuildContext) -> list[Order]:
    return [*_sup1(context), *_lab1(context), *_seiz1(context), *_icp1(context)]


# ---- SUP-1 ----------------------------------------------------------------------------------


def _plain(
    order_id: str,
    rule: Rule,
    kind: OrderKind,
    section: Section,
    text: str,
    *,
    evidence: Evidence | None = None,
    selected: bool = True,
    frequency: str | None = None,
    notes: tuple[str, ...] = (),
) -> Order:
    """A non-medication order (nursing, lab, imaging, consult, procedure) of `rule`."""
    return Order(
        id=order_id,
        rule_id=rule.id,
        kind=kind,
        section=section,
        selected=selected,
        text=text,
        evidence=evidence or rule.evidence,
        frequency=frequency,
        notes=notes,
    )


def _sup1(context: BuildContext) -> list[Order]:
    case = context.case
    unit = "pediatric" if case.is_child else "adult"
    shock = ("Shock at onset is reported for this patient.",) if case.clinical.shock else ()
    enteral = (
        ()
        if case.clinical.enteral_route_available
        else ("The enteral route is reported unavailable: parenteral nutrition until it is.",)
    )
    nursing: list[tuple[str, OrderKind, str, tuple[str, ...]]] = [
        ("ICU", "nursing", f"Admit to the {unit} intensive care unit", ()),
        ("NEURO-CHECKS", "nursing", "Neurologic checks every hour", ()),
        ("CARDIORESPIRATORY", "nursing", "Continuous cardiorespiratory monitoring", ()),
        ("HEAD-OF-BED", "nursing", f"Head of bed at {SUP1_HEAD_OF_BED_DEGREES} degrees", ()),
        ("SEIZURE-PRECAUTIONS", "nursing", "Seizure precautions", ()),
        ("INTAKE-OUTPUT", "nursing", "Strict intake and output", ()),
        (
            "NORMOTHERMIA",
            "nursing",
            f"Normothermia: target temperature {SUP1_TARGET_TEMPERATURE_C} °C",
            ("JSCN 2023: weak recommendation.",),
        ),
        (
            "AIRWAY",
            "procedure",
            "Intubate for airway protection when GCS is"
            f" {SUP1_INTUBATION_GCS_AT_OR_UNDER} or less or airway reflexes are lost",
            (),
        ),
        ("SHOCK", "nursing", "Treat shock per institution protocol", shock),
        (
            "NUTRITION",
            "nursing",
            "Enteral nutrition when possible, otherwise parenteral nutrition",
            enteral,
        ),
    ]
    orders = [
        _plain(f"{SUP1.id}-{suffix}", SUP1, kind, Section.ADMISSION, text, notes=n)
        for suffix, kind, text, n in nursing
    ]
    for suffix, text in (
        ("NEUROLOGY", "Consult neurology"),
        ("CRITICAL-CARE", "Consult critical care"),
        ("INFECTIOUS-DISEASES", "Consult infectious diseases"),
    ):
        orders.append(_plain(f"{SUP1.id}-{suffix}", SUP1, "consult", Section.CONSULTS, text))
    orders.append(
        _plain(
            f"{SUP1.id}-GENETICS",
            SUP1,
            "consult",
            Section.CONSULTS,
            "Consult genetics for RANBP2 testing in survivors and family",
            evidence=Evidence(grade=SUP1.grade, sources=("Silverman 2025, JAMA 334:692",)),
            selected=False,
            notes=("Never delay treatment for genetic testing.",),
        )
    )
    return orders


# ---- LAB-1 ----------------------------------------------------------------------------------


def _lab1(context: BuildContext) -> list[Order]:
    missing = set(context.severity.missing) if context.severity else set()

    def score_note(item: str, what: str) -> tuple[str, ...]:
        if item in missing:
            return (f"Needed for the ANE severity score (SCORE-1): {what} missing from this case.",)
        return ()

    platelets_note = score_note("platelets under 100 x10^9/L", "platelets are")
    csf_note = score_note("CSF protein over 60 mg/dL", "CSF protein is")
    labs: list[tuple[str, str, str | None, tuple[str, ...]]] = [
        ("CBC", "Complete blood count with platelets", None, platelets_note),
        (
            "METABOLIC",
            "Metabolic panel: glucose, sodium, potassium, creatinine, AST, ALT",
            None,
            (),
        ),
        ("COAGULATION", "Coagulation: PT/INR, aPTT, fibrinogen", None, ()),
        ("LACTATE", "Lactate", None, ()),
        ("FERRITIN", "Ferritin", None, ()),
        ("BLOOD-CULTURE", "Blood culture", None, ()),
        ("VIRAL-PCR", "Influenza and respiratory viral PCR", None, ()),
        (
            "CSF",
            "CSF protein, cells, glucose and viral PCR when lumbar puncture is safe",
            None,
            ("CSF may be normal: never wait for it to treat.", *csf_note),
        ),
        (
            "GLUCOSE-SODIUM",
            f"Glucose and sodium {LAB1_MONITOR_FREQUENCY}",
            LAB1_MONITOR_FREQUENCY,
            (),
        ),
    ]
    orders = [
        _plain(
            f"{LAB1.id}-{suffix}",
            LAB1,
            "lab",
            Section.LABS,
            text,
            selected=False,
            frequency=frequency,
            notes=notes,
        )
        for suffix, text, frequency, notes in labs
    ]
    orders.append(
        _plain(
            f"{LAB1.id}-MRI",
            LAB1,
            "imaging",
            Section.IMAGING,
            "Urgent MRI brain (CT head if MRI is unavailable)",
            selected=False,
        )
    )
    return orders


# ---- SEIZ-1 ---------------------------------------------------------------------------------


def _seiz1(context: BuildContext) -> list[Order]:
    return [
        *(order_from_rule(record, context) for record in SEIZ1_RECORDS),
        _plain(
            f"{SEIZ1.id}-EEG",
            SEIZ1,
            "procedure",
            Section.SEIZURE,
            "Continuous EEG monitoring",
            notes=(FEWEST_DRUGS_NOTE,),
        ),
    ]


# ---- ICP-1 ----------------------------------------------------------------------------------


def _icp1(context: BuildContext) -> list[Order]:
    saline = context.product(HYPERTONIC_SALINE)
    low = rule_calculation(ICP1_SALINE, context)
    # ICP-1: the upper end of the range, 10 mL/kg, for the range printed on the line.
    high = rule_calculation(ICP1_SALINE, context, per_kg=ICP1_SALINE_HIGH_PER_KG)
    low_text = format_quantity(low.given, saline.dose_unit)
    high_text = format_quantity(high.given, saline.dose_unit)
    low_per_kg = format_quantity(ICP1_SALINE_LOW_PER_KG)
    high_per_kg = format_quantity(ICP1_SALINE_HIGH_PER_KG)
    orders = [
        order_from_rule(
            ICP1_SALINE,
            context,
            calculation=low,
            instructions=(
                f"(3% solution, bolus of {low_per_kg}; range {low_per_kg} to {high_per_kg}:"
                f" {low_text} to {high_text})"
            ),
            notes=(f"Upper end of the range: {high.text}.", *ICP1_SALINE.notes),
        ),
        _plain(
            f"{ICP1.id}-SODIUM-OSMOLARITY",
            ICP1,
            "lab",
            Section.ICP,
            f"Serum sodium and osmolarity {ICP1_CHECK_FREQUENCY} while 3% sodium chloride is used",
            selected=False,
            frequency=ICP1_CHECK_FREQUENCY,
        ),
    ]
    per_kg = context.setting(SECTION, "mannitol_g_per_kg")
    if per_kg is not None:
        orders.append(order_from_rule(ICP1_MANNITOL, context, per_kg=per_kg))
    return orders
