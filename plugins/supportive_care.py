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
- SEIZ-1 fosphenytoin's cardiac monitoring is offered with fosphenytoin: unselected, and
  pre-selected only when the profile pre-selects fosphenytoin (by its order id or SEIZ-1); it
  depends on the fosphenytoin order, so it goes when fosphenytoin does (allergy).
- ICP-1 hypertonic saline is ONE bolus whose volume the prescriber writes within the printed
  range (2 to 5 mL/kg in mL): the order carries no single volume (`dose` is None, the range is
  in `dose_detail`), so no format sends a volume nobody prescribed. It and its sodium checks are
  offered unselected (rule). Without a maximum single bolus in the profile, a patient 18 or
  older or over 50 kg gets no computed range ("per institution protocol", with an alert). The
  continuous 3% infusion and 23.4% sodium chloride appear only when the profile enables them;
  mannitol only when the profile gives its dose.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, Decimal
from typing import Any

import attrs
import pint

from orderset.plugin import (
    Alert,
    BuildContext,
    Calculation,
    Evidence,
    MedicationRule,
    Order,
    OrderKind,
    Preparation,
    PrepData,
    Product,
    Rule,
    Section,
    Setting,
    Settings,
    Storage,
    containers,
    format_number,
    format_quantity,
    hookimpl,
    order_from_rule,
    pump_rate,
    rule_calculation,
    units,
)

SECTION = "supportive_care"
LORAZEPAM = "lorazepam-iv"
MIDAZOLAM = "midazolam-inj"
LEVETIRACETAM = "levetiracetam-iv"
FOSPHENYTOIN = "fosphenytoin-iv"
HYPERTONIC_SALINE = "sodium-chloride-3-percent-iv"
CONCENTRATED_SALINE = "sodium-chloride-23-4-percent-iv"
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
# SEIZ-1: levetiracetam and fosphenytoin each infused over 10 minutes (ESETT).
SEIZ1_ESETT_INFUSION = units.Quantity(10, units.minute)
# SEIZ-1: fosphenytoin no faster than 2 mg PE/kg/min or 150 mg PE/min, whichever is slower
# (label boxed warning), with cardiac monitoring: print the minimum infusion time.
SEIZ1_FOSPHENYTOIN_RATE_PER_KG = units.Quantity(2, units.mg_per_kg_per_min)  # mg PE/kg/min
SEIZ1_FOSPHENYTOIN_RATE_MAX = units.Quantity(150, units.mg / units.minute)  # mg PE/min
# ROUND-1 default increments: lorazepam 0.1 mg; midazolam 0.1 mg; levetiracetam 10 mg;
# fosphenytoin 5 mg PE.
LORAZEPAM_INCREMENT = units.Quantity(0.1, units.mg)
MIDAZOLAM_INCREMENT = units.Quantity(0.1, units.mg)
LEVETIRACETAM_INCREMENT = units.Quantity(10, units.mg)
FOSPHENYTOIN_INCREMENT = units.Quantity(5, units.mg)

