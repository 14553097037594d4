"""The data model: the patient case that comes in and the order set that goes out.

Every class is a frozen attrs class so an order set cannot be edited after the plugins made it;
the engine derives stamped copies with `attrs.evolve`. Measured values are pint Quantities.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal

import pint
from attrs import Factory, field, frozen

Sex = Literal["female", "male", "other", "unknown"]
Influenza = Literal["positive", "negative", "pending", "unknown"]
Response = Literal["initial", "responding", "refractory"]
Dialysis = Literal["none", "hemodialysis", "peritoneal"]
Grade = Literal["confirmed", "partial", "analogue", "unconfirmed"]
OrderKind = Literal["medication", "nursing", "lab", "imaging", "consult", "procedure"]
AlertSeverity = Literal["critical", "warning", "info"]
SelectedBy = Literal["rule", "profile", "clinician"]


class Section(StrEnum):
    """Sections of the order sheet, in the order they are printed."""

    ADMISSION = "admission_nursing"
    FIRST_LINE = "medications_first_line"
    ADJUNCT = "medications_adjunct_escalation"
    SEIZURE = "seizure_rescue"
    ICP = "raised_icp"
    LABS = "labs"
    IMAGING = "imaging"
    CONSULTS = "consults"

    @property
    def title(self) -> str:  # type: ignore[override]  # str.title() is never wanted here
        return SECTION_TITLES[self]

    @property
    def rank(self) -> int:
        return list(Section).index(self)


SECTION_TITLES = {
    Section.ADMISSION: "Admission and nursing",
    Section.FIRST_LINE: "Medications: first line",
    Section.ADJUNCT: "Medications: adjunct and escalation",
    Section.SEIZURE: "Seizure rescue",
    Section.ICP: "Raised intracranial pressure",
    Section.LABS: "Labs",
    Section.IMAGING: "Imaging",
    Section.CONSULTS: "Consults",
}


# ---- the case -------------------------------------------------------------------------------


#: What an allergy is to, and how severe it was (HL7 AL1-2 table 0127, AL1-4 table 0128).
AllergyType = Literal["drug", "food", "environmental", "animal", "plant", "pollen", "miscellaneous"]
AllergySeverity = Literal["mild", "moderate", "severe"]


@frozen
class Allergy:
    substance: str
    reaction: str | None = None
    #: Optional: when not given, HL7 sends AL1-2 DA (drug allergy) and AL1-4 U (unknown).
    type: AllergyType | None = None
    severity: AllergySeverity | None = None


@frozen
class Patient:
    mrn: str
    family_name: str
    given_name: str
    birth_date: dt.date
    sex: Sex
    weight: pint.Quantity
    weight_measured_at: dt.date
    dialysis: Dialysis
    #: None when allergies were not recorded; an empty tuple means "no known allergies".
    allergies: tuple[Allergy, ...] | None
    height: pint.Quantity | None = None
    serum_creatinine: pint.Quantity | None = None
    hematocrit: pint.Quantity | None = None
    #: Weeks of gestation at birth, for preterm infants (OSE-1 bands by postmenstrual age).
    gestational_age_at_birth: pint.Quantity | None = None


@frozen
class Provider:
    """The ordering provider (HL7 XCN: ORC-12, OBR-16, PV1-7)."""

    id: str
    family_name: str | None = None
    given_name: str | None = None
    #: Who issued `id` (XCN-9 assigning authority, e.g. "NPI" or the hospital's namespace).
    id_authority: str | None = None


@frozen
class Location:
    """Where the patient is, as parts (HL7 PL: point of care, room, bed, facility)."""

    point_of_care: str | None = None
    room: str | None = None
    bed: str | None = None
    facility: str | None = None

    @property
    def text(self) -> str:
        """ "PICU, room 4, bed 12" (what the sheet and JSON print)."""
        parts = [
            self.point_of_care,
            f"room {self.room}" if self.room else None,
            f"bed {self.bed}" if self.bed else None,
            self.facility,
        ]
        return ", ".join(p for p in parts if p)


@frozen
class Encounter:
    #: The location as text (given as text, or composed from `place`).
    location: str | None = None
    attending: str | None = None
    #: The hospital's visit (encounter) number: HL7 PV1-19 and PID-18.
    visit_number: str | None = None
    ordering_provider: Provider | None = None
    #: The location as parts, when the case gave `encounter.location` as an object.
    place: Location | None = None


@frozen
class Clinical:
    neuro_onset: dt.datetime
    influenza: Influenza
    shock: bool | None
    brainstem_lesion: bool | None
    hemorrhagic_lesions: bool | None
    rapid_deterioration: bool | None
    response: Response
    enteral_route_available: bool
    platelets: pint.Quantity | None = None
    csf_protein: pint.Quantity | None = None
    #: Methylprednisolone pulse days already given before this order set (MP-1; 0-5).
    methylprednisolone_days_given: int | None = None


@frozen
class Age:
    """Age at assessment in completed years and months (dosing bands use both)."""

    years: int
    months: int
    days: int

    @property
    def text(self) -> str:
        if self.months < 1:
            return f"{self.days} day{'s' * (self.days != 1)}"
        if self.months < 24:
            return f"{self.months} month{'s' * (self.months != 1)}"
        rest = self.months - 12 * self.years
        tail = f" {rest} month{'s' * (rest != 1)}" if rest and self.years < 18 else ""
        return f"{self.years} years{tail}"


@frozen
class Case:
    """One patient's validated case, with the values every rule derives from it."""

    assessed_at: dt.datetime
    patient: Patient
    clinical: Clinical
    #: Dosing weight in kg, rounded to the gram so lb, g and kg inputs give identical orders.
    weight_kg: Decimal
    age: Age
    hours_since_onset: Decimal
    encounter: Encounter = Factory(Encounter)

    @property
    def is_child(self) -> bool:
        """Under 18 years (clinical-rules.md, Definitions)."""
        return self.age.years < 18


