"""Steroids: MP-1 methylprednisolone pulse with its monitoring orders.

Every number below is from ../shared/clinical-rules.md and carries its rule id.
"""

from __future__ import annotations

from decimal import Decimal

from orderset import hookimpl, units
from orderset.context import BuildContext
from orderset.dosing import weight_based_dose
from orderset.formatting import format_quantity
from orderset.formulary import Product
from orderset.model import Alert, Evidence, Order, Preparation, Section
from orderset.rules import Rule
from orderset.settings import Setting, Settings

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
# ROUND-1 default increment for methylprednisolone.
MP1_INCREMENT = units.Quantity(5, units.mg)

MP1_EVIDENCE = Evidence(
    grade="confirmed",
    sources=(
        "Okumura 2009, Brain Dev 31:221",
        "Chang 2022, Children 9:136",
        "Fischell 2023, Front Neurol 14:1239746",
        "methylprednisolone US label (cap: partial)",
    ),
)


@hookimpl
def orderset_rules() -> list[Rule]:
    return [Rule("MP-1", "Methylprednisolone pulse", "confirmed")]


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
            dosage_form="injection, powder, for solution",
            route="IV",
            local_code="MPRED-INJ",
        )
    ]


@hookimpl
def orderset_orders(context: BuildContext) -> list[Order]:
    product = context.product(PRODUCT)
    days = context.setting(SECTION, "methylprednisolone_days")
    minutes = context.setting(SECTION, "methylprednisolone_infusion_minutes")
    calc = weight_based_dose(
        MP1_PER_KG,
        context.weight_kg,
        unit=units.drug_unit(product.dose_unit),
        increment=product.increment,
        maximum=MP1_MAX_DOSE,
    )
    over = units.Quantity(minutes, units.minute)
    dose_text = format_quantity(calc.given, product.dose_unit)
    notes = ["Never as a rapid IV push (label: large doses over under 10 minutes: arrhythmia)."]
    if days > MP1_DEFAULT_DAYS:
        notes.append(f"{days} days is from the institution profile; over 3 days is unconfirmed.")
    medication = Order(
        id="MP-1",
        rule_id="MP-1",
        kind="medication",
        section=Section.FIRST_LINE,
        selected=True,
        text=(
            f"methylprednisolone {dose_text} IV once daily for {days} days,"
            f" infuse over {minutes} minutes; start now"
        ),
        evidence=MP1_EVIDENCE,
        drug="methylprednisolone",
        drug_classes=("corticosteroid", "glucocorticoid"),
        dose=calc.given,
        dose_unit=product.dose_unit,
        route="IV",
        frequency="once daily",
        duration=f"{days} days",
        dosage_form=product.dosage_form,
        product_code=product.local_code,
        calculation=calc,
        preparation=Preparation(
            infuse_over=over, text=f"Infuse over {minutes} minutes; never as a rapid IV push"
        ),
        daily_dose=calc.given,
        notes=tuple(notes),
    )
    monitoring = [
        Order(
            id=f"MP-1-{suffix}",
            rule_id="MP-1",
            kind="nursing",
            section=Section.ADMISSION,
            selected=True,
            text=f"{what} checks during the methylprednisolone pulse days",
            evidence=MP1_EVIDENCE,
        )
        for suffix, what in (("GLUCOSE", "Blood glucose"), ("BP", "Blood pressure"))
    ]
    return [medication, *monitoring]


@hookimpl
def orderset_alerts(context: BuildContext, orders: tuple[Order, ...]) -> list[Alert]:
    ordered = any(o.rule_id == "MP-1" and o.kind == "medication" for o in orders)
    if ordered and context.case.hours_since_onset > MP1_WINDOW_HOURS:
        hours = format_quantity(
            units.Quantity(float(context.case.hours_since_onset), units.h), max_places=1
        )
        return [
            Alert(
                id="MP-1-WINDOW",
                severity="warning",
                rule_id="MP-1",
                order_id="MP-1",
                text=(
                    f"Onset was {hours} ago, past the 24-hour window: still give"
                    " methylprednisolone now; benefit is shown for starts within 24 hours."
                ),
            )
        ]
    return []