# ICP-1 (Kochanek 2019): 3% sodium chloride bolus 2-5 mL/kg IV over 10-20 minutes, PRN; the
# prescriber writes the volume within the range (the 2012 edition's 6.5-10 mL/kg is superseded).
ICP1_SALINE_STRENGTH = "3%"
ICP1_SALINE_LOW_PER_KG = units.Quantity(2, units.mL_per_kg)
ICP1_SALINE_HIGH_PER_KG = units.Quantity(5, units.mL_per_kg)
ICP1_SALINE_MINUTES_LOW = 10
ICP1_SALINE_MINUTES_HIGH = 20
# ICP-1: maximum single bolus volume: none confirmed; from the institution profile. Without it, a
# patient 18 or older, or over 50 kg, gets no computed volume ("per institution protocol").
ICP1_NO_MAXIMUM_ADULT_YEARS = 18
ICP1_NO_MAXIMUM_OVER_KG = Decimal(50)
# ICP-1: avoid serum sodium over 160 mEq/L sustained for more than 72 hours (2019); hold at serum
# osmolarity 360 mOsm/L or more (2012), both printed as hold parameters; sodium checks every 6
# hours while used (local practice, no source).
ICP1_SODIUM_LIMIT = 160  # mEq/L
ICP1_SODIUM_HOURS = 72
ICP1_HOLD_OSMOLARITY = 360  # mOsm/L
ICP1_CHECK_FREQUENCY = "every 6 hours"
# ICP-1 (2019, sliding scale): continuous 3% infusion 0.1-1 mL/kg/h, only when the profile
# enables it.
ICP1_INFUSION_LOW_PER_KG_H = units.Quantity(0.1, units.mL_per_kg / units.h)
ICP1_INFUSION_HIGH_PER_KG_H = units.Quantity(1, units.mL_per_kg / units.h)
# ICP-1: 23.4% sodium chloride 0.5 mL/kg, maximum 30 mL, central line, refractory only; only
# when the profile enables it.
ICP1_CONCENTRATED_STRENGTH = "23.4%"
ICP1_CONCENTRATED_PER_KG = units.Quantity(0.5, units.mL_per_kg)
ICP1_CONCENTRATED_MAX = units.Quantity(30, units.mL)
# ICP-1: mannitol 0.25-1 g/kg, low confidence: only from the institution profile (no default).
ICP1_MANNITOL_MIN = units.Quantity(0.25, units.g_per_kg)
ICP1_MANNITOL_MAX = units.Quantity(1, units.g_per_kg)
# Formulary defaults, not clinical numbers: ROUND-1 lists no increment for 3% sodium chloride or
# mannitol, so a bolus is measured to 1 mL and mannitol to 0.1 g; a profile's [formulary.KEY]
# increment replaces them.
SALINE_INCREMENT = units.Quantity(1, units.mL)
# Formulary default, not a clinical number: 23.4% sodium chloride (0.5 mL/kg, small volumes) is
# measured by syringe to 0.1 mL; a profile's [formulary.KEY] increment replaces it.
CONCENTRATED_SALINE_INCREMENT = units.Quantity(0.1, units.mL)
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
ESETT = "Kapur 2019, NEJM 381:2103 (ESETT)"

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
    sources=(ESETT, JSCN, "fosphenytoin US label (boxed warning: infusion rate)"),
    description=(
        "one choice per line is pre-selected (lorazepam IV first line, levetiracetam second"
        " line), the others offered; continuous EEG pre-selected; valproate not offered."
        f" Levetiracetam is infused over {format_quantity(SEIZ1_ESETT_INFUSION)} (ESETT)."
        " Fosphenytoin's minimum infusion time for the patient is its dose over the slower"
        f" rate, {format_quantity(SEIZ1_FOSPHENYTOIN_RATE_PER_KG, 'mg PE/kg/min')} x weight"
        f" or {format_quantity(SEIZ1_FOSPHENYTOIN_RATE_MAX, 'mg PE/min')} (the smaller),"
        " rounded up to a whole minute and never under"
        f" {format_quantity(SEIZ1_ESETT_INFUSION)} (ESETT); printed on the line and as its"
        " infusion time, with a cardiac monitoring order that goes with fosphenytoin"
        " (offered unselected like it; pre-selected when the profile pre-selects it)."
    ),
)
ICP1 = Rule(
    "ICP-1",
    "Raised intracranial pressure: hyperosmolar therapy",
    "partial",
    sources=(
        "Kochanek 2019, Pediatr Crit Care Med 20:S1 (TBI, 3rd edition)",
        "Kochanek 2012, Pediatr Crit Care Med (TBI)",
        "Silverman 2025, JAMA 334:692",
    ),
    description=(
        "3% sodium chloride is one bolus with no single volume: the line prints a blank for"
        " the prescriber's volume and the range"
        f" {format_quantity(ICP1_SALINE_LOW_PER_KG)} to"
        f" {format_quantity(ICP1_SALINE_HIGH_PER_KG)} in mL (ROUND-1; the upper end never above"
        f" {format_quantity(ICP1_SALINE_HIGH_PER_KG)}), infused over"
        f" {ICP1_SALINE_MINUTES_LOW} to {ICP1_SALINE_MINUTES_HIGH} minutes, with the hold"
        f" parameters (serum osmolarity {ICP1_HOLD_OSMOLARITY} mOsm/L or more; serum sodium over"
        f" {ICP1_SODIUM_LIMIT} mEq/L for more than {ICP1_SODIUM_HOURS} hours); offered"
        f" unselected with sodium and osmolarity checks {ICP1_CHECK_FREQUENCY}. The maximum"
        " single bolus comes only from the profile (none is confirmed) and caps both ends;"
        f" without it a patient {ICP1_NO_MAXIMUM_ADULT_YEARS} or older or over"
        f" {format_number(ICP1_NO_MAXIMUM_OVER_KG)} kg gets no range (per institution"
        " protocol, with an alert). Continuous 3% infusion"
        f" ({format_quantity(ICP1_INFUSION_LOW_PER_KG_H, 'mL/kg/h')} to"
        f" {format_quantity(ICP1_INFUSION_HIGH_PER_KG_H, 'mL/kg/h')}, a rate range in mL/h)"
        " and 23.4% sodium chloride (central line, refractory raised intracranial pressure only)"
        " only when the profile enables them, offered unselected; mannitol only when the"
        f" profile gives its dose per kg ({format_quantity(ICP1_MANNITOL_MIN)} to"
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
        notes=(VALPROATE_NOTE, FEWEST_DRUGS_NOTE),
        instructions="(second line, alternative to levetiracetam)",
        **_SEIZ1,
    ),
)