# ---- the order set --------------------------------------------------------------------------


#: Grades never pre-selected by default (clinical rules, "Why evidence grades matter").
NOT_PRESELECTED_GRADES: tuple[Grade, ...] = ("analogue", "unconfirmed")


@frozen
class Evidence:
    grade: Grade
    sources: tuple[str, ...] = ()

    @property
    def preselectable(self) -> bool:
        """False for `analogue` and `unconfirmed`: the engine never pre-selects those unless
        the profile says so, and the sheet marks them."""
        return self.grade not in NOT_PRESELECTED_GRADES


@frozen
class Calculation:
    """How a dose was reached, for the audit trail and the line under the order."""

    text: str
    calculated: pint.Quantity
    given: pint.Quantity
    per_kg: pint.Quantity | None = None
    weight_kg: Decimal | None = None
    maximum: pint.Quantity | None = None
    capped: bool = False
    increment: pint.Quantity | None = None
    deviation_percent: Decimal = Decimal(0)
    pharmacist_review: bool = False
    rounding_rule: str = "ROUND-1"


@frozen
class Preparation:
    """How to make up an infusion: what the pharmacist draws up and the nurse sets on the pump."""

    concentration: pint.Quantity | None = None
    drug_volume: pint.Quantity | None = None
    diluent: str | None = None
    final_volume: pint.Quantity | None = None
    rate: pint.Quantity | None = None
    infuse_over: pint.Quantity | None = None
    text: str = ""


@frozen
class TitrationStep:
    """One step of a rate titration (IVIG): dose rate, pump rate for this patient, and when."""

    dose_rate: pint.Quantity
    pump_rate: pint.Quantity
    after: str


@frozen
class VialDraw:
    """Containers of one presentation used for a dose, and the volume drawn from each."""

    description: str
    count: int
    content: pint.Quantity
    volume: pint.Quantity
    #: mL drawn from each of these containers (all of it, or the part the dose needs), and
    #: the drug in it.
    withdraw: pint.Quantity
    amount: pint.Quantity
    concentration: pint.Quantity
    reconstitute_with: str = ""
    reconstitution_volume: pint.Quantity | None = None