# ICP-1: 3% sodium chloride bolus 2-5 mL/kg IV over 10-20 minutes PRN, offered unselected. One
# bolus: the two records are the ends of the range printed for the prescriber (the order itself
# carries no single volume); the profile's maximum single bolus caps both.
_ICP1_SALINE: dict[str, Any] = {
    "id": f"{ICP1.id}-SALINE",
    "rule": ICP1,
    "product": HYPERTONIC_SALINE,
    "route": "IV",
    "frequency": "as needed",
    "prn": "raised intracranial pressure",
    "section": Section.ICP,
    "selected": False,
}
ICP1_SALINE = MedicationRule(
    when="low end of the range",
    per_kg=ICP1_SALINE_LOW_PER_KG,
    notes=(
        # ICP-1 context (Silverman 2025).
        "91% of deaths in the US cohort were cerebral herniation, median day 3 (Silverman 2025).",
    ),
    **_ICP1_SALINE,
)
ICP1_SALINE_HIGH = MedicationRule(
    when="high end of the range", per_kg=ICP1_SALINE_HIGH_PER_KG, **_ICP1_SALINE
)
# ICP-1: 23.4% sodium chloride 0.5 mL/kg, maximum 30 mL, central line, refractory only; only
# when the profile enables it, offered unselected.
ICP1_CONCENTRATED = MedicationRule(
    id=f"{ICP1.id}-SALINE-23-4",
    rule=ICP1,
    product=CONCENTRATED_SALINE,
    when="profile enables it",
    per_kg=ICP1_CONCENTRATED_PER_KG,
    maximum=ICP1_CONCENTRATED_MAX,
    route="IV",
    frequency="once",
    prn="refractory raised intracranial pressure only",
    section=Section.ICP,
    selected=False,
    instructions="via a central line only",
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
        ),
        Setting(
            SECTION,
            "saline_3_percent_max_bolus",
            None,
            "ICP-1 maximum single bolus of 3% sodium chloride, in mL: none is confirmed, so no"
            " default. It caps the bolus range for every patient; without it a patient 18 or"
            " older or over 50 kg gets no computed volume (per institution protocol).",
            "quantity",
            units=units.spellings({"mL": units.mL}),
            # Not a clinical number: a bolus under one measurable step (1 mL) is no bolus.
            minimum=SALINE_INCREMENT,
        ),
        Setting(
            SECTION,
            "saline_3_percent_infusion",
            False,
            "ICP-1: offer the continuous 3% sodium chloride infusion (0.1 to 1 mL/kg/h).",
            bool,
        ),
        Setting(
            SECTION,
            "saline_23_4_percent",
            False,
            "ICP-1: offer 23.4% sodium chloride (0.5 mL/kg, maximum 30 mL, central line,"
            " refractory only).",
            bool,
        ),
    ]


# ---- preparation facts (notes/product-labels.md; only what was seen in a US label) -----------