@frozen
class BeyondUse:
    """How long the prepared dose keeps under one storage condition."""

    condition: str
    hours: Decimal


@frozen
class DosePreparation:
    """How the pharmacy makes up one dose, computed by the engine (`orderset.preparation`) so
    the JSON, the worksheet and the labels print the same numbers. `review` lists every reason
    the dose needs a pharmacist's review (a limit exceeded, a fact the formulary lacks); a
    preparation with reasons is never presented as complete."""

    product_key: str
    product: str
    dose: pint.Quantity
    #: The dose's unit label ("mg", "g", "mg PE", "mL") and the dose as printed ("425 mg").
    dose_unit: str
    dose_label: str
    route: str
    draws: tuple[VialDraw, ...] = ()
    containers: int = 0
    waste: pint.Quantity | None = None
    drug_volume: pint.Quantity | None = None
    diluent: str | None = None
    diluent_volume: pint.Quantity | None = None
    final_volume: pint.Quantity | None = None
    final_concentration: pint.Quantity | None = None
    infuse_over: pint.Quantity | None = None
    rate_calculated: pint.Quantity | None = None
    rate: pint.Quantity | None = None
    rate_deviation_percent: Decimal | None = None
    titrated: bool = False
    fluid_per_day: pint.Quantity | None = None
    fluid_per_kg_per_day: pint.Quantity | None = None
    beyond_use: tuple[BeyondUse, ...] = ()
    protect_from_light: bool | None = None
    filter: str | None = None
    handling: tuple[str, ...] = ()
    double_check: bool = False
    steps: tuple[str, ...] = ()
    review: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()


@frozen
class Order:
    """One line of the order set. Medication fields are None for non-medication orders."""

    id: str
    rule_id: str
    kind: OrderKind
    section: Section
    selected: bool
    text: str
    evidence: Evidence
    drug: str | None = None
    #: Classes the drug belongs to, matched against allergies ("corticosteroid").
    drug_classes: tuple[str, ...] = ()
    #: The formulary product's local code (HL7 RXO-1 identifier), when there is one.
    product_code: str | None = None
    dose: pint.Quantity | None = None
    dose_unit: str | None = None
    route: str | None = None
    frequency: str | None = None
    duration: str | None = None
    prn: str | None = None
    dosage_form: str | None = None
    calculation: Calculation | None = None
    preparation: Preparation | None = None
    titration: tuple[TitrationStep, ...] = ()
    daily_dose: pint.Quantity | None = None
    #: The rule's maximum per day, where it has one (ESC-2: 400 mg); the engine checks it.
    daily_maximum: pint.Quantity | None = None
    notes: tuple[str, ...] = ()
    #: What the medication line says after drug, dose, route, frequency and duration
    #: ("infuse over 60 minutes; start now"); the engine composes `text` from the fields and
    #: these (`orderset.lines.order_line`), so a plugin never writes a dose into a sentence.
    instructions: str = ""
    #: Hours from neurologic onset within which the order should start (MP-1, TCZ-1: 24); the
    #: engine turns these into the order set's timing statement.
    start_within_hours: Decimal | None = None
    #: The order id this order exists for (MP-1's glucose checks depend on "MP-1"): when that
    #: order is not in the set (allergy, disabled plugin) the engine removes this one too.
    depends_on: str | None = None
    #: Printed right after the drug name: the strength or form a pharmacist must not miss
    #: ("3%" for sodium chloride 3%).
    strength: str = ""
    #: Printed right after the dose: how to measure it ("5 mL of 6 mg/mL suspension").
    dose_detail: str = ""
    plugin: str = ""
    plugin_version: str = ""
    #: Who decided `selected`, recorded by the engine (a plugin leaves it): "rule" (the rule's
    #: pre-selection and grade policy), "profile" (the institution profile's `[selection]`) or
    #: "clinician" (`build_order_set(..., selections=...)`, a clinician's tick or untick).
    selected_by: SelectedBy = "rule"
    #: How the pharmacy prepares this dose, computed by the engine after the plugins (a plugin
    #: leaves it None); None for orders with no dose.
    dose_preparation: DosePreparation | None = None


@frozen
class Alert:
    id: str
    severity: AlertSeverity
    text: str
    rule_id: str | None = None
    order_id: str | None = None
    plugin: str = ""


@frozen
class SeverityItem:
    name: str
    points: int
    #: True/False when known, None when the input did not say.
    present: bool | None


@frozen
class Severity:
    score: int
    band: str
    items: tuple[SeverityItem, ...]
    missing: tuple[str, ...]
    rule_id: str = "SCORE-1"


@frozen
class RenalFunction:
    """Renal function with its formula and inputs shown (Cockcroft-Gault or bedside Schwartz)."""

    method: Literal["cockcroft-gault", "bedside-schwartz"]
    value: Decimal
    unit: str
    formula: str
    inputs: str
    #: Under the rule's threshold (OSE-1: eGFR under 60 for children; CrCl 60 or less adults).
    reduced: bool
    note: str = ""

    @property
    def display_value(self) -> str:
        """The value as printed: to 0.1, ISMP style ("40.4", "132.2", "60")."""
        from orderset.formatting import format_number

        return format_number(self.value, 1)

    @property
    def text(self) -> str:
        name = "Creatinine clearance" if self.method == "cockcroft-gault" else "eGFR"
        return f"{name} {self.display_value} {self.unit} ({self.formula}; {self.inputs})"

    @property
    def summary(self) -> str:
        """The text, whether it is reduced, and the rule's note: what every format prints."""
        text = f"{self.text}: reduced" if self.reduced else self.text
        return f"{text}. {self.note}" if self.note else text


@frozen
class Timing:
    """Hours since onset and the start window the set's timed orders count down to."""

    hours_since_onset: Decimal
    #: The shortest start window of the set's orders; None when no order is timed.
    window_hours: Decimal | None
    within_window: bool | None
    #: The statement every format prints ("Within the 24-hour window: 14 hours left ...").
    text: str


@frozen
class Governance:
    """The profile's approval of the order set (`[governance]`)."""

    approved_by: str | None = None
    approved_on: dt.date | None = None
    review_due: dt.date | None = None
    review_overdue: bool = False

    @property
    def text(self) -> str:
        """ "approved by P&T committee on 2026-11-24; review due 2027-11-24" (every format)."""
        if self.approved_by is None and self.approved_on is None:
            text = "approval not recorded in the institution profile"
        else:
            text = f"approved by {self.approved_by or 'not recorded'}"
            if self.approved_on:
                text += f" on {self.approved_on.isoformat()}"
        if self.review_due:
            text += f"; review due {self.review_due.isoformat()}"
            if self.review_overdue:
                text += " (OVERDUE)"
        return text


@frozen
class PluginInfo:
    name: str
    version: str
    source: str
    hooks: tuple[str, ...] = ()


@frozen
class OrderSet:
    case: Case
    orders: tuple[Order, ...]
    alerts: tuple[Alert, ...]
    plugins: tuple[PluginInfo, ...]
    profile_name: str = "default"
    institution: str = ""
    severity: Severity | None = None
    renal: RenalFunction | None = None
    #: The validated profile settings the set was built with (renderers read [hl7], ...).
    settings: Any = field(default=None, eq=False, repr=False)
    #: Rules declared by the loaded plugins, for the sheet's and README's rule tables.
    rules: tuple[Any, ...] = ()
    timing: Timing | None = None
    governance: Governance = Governance()

    @property
    def selected_medications(self) -> tuple[Order, ...]:
        return tuple(o for o in self.orders if o.kind == "medication" and o.selected)