# Lorazepam Injection USP (Hospira) US label: 2 mg/mL and 4 mg/mL in 1 mL single-dose vials;
# refrigerate and protect from light; dilute with an equal volume just before IV use and mix
# by gently inverting, not shaking. Diluents, rate and beyond-use time only in secondary texts.
LORAZEPAM_PREPARATION = PrepData(
    source="Lorazepam Injection USP (Hospira) US label",
    presentations=containers(units.mg, (2, 1), (4, 1)),
    equal_volume_dilution=True,
    protect_from_light=True,
    handling=(
        "Immediately before IV use dilute with an equal volume of a compatible solution (never"
        " more diluent than drug); mix by gently inverting, do not shake vigorously.",
        "Contains 2% benzyl alcohol and polyethylene glycol 400 in propylene glycol (Hospira"
        " label): weigh it in neonates and premature infants.",
    ),
)
# Midazolam Injection USP (Hospira) US label: 1 mg/mL and 5 mg/mL; 10 mg/10 mL, 25 mg/5 mL,
# 50 mg/10 mL vials. Diluents, storage and stability only in secondary texts.
MIDAZOLAM_PREPARATION = PrepData(
    source="Midazolam Injection USP (Hospira) US label",
    presentations=containers(units.mg, (10, 10), (25, 5), (50, 10)),
    handling=(
        "Contains 1% benzyl alcohol (Hospira label): weigh it in neonates and premature infants.",
    ),
)
# KEPPRA injection US label (copy): 500 mg/5 mL single-dose vial; dilute in 100 mL of 0.9%
# sodium chloride, lactated Ringer's or 5% dextrose, and for a smaller volume never over
# 15 mg/mL; a 15-minute infusion; the diluted solution keeps 4 hours at 15 to 30 C.
LEVETIRACETAM_PREPARATION = PrepData(
    source="KEPPRA (levetiracetam) injection US label (copy)",
    presentations=containers(units.mg, (500, 5)),
    diluents=("0.9% sodium chloride", "lactated Ringer's", "5% dextrose"),
    diluent_volume=units.Quantity(100, units.mL),
    concentration_max=units.Quantity(15, units.mg_per_mL),
    infusion_minutes_min=15,
    storage=(Storage("room temperature, 15 to 30 °C", Decimal(4)),),
    handling=("Consider the patient's total daily fluid intake (label).",),
)
# CEREBYX US label 16.1-16.2 and highlights: 100 mg PE/2 mL and 500 mg PE/10 mL single-dose
# vials (50 mg PE/mL); discard the unused part; the boxed warning's rates. Diluents,
# concentration limits and the diluted solution's beyond-use time only in secondary texts.
FOSPHENYTOIN_PREPARATION = PrepData(
    source="CEREBYX (fosphenytoin) US label, sections 16.1 and 16.2 and boxed warning",
    presentations=containers(units.mg, (100, 2), (500, 10)),
    # Boxed warning: never faster than 150 mg PE/min; in children 2 mg PE/kg/min or 150 mg
    # PE/min, whichever is slower (checked again on the prepared dose, independently of SEIZ-1).
    dose_rate_max=units.Quantity(150, units.mg / units.minute),
    dose_rate_max_per_kg_child=units.Quantity(2, units.mg_per_kg_per_min),
    handling=(
        "50 mg PE per mL, not per vial: check the volume against the dose.",
        "Single-dose vials: discard the unused part.",
    ),
)
# 3% Sodium Chloride Injection USP (Baxter VIAFLEX) US label: 500 mL single-dose container,
# 513 mEq/L, 1,027 mOsmol/L; hypertonic solutions of 600 mOsmol/L or more may damage veins.
SALINE_3_PREPARATION = PrepData(
    source="3% Sodium Chloride Injection USP (Baxter VIAFLEX) US label",
    presentations=containers(units.mL, (500, 500), kind="bag"),
    handling=(
        "Hypertonic, about 1,027 mOsmol/L: solutions of 600 mOsmol/L or more may damage"
        " veins (label).",
    ),
)
# 23.4% Sodium Chloride Injection USP (Hospira) US label: pharmacy bulk package, not for
# direct infusion; must be diluted before IV use; complete transfers within 4 hours of the
# first puncture; mix thoroughly and do not store.
SALINE_23_4_PREPARATION = PrepData(
    source="23.4% Sodium Chloride Injection USP (Hospira) US label, 2024",
    must_dilute=True,
    handling=(
        "Pharmacy bulk package, not for direct infusion: transfers within 4 hours of the"
        " first puncture, then discard.",
        "Admixture: mix thoroughly and do not store.",
    ),
)
# Mannitol Injection USP (Hospira) US label 2.1: preferably through a central venous
# catheter; an administration set with a filter; not with blood products or through their
# set; never transferred into PVC bags; warm to dissolve crystals.
MANNITOL_PREPARATION = PrepData(
    source="Mannitol Injection USP (Hospira) US label, section 2.1",
    filter="an administration set with a filter (mannitol crystals)",
    handling=(
        "Preferably through a central venous catheter.",
        "Do not transfer into PVC bags (a white precipitate may form).",
        "Not with blood products or through the same set.",
        "Inspect for crystals; warm to dissolve them before use.",
    ),
)


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
            maximum_dose=SEIZ1_LORAZEPAM_MAX,  # SEIZ-1
            dose_unit="mg",
            route="IV",
            local_code="LORA-INJ",
            preparation=LORAZEPAM_PREPARATION,
        ),
        product(
            MIDAZOLAM,
            "midazolam",
            "midazolam injection",
            MIDAZOLAM_INCREMENT,  # ROUND-1
            maximum_dose=SEIZ1_MIDAZOLAM_MAX,  # SEIZ-1
            dose_unit="mg",
            route="IV",
            local_code="MIDAZ-INJ",
            preparation=MIDAZOLAM_PREPARATION,
        ),
        product(
            LEVETIRACETAM,
            "levetiracetam",
            "levetiracetam injection",
            LEVETIRACETAM_INCREMENT,  # ROUND-1
            maximum_dose=SEIZ1_LEVETIRACETAM_MAX,  # SEIZ-1
            dose_unit="mg",
            route="IV",
            local_code="LEVE-INJ",
            preparation=LEVETIRACETAM_PREPARATION,
        ),
        product(
            FOSPHENYTOIN,
            "fosphenytoin",
            "fosphenytoin sodium injection (phenytoin equivalents)",
            FOSPHENYTOIN_INCREMENT,  # ROUND-1, mg PE
            maximum_dose=SEIZ1_FOSPHENYTOIN_MAX,  # SEIZ-1, mg PE
            dose_unit="mg PE",
            route="IV",
            local_code="FOSPH-INJ",
            preparation=FOSPHENYTOIN_PREPARATION,
        ),
        product(
            HYPERTONIC_SALINE,
            "sodium chloride",
            "sodium chloride 3% injection",
            SALINE_INCREMENT,
            dose_unit="mL",
            route="IV",
            local_code="NACL3-INJ",
            preparation=SALINE_3_PREPARATION,
        ),
        product(
            CONCENTRATED_SALINE,
            "sodium chloride",
            "sodium chloride 23.4% injection",
            CONCENTRATED_SALINE_INCREMENT,
            maximum_dose=ICP1_CONCENTRATED_MAX,  # ICP-1: 23.4% at most 30 mL
            dose_unit="mL",
            route="IV",
            local_code="NACL23-INJ",
            preparation=SALINE_23_4_PREPARATION,
        ),
        product(
            MANNITOL,
            "mannitol",
            "mannitol injection",
            MANNITOL_INCREMENT,
            maximum_dose=ICP1_MANNITOL_MAX,  # ICP-1: mannitol 0.25-1 g/kg
            dose_unit="g",
            route="IV",
            local_code="MANN-INJ",
            preparation=MANNITOL_PREPARATION,
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
    # The scheduled ones carry their frequency too, so HL7 TQ1-3 has a repeat pattern.
    scheduled = {"NEURO-CHECKS": "every hour"}
    orders = [
        _plain(
            f"{SUP1.id}-{suffix}",
            SUP1,
            kind,
            Section.ADMISSION,
            text,
            notes=n,
            frequency=scheduled.get(suffix),
        )
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

FOSPHENYTOIN_ID = f"{SEIZ1.id}-FOSPHENYTOIN"


def fosphenytoin_minimum_minutes(dose: pint.Quantity, weight_kg: Decimal) -> tuple[Decimal, int]:
    """SEIZ-1: (the slower allowed rate in mg PE/min, the minimum infusion time in minutes).

    The slower of 2 mg PE/kg/min x weight and 150 mg PE/min is the smaller rate; the time is the
    dose over it, exact in Decimal, rounded up to a whole minute (a shorter time would be too
    fast), and never under ESETT's 10 minutes.
    """
    per_min = units.mg / units.minute
    by_weight = units.to_decimal(SEIZ1_FOSPHENYTOIN_RATE_PER_KG, units.mg_per_kg_per_min)
    rate = min(by_weight * weight_kg, units.to_decimal(SEIZ1_FOSPHENYTOIN_RATE_MAX, per_min))
    minutes = (units.to_decimal(dose, units.mg) / rate).to_integral_value(rounding=ROUND_CEILING)
    esett = units.to_decimal(SEIZ1_ESETT_INFUSION, units.minute)
    return rate, int(max(minutes, esett))


def _seiz1(context: BuildContext) -> list[Order]:
    orders = []
    for record in SEIZ1_RECORDS:
        if record.product == LEVETIRACETAM:
            esett = format_quantity(SEIZ1_ESETT_INFUSION)
            orders.append(
                order_from_rule(
                    record,
                    context,
                    instructions=f"{record.instructions}; infuse over {esett}",
                    preparation=Preparation(
                        infuse_over=SEIZ1_ESETT_INFUSION, text=f"Infuse over {esett} (ESETT)."
                    ),
                )
            )
        elif record.product == FOSPHENYTOIN:
            orders.append(_fosphenytoin(record, context))
        else:
            orders.append(order_from_rule(record, context))
    # SEIZ-1: cardiac monitoring with fosphenytoin; offered like it, and pre-selected when the
    # profile pre-selects fosphenytoin (the engine applies the profile to each id on its own).
    chosen = context.settings.selection
    with_fosphenytoin = chosen.get(FOSPHENYTOIN_ID, chosen.get(SEIZ1.id, False))
    monitoring = _plain(
        f"{FOSPHENYTOIN_ID}-CARDIAC",
        SEIZ1,
        "nursing",
        Section.SEIZURE,
        "Continuous cardiac monitoring during the fosphenytoin infusion (with fosphenytoin:"
        " order both)",
        selected=with_fosphenytoin,
    )
    return [
        *orders,
        attrs.evolve(monitoring, depends_on=FOSPHENYTOIN_ID),
        _plain(
            f"{SEIZ1.id}-EEG",
            SEIZ1,
            "procedure",
            Section.SEIZURE,
            "Continuous EEG monitoring",
            notes=(FEWEST_DRUGS_NOTE,),
        ),
    ]


def _fosphenytoin(record: MedicationRule, context: BuildContext) -> Order:
    """SEIZ-1 fosphenytoin with its minimum infusion time for this patient on the line."""
    calculation = rule_calculation(record, context)
    rate, minutes = fosphenytoin_minimum_minutes(calculation.given, context.weight_kg)
    over = units.Quantity(minutes, units.minute)
    rate_text = f"{format_number(rate)} mg PE/min"
    per_kg_rate = format_quantity(SEIZ1_FOSPHENYTOIN_RATE_PER_KG, "mg PE/kg/min")
    label_rate = format_quantity(SEIZ1_FOSPHENYTOIN_RATE_MAX, "mg PE/min")
    dose = format_quantity(calculation.given, "mg PE")
    exact = units.to_decimal(calculation.given, units.mg) / rate
    by_weight = (
        units.to_decimal(SEIZ1_FOSPHENYTOIN_RATE_PER_KG, units.mg_per_kg_per_min)
        * context.weight_kg
    )
    rate_note = (
        f"Minimum infusion time (SEIZ-1): no faster than {per_kg_rate} or {label_rate},"
        f" whichever is slower (label boxed warning): {per_kg_rate} x"
        f" {format_number(context.weight_kg)} kg = {format_number(by_weight)} mg PE/min"
        f" against {label_rate}, the slower is {rate_text}; {dose} / {rate_text} ="
        f" {format_number(exact)} minutes; minimum infusion time {format_quantity(over)}"
        f" (rounded up to a whole minute, never under {format_quantity(SEIZ1_ESETT_INFUSION)}:"
        " ESETT). Never a rapid push."
    )
    return order_from_rule(
        record,
        context,
        calculation=calculation,
        instructions=(
            f"{record.instructions}; infuse over at least {format_quantity(over)} (no faster"
            f" than {rate_text}) with cardiac monitoring"
        ),
        preparation=Preparation(
            infuse_over=over,
            text=(
                f"Infuse over at least {format_quantity(over)}, no faster than {rate_text};"
                " never a rapid push."
            ),
        ),
        notes=(rate_note, *record.notes),
    )


# ---- ICP-1 ----------------------------------------------------------------------------------

ICP1_HOLD = (
    f"hold if serum osmolarity is {ICP1_HOLD_OSMOLARITY} mOsm/L or more; avoid serum sodium over"
    f" {ICP1_SODIUM_LIMIT} mEq/L sustained for more than {ICP1_SODIUM_HOURS} hours"
)
ICP1_OVER = f"over {ICP1_SALINE_MINUTES_LOW} to {ICP1_SALINE_MINUTES_HIGH} minutes"
PROTOCOL_ALERT = f"{ICP1.id}-SALINE-PROTOCOL"


def _saline_by_protocol(context: BuildContext) -> bool:
    """ICP-1: no computed volume without the profile's maximum single bolus for a patient 18 or
    older or over 50 kg (exact Decimal comparison: 50 kg computes, 50.001 kg does not)."""
    if context.setting(SECTION, "saline_3_percent_max_bolus") is not None:
        return False
    case = context.case
    return case.age.years >= ICP1_NO_MAXIMUM_ADULT_YEARS or (
        context.weight_kg > ICP1_NO_MAXIMUM_OVER_KG
    )


def _range_line(drug: str, strength: str, amount: str, detail: str, route: str, rest: str) -> str:
    """A medication line with no single dose: the prescriber writes it in the blank."""
    detail_text = f" ({detail})" if detail else ""
    return f"{drug} {strength} {amount}{detail_text} {route} {rest}"


def _range_end(per_kg: pint.Quantity, calc: Calculation, context: BuildContext) -> str:
    """ "5 mL/kg x 14.2 kg = 71 mL": one end of a range, never worded as a dose given."""
    text = (
        f"{format_quantity(per_kg)} x {format_number(context.weight_kg)} kg ="
        f" {format_quantity(calc.calculated)}"
    )
    if calc.capped and calc.maximum is not None:
        text += f", capped at {format_quantity(calc.maximum)}"
    if calc.given != min(calc.calculated, calc.maximum or calc.calculated):
        text += f", rounded to {format_quantity(calc.given)}"
    return text


def _icp1_saline(context: BuildContext) -> Order:
    """ICP-1: ONE bolus of 3% sodium chloride; the prescriber writes its volume within the
    printed range. No `dose`: the range is `dose_detail`, so no format sends an unchosen volume."""
    saline = context.product(HYPERTONIC_SALINE)
    maximum = context.setting(SECTION, "saline_3_percent_max_bolus")
    per_kg = (
        f"{format_number(units.to_decimal(ICP1_SALINE_LOW_PER_KG, units.mL_per_kg))} to"
        f" {format_quantity(ICP1_SALINE_HIGH_PER_KG)}"
    )
    evidence = ICP1.evidence
    notes: list[str] = []
    if _saline_by_protocol(context):
        # No mL/kg printed either: it would invite the volume computed by hand (finding 2).
        amount, detail = "bolus per institution protocol", ""
        notes.append(
            f"No volume computed: ICP-1 confirms no maximum single bolus and the institution"
            f" profile gives none (supportive_care.saline_3_percent_max_bolus); for a patient"
            f" {ICP1_NO_MAXIMUM_ADULT_YEARS} or older or over"
            f" {format_number(ICP1_NO_MAXIMUM_OVER_KG)} kg the volume is per institution protocol."
        )
    else:
        low = rule_calculation(ICP1_SALINE, context, maximum=maximum)
        # ICP-1: the upper end never above 5 mL/kg: ROUND-1 rounds down at this maximum.
        high_exact = units.to_decimal(ICP1_SALINE_HIGH_PER_KG, units.mL_per_kg) * context.weight_kg
        high_cap = units.Quantity(high_exact, units.mL)
        if maximum is not None and units.to_decimal(maximum, units.mL) < high_exact:
            high_cap = maximum
        high = rule_calculation(ICP1_SALINE_HIGH, context, maximum=high_cap)
        low_ml = format_number(units.to_decimal(low.given, units.mL))
        high_text = format_quantity(high.given, saline.dose_unit)
        capped = low.capped or high.capped
        cap_text = (
            f", capped at the institution maximum single bolus of {format_quantity(maximum)}"
            if capped and maximum is not None
            else ""
        )
        if low.given == high.given:
            detail = f"no more than {high_text}: {per_kg}{cap_text}"
        else:
            detail = f"range {low_ml} to {high_text}: {per_kg}{cap_text}"
        amount = "____ mL"
        notes.append(
            f"Range: {_range_end(ICP1_SALINE_LOW_PER_KG, low, context)};"
            f" {_range_end(ICP1_SALINE_HIGH_PER_KG, high, context)} (ROUND-1, steps of"
            f" {format_quantity(saline.increment)}; the upper end never above"
            f" {format_quantity(ICP1_SALINE_HIGH_PER_KG)}). One bolus: the prescriber writes its"
            " volume within the range."
        )
        if maximum is not None:
            evidence = Evidence(
                grade=ICP1.grade,
                sources=(*ICP1.sources, "maximum single bolus per institution profile"),
            )
    rest = f"{ICP1_OVER}, as needed for {ICP1_SALINE.prn}; {ICP1_HOLD}"
    line = _range_line(saline.drug, ICP1_SALINE_STRENGTH, amount, detail, ICP1_SALINE.route, rest)
    order = order_from_rule(
        attrs.evolve(ICP1_SALINE, per_kg=None),
        context,
        text=line,
        instructions=f"{ICP1_OVER}; {ICP1_HOLD}",
        evidence=evidence,
        notes=(*notes, *ICP1_SALINE.notes),
    )
    return attrs.evolve(
        order,
        strength=ICP1_SALINE_STRENGTH,
        dose_detail=detail,
        product_code=saline.local_code or None,
        dosage_form=saline.dosage_form,
    )


def _icp1_infusion(context: BuildContext) -> Order:
    """ICP-1: continuous 3% infusion 0.1-1 mL/kg/h (sliding scale): a rate range in mL/h for the
    prescriber to write in; the upper end rounded down to 0.1 mL/h (ROUND-1)."""
    saline = context.product(HYPERTONIC_SALINE)
    hour = units.Quantity(1, units.h)

    def rate(per_kg_h: pint.Quantity, is_maximum: bool) -> pint.Quantity:
        per_kg = units.to_decimal(per_kg_h, units.mL_per_kg / units.h)
        return pump_rate(
            units.Quantity(per_kg * context.weight_kg, units.mL), hour, is_maximum=is_maximum
        )

    low = rate(ICP1_INFUSION_LOW_PER_KG_H, False)
    high = rate(ICP1_INFUSION_HIGH_PER_KG_H, True)
    per_kg = (
        f"{format_number(units.to_decimal(ICP1_INFUSION_LOW_PER_KG_H, units.mL_per_kg / units.h))}"
        f" to {format_quantity(ICP1_INFUSION_HIGH_PER_KG_H, 'mL/kg/h')}"
    )
    detail = (
        f"range {format_number(units.to_decimal(low, units.mL_per_h))} to"
        f" {format_quantity(high, unit=units.mL_per_h, max_places=1)}: {per_kg}"
    )
    rest = f"continuous infusion, titrated for raised intracranial pressure; {ICP1_HOLD}"
    return Order(
        id=f"{ICP1.id}-SALINE-INFUSION",
        rule_id=ICP1.id,
        kind="medication",
        section=Section.ICP,
        selected=False,
        text=_range_line(saline.drug, ICP1_SALINE_STRENGTH, "____ mL/h", detail, "IV", rest),
        evidence=ICP1.evidence,
        drug=saline.drug,
        product_code=saline.local_code or None,
        dosage_form=saline.dosage_form,
        route="IV",
        instructions=f"continuous infusion, titrated; {ICP1_HOLD}",
        strength=ICP1_SALINE_STRENGTH,
        dose_detail=detail,
        notes=(
            f"Rate range (ROUND-1 to 0.1 mL/h, the upper end rounded down): {per_kg} x"
            f" {format_number(context.weight_kg)} kg. Enabled by the institution profile.",
        ),
    )


def _icp1(context: BuildContext) -> list[Order]:
    orders = [
        _icp1_saline(context),
        attrs.evolve(
            _plain(
                f"{ICP1.id}-SODIUM-OSMOLARITY",
                ICP1,
                "lab",
                Section.ICP,
                f"Serum sodium and osmolarity {ICP1_CHECK_FREQUENCY} while 3% sodium chloride"
                " is used",
                selected=False,
                frequency=ICP1_CHECK_FREQUENCY,
                notes=("Sodium checks every 6 hours: local practice, no source (ICP-1).",),
            ),
            depends_on=ICP1_SALINE.id,
        ),
    ]
    if context.setting(SECTION, "saline_3_percent_infusion"):
        orders.append(_icp1_infusion(context))
    if context.setting(SECTION, "saline_23_4_percent"):
        order = order_from_rule(ICP1_CONCENTRATED, context)
        # "23.4%" right after the drug: the engine composes the line again with it.
        orders.append(attrs.evolve(order, strength=ICP1_CONCENTRATED_STRENGTH, text=""))
    per_kg = context.setting(SECTION, "mannitol_g_per_kg")
    if per_kg is not None:
        orders.append(order_from_rule(ICP1_MANNITOL, context, per_kg=per_kg))
    return orders


@hookimpl
def orderset_alerts(context: BuildContext, orders: tuple[Order, ...]) -> list[Alert]:
    if not _saline_by_protocol(context) or not any(o.id == ICP1_SALINE.id for o in orders):
        return []
    return [
        Alert(
            id=PROTOCOL_ALERT,
            severity="warning",
            rule_id=ICP1.id,
            order_id=ICP1_SALINE.id,
            text=(
                "3% sodium chloride: no volume computed. ICP-1 confirms no maximum single bolus"
                " and the institution profile gives none; for a patient"
                f" {ICP1_NO_MAXIMUM_ADULT_YEARS} or older or over"
                f" {format_number(ICP1_NO_MAXIMUM_OVER_KG)} kg the volume is per institution"
                " protocol."
            ),
        )
    ]
