"""Preparation arithmetic, in one place: how the pharmacy makes up each dose.

From the order (dose, route, frequency, the rule's final volume and infusion time) and its
formulary product's preparation data (`orderset.prepdata`): the containers that cover the dose
with the least waste (then the fewest containers), the volume to withdraw from each, the
diluent volume, the final volume and concentration checked against the product's limits, the
pump rate rounded to the 0.1 mL/h a pump can be set to (calculated, rounded and the deviation
shown), the total fluid per day in mL and mL/kg, and the beyond-use times per storage
condition. The engine calls `prepare` for every dosed medication, so JSON, the worksheet and
the labels print the same numbers; renderers only add the preparation time (`beyond_use_at`).

Exact Decimal throughout, with pint checking every unit. A preparation outside a limit, or one
the formulary lacks a fact for, is never presented as fine: each reason goes into `review`.
"""

from __future__ import annotations

import datetime as dt
import math
import zoneinfo
from collections.abc import Sequence
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

import pint

from orderset import units
from orderset.errors import InputError
from orderset.formatting import format_number, format_quantity, unit_label
from orderset.formulary import Product
from orderset.model import BeyondUse, Case, DosePreparation, Order, VialDraw
from orderset.prepdata import PrepData, Presentation
from orderset.settings import Setting, Settings
from orderset.vocab import FREQUENCIES

SECTION = "preparation"
#: The engine's preparation settings. No rule gives a fluid limit, so neither has a default:
#: without them the fluid per day is shown and not judged.
SETTINGS = (
    Setting(
        SECTION,
        "fluid_warning_ml_per_day",
        None,
        "Total fluid of one medication per day (mL) above which its preparation is flagged for"
        " pharmacist review (no rule gives one; no default).",
        "quantity",
        units=units.spellings({"mL": units.mL}),
    ),
    Setting(
        SECTION,
        "time_zone",
        None,
        "The site's IANA time zone (e.g. America/New_York): beyond-use times are printed on its"
        " local clock, so a time past a daylight-saving change reads as the clock on the wall"
        " (no default: without it they keep the preparation time's UTC offset).",
        str,
        check=lambda value: _zone_name(value),
    ),
    Setting(
        SECTION,
        "fluid_warning_ml_per_kg_per_day",
        None,
        "Total fluid of one medication per day per kg of dosing weight above which its"
        " preparation is flagged for pharmacist review (no rule gives one; no default).",
        Decimal,
        minimum=Decimal("0.1"),
        maximum=Decimal(500),
    ),
)


def _zone_name(value: object) -> str:
    """A profile's `time_zone`: an IANA name zoneinfo knows, else InputError."""
    if not isinstance(value, str) or not value.strip():
        raise InputError("", f"{value!r} is not a time zone name (e.g. America/New_York)")
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise InputError(
            "", f"{value!r} is not a known time zone (e.g. America/New_York)"
        ) from None
    return value


def local_time(when: dt.datetime, settings: Settings | None) -> dt.datetime:
    """`when` on the site's clock (`[preparation] time_zone`), else as given."""
    zone = settings.get(SECTION, "time_zone") if settings is not None else None
    return when.astimezone(zoneinfo.ZoneInfo(zone)) if zone else when


#: The pump step (ROUND-1: pumps are set to 0.1 mL/h).
PUMP_STEP = Decimal("0.1")
#: Routes whose dose is drawn up and given as it is (never diluted here).
UNDILUTED_ROUTES = ("IM", "PO", "NG", "enteral (PO or NG)")
PER_PHARMACY = "per pharmacy procedure"
#: A premature infant: born before 37 weeks (the usual definition of term birth, as OSE-1's
#: bands use it) and still an infant (under 12 months); not a dose, a definition.
TERM_FROM_WEEKS = Decimal(37)
INFANT_UNDER_MONTHS = 12
#: The largest container search (in steps of the containers' common divisor) done exactly.
MAX_SEARCH = 200_000


# ---- containers -----------------------------------------------------------------------------


def choose_containers(
    dose: Decimal, contents: Sequence[Decimal], most: int | None = None
) -> tuple[int, ...]:
    """Counts of each container (same order as `contents`) that cover `dose` with the least
    waste, then the fewest containers; exact integer search over the contents' common step.
    With `most` (a site's limit), the least waste among choices of at most that many
    containers (ValueError when none covers the dose)."""
    if dose <= 0 or not contents or any(c <= 0 for c in contents):
        raise ValueError("a dose and container contents must be more than zero")
    places = max(max(0, -int(c.normalize().as_tuple().exponent)) for c in contents)
    scale = Decimal(10) ** places
    sizes = [int(c * scale) for c in contents]
    step = math.gcd(*sizes)
    sizes = [s // step for s in sizes]
    target = int((dose * scale / step).to_integral_value(rounding=ROUND_CEILING))
    limit = target + max(sizes)
    if limit > MAX_SEARCH:
        raise ValueError("too many containers to search")
    infinity = limit + 1
    fewest = [0] + [infinity] * limit
    last = [-1] * (limit + 1)
    for amount in range(1, limit + 1):
        for i, size in enumerate(sizes):
            if size <= amount and fewest[amount - size] + 1 < fewest[amount]:
                fewest[amount] = fewest[amount - size] + 1
                last[amount] = i
    cap = infinity if most is None else most + 1
    total = next((a for a in range(target, limit + 1) if fewest[a] < cap), None)
    if total is None:
        raise ValueError(f"no choice of at most {most} containers covers the dose")
    counts = [0] * len(sizes)
    while total > 0:
        i = last[total]
        counts[i] += 1
        total -= sizes[i]
    return tuple(counts)


#: The finest volume a syringe measures (a 1 mL syringe is marked in 0.01 mL).
SYRINGE_STEP = Decimal("0.01")


def measured(volume: Decimal) -> Decimal:
    """A volume as drawn up: exact when a syringe can measure it (0.01 mL), otherwise rounded
    half up to 0.01 mL (0.525 mL is drawn as 0.53 mL, a third of a mL as 0.33 mL)."""
    if volume == volume.quantize(SYRINGE_STEP):
        return units.plain(volume)
    return units.plain(volume.quantize(SYRINGE_STEP, rounding=ROUND_HALF_UP))


def _mg_per_ml(q: pint.Quantity) -> pint.Quantity:
    """A concentration in mg/mL to 0.001 mg/mL (for display: 100 mg/0.67 mL is 149.254)."""
    value = units.to_decimal(units.exact(q), units.mg_per_mL)
    value = value.quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)
    return units.decimal_quantity(value, units.mg_per_mL)


def _ml(value: Decimal) -> pint.Quantity:
    return units.decimal_quantity(value, units.mL)


#: `_numbers` by presentation identity (hashing a Presentation hashes pint Quantities, which
#: converts them: slower than the conversions saved). The presentation is kept in the entry so
#: its id cannot be reused while cached; a profile's products are few.
_NUMBERS: dict[tuple[int, int], tuple[Presentation, tuple[Decimal, Decimal, pint.Quantity]]] = {}
_NUMBERS_MAX = 1024


def _numbers(p: Presentation, unit: units.UnitLike) -> tuple[Decimal, Decimal, pint.Quantity]:
    """A presentation's content (dose unit) and volume (mL) as Decimals and its concentration
    for display; cached, as products are constants and pint conversions are the slow part."""
    key = (id(p), id(unit))
    entry = _NUMBERS.get(key)
    if entry is not None and entry[0] is p:
        return entry[1]
    content = units.to_decimal(units.exact(p.content), unit)
    volume = units.to_decimal(units.exact(p.volume), units.mL)
    numbers = (content, volume, _concentration(p, unit))
    if len(_NUMBERS) >= _NUMBERS_MAX:
        _NUMBERS.clear()
    _NUMBERS[key] = (p, numbers)
    return numbers


def _draws(
    dose: Decimal,
    unit: units.UnitLike,
    label: str,
    presentations: Sequence[Presentation],
    most: int | None = None,
) -> tuple[tuple[VialDraw, ...], Decimal, list[str]]:
    """The containers for `dose` and the volume drawn from each; and the waste (dose units)."""
    contents = [_numbers(p, unit)[0] for p in presentations]
    notes: list[str] = []
    counts = choose_containers(dose, contents)
    if most is not None and sum(counts) > most:
        try:
            counts = choose_containers(dose, contents, most)
        except ValueError:
            notes.append(
                f"The least waste takes {sum(counts)} containers, over the profile's"
                f" {most}, and no choice of {most} or fewer covers the dose."
            )
    used = [(i, n) for i, n in enumerate(counts) if n]
    waste = sum((contents[i] * n for i, n in used), Decimal(0)) - dose
    # The partly used container is the smallest used one (waste is under every used content).
    partial = min(used, key=lambda pair: (contents[pair[0]], pair[0]))[0] if waste else None
    draws = []
    for i, n in sorted(used, key=lambda pair: (-contents[pair[0]], pair[0])):
        p = presentations[i]
        _, volume, concentration = _numbers(p, unit)
        full = n - 1 if i == partial else n
        if full:
            draws.append(_draw(p, full, volume, contents[i], unit, concentration, label))
        if i == partial:
            needed = contents[i] - waste
            exact_part = needed * volume / contents[i]
            part = measured(exact_part)
            if part != exact_part:
                drawn = units.decimal_quantity(part * contents[i] / volume, unit)
                wanted = units.decimal_quantity(needed, unit)
                notes.append(
                    f"{format_number(exact_part, 4)} mL is drawn as {format_quantity(_ml(part))}"
                    f" ({format_quantity(drawn, label)} instead of"
                    f" {format_quantity(wanted, label)}): check the measurable volume."
                )
            draws.append(_draw(p, 1, part, needed, unit, concentration, label))
    return tuple(draws), waste, notes


def im_presentations(
    presentations: Sequence[Presentation], unit: units.UnitLike
) -> tuple[Presentation, ...]:
    """For an IM injection, only the most concentrated presentations: the smallest volume in
    the muscle (midazolam 10 mg IM is 2 mL of 5 mg/mL, not 10 mL of 1 mg/mL)."""
    if unit == units.mL:
        return tuple(presentations)
    strengths = [_numbers(p, unit)[0] / _numbers(p, unit)[1] for p in presentations]
    strongest = max(strengths)
    return tuple(p for p, c in zip(presentations, strengths, strict=True) if c == strongest)


def _concentration(p: Presentation, unit: units.UnitLike) -> pint.Quantity:
    if unit == units.mL:
        return units.Quantity(Decimal(1), units.dimensionless)
    return _mg_per_ml(p.concentration)


def _draw(
    p: Presentation,
    count: int,
    withdraw: Decimal,
    amount: Decimal,
    unit: units.UnitLike,
    concentration: pint.Quantity,
    label: str,
) -> VialDraw:
    return VialDraw(
        description=_container_text(p, label),
        count=count,
        content=p.content,
        volume=p.volume,
        withdraw=_ml(withdraw),
        amount=units.decimal_quantity(amount, unit),
        concentration=concentration,
        reconstitute_with=p.reconstitute_with,
        reconstitution_volume=p.reconstitution_volume,
    )


def _container_text(p: Presentation, label: str) -> str:
    """ "80 mg/4 mL vial", "100 mg PE/2 mL vial", "500 mL bag"."""
    if label == "mL":
        return f"{format_quantity(p.volume)} {p.kind}"
    shown = label if label != unit_label(p.content.units) and label == "mg PE" else None
    return f"{format_quantity(p.content, shown)}/{format_quantity(p.volume)} {p.kind}"


def concentration_label(dose_unit: str) -> str | None:
    """How a concentration of a drug dosed in `dose_unit` is labelled when pint's label would
    hide it ("mg PE/mL"); None for the ordinary labels."""
    return f"{dose_unit}/mL" if dose_unit == "mg PE" else None


# ---- the preparation ------------------------------------------------------------------------


def _decimal(q: pint.Quantity | None, unit: units.UnitLike) -> Decimal | None:
    return None if q is None else units.to_decimal(units.exact(q), unit)


def titrated_minutes(volume_ml: Decimal, rates: Sequence[Decimal], interval_min: Decimal) -> int:
    """Minutes to infuse `volume_ml` stepping through pump `rates` (mL/h) every
    `interval_min` minutes, the last rate until done; rounded up to a whole minute."""
    remaining = volume_ml
    minutes = Decimal(0)
    for n, rate in enumerate(rates):
        step_volume = rate * interval_min / 60
        if n == len(rates) - 1 or step_volume >= remaining:
            minutes += remaining / rate * 60
            break
        remaining -= step_volume
        minutes += interval_min
    return int(minutes.to_integral_value(rounding=ROUND_CEILING))


def prepare(
    order: Order, product: Product | None, case: Case, settings: Settings | None
) -> DosePreparation | None:
    """The preparation of one dosed medication order; None for an order without a dose."""
    if order.kind != "medication" or order.dose is None or order.dose_unit is None:
        return None
    unit = units.drug_unit(order.dose_unit)
    dose = units.to_decimal(units.exact(order.dose), unit)
    label = order.dose_unit
    route = order.route or ""
    data = (product.preparation if product is not None else None) or PrepData()
    key = product.key if product is not None else ""
    plugin_prep = order.preparation
    review: list[str] = []
    steps: list[str] = []
    sources: list[str] = []
    if data.source:
        sources.append(data.source)
    if data.from_profile:
        sources.append(f"institution profile ({', '.join(data.from_profile)})")
    if order.calculation is not None and order.calculation.pharmacist_review:
        review.append(
            "The dose could not be rounded to a measurable step within 10% (ROUND-1) and is"
            " given unrounded."
        )
    dose_text = format_quantity(order.dose, label)

    # Containers and the volume of drug drawn up.
    draws: tuple[VialDraw, ...] = ()
    waste: Decimal | None = None
    drug_volume: Decimal | None = None
    if data.presentations:
        stocked = data.presentations
        if route == "IM":
            stocked = im_presentations(stocked, unit)
        try:
            draws, waste, rounding = _draws(dose, unit, label, stocked, data.containers_max)
            review.extend(rounding)
        except ValueError as exc:
            review.append(f"Containers {PER_PHARMACY}: {exc}.")
        else:
            drug_volume = sum(
                (units.to_decimal(d.withdraw, units.mL) * d.count for d in draws), Decimal(0)
            )
    else:
        review.append(
            f"No container sizes in the formulary for {key or order.drug}: containers and"
            f" volumes {PER_PHARMACY} (a profile sets [formulary.{key or 'KEY'}] presentations)."
        )
        if product is not None and product.concentration is not None and unit != units.mL:
            quotient = dose / units.to_decimal(units.exact(product.concentration), unit / units.mL)
            drug_volume = measured(quotient)
        elif unit == units.mL:
            drug_volume = dose
    if data.review_reason:
        review.append(data.review_reason)
    if data.presentations_check and data.presentations:
        review.append(data.presentations_check)
    seen: set[str] = set()
    for d in draws:
        if d.reconstitute_with and d.description not in seen:
            seen.add(d.description)
            amount = (
                f"{format_quantity(d.reconstitution_volume)} of "
                if d.reconstitution_volume is not None
                else ""
            )
            steps.append(
                f"Reconstitute each {d.description} with {amount}{d.reconstitute_with}"
                f" ({format_quantity(d.concentration, concentration_label(label))})."
            )
    infant = data.preservative_free_under_months
    gestation = case.patient.gestational_age_at_birth
    preterm = (
        gestation is not None
        and units.to_decimal(units.exact(gestation), units.week) < TERM_FROM_WEEKS
        and case.age.months < INFANT_UNDER_MONTHS
    )
    if infant is not None and case.age.months < infant:
        plural = "s" if infant != 1 else ""
        steps.append(
            f"Patient under {infant} month{plural} old: use only preservative-free product and"
            " diluents (no benzyl alcohol)."
        )
    elif data.preservative_free_preterm and preterm:
        steps.append(
            "Premature infant (born before 37 weeks): use only preservative-free product and"
            " diluents (no benzyl alcohol)."
        )
    for d in draws:
        volume = format_quantity(d.withdraw)
        plural = "s" if d.count > 1 else ""
        if d.withdraw == d.volume:
            each = "each of " if d.count > 1 else ""
            steps.append(f"Withdraw all {volume} from {each}{d.count} x {d.description}{plural}.")
        else:
            steps.append(
                f"Withdraw {volume} ({format_quantity(d.amount, label)}) from {d.count} x"
                f" {d.description}."
            )

    # Diluent and final volume.
    undiluted = route in UNDILUTED_ROUTES or unit == units.mL or data.diluents == ()
    diluent: str | None = None
    final: Decimal | None = None
    fixed_diluent: Decimal | None = None
    if undiluted:
        final = drug_volume
        im_max = _decimal(data.im_volume_max, units.mL)
        if (
            route == "IM"
            and im_max is not None
            and drug_volume is not None
            and drug_volume > im_max
        ):
            review.append(
                f"The IM injection is {format_quantity(_ml(drug_volume))}, over the profile's"
                f" {format_quantity(_ml(im_max))} for one injection: choose a stronger product."
            )
        if data.must_dilute and unit == units.mL and route == "IV":
            review.append(
                "The label says this product must be diluted; the order gives it undiluted."
            )
    else:
        diluent = (plugin_prep.diluent if plugin_prep else None) or (
            " or ".join(data.diluents) if data.diluents else None
        )
        if diluent is None:
            diluent = PER_PHARMACY
            review.append(f"Diluent {PER_PHARMACY}: no allowed diluent in the formulary.")
        rule_final = plugin_prep.final_volume if plugin_prep else None
        final = _decimal(rule_final, units.mL) or _decimal(data.final_volume, units.mL)
        fixed_diluent = _decimal(data.diluent_volume, units.mL)
        if final is None and data.equal_volume_dilution and drug_volume is not None:
            fixed_diluent = drug_volume
        if final is None and fixed_diluent is not None and drug_volume is not None:
            final = drug_volume + fixed_diluent
        if final is None:
            limit = (
                f" (at most {format_quantity(data.final_volume_max)})"
                if data.final_volume_max is not None
                else ""
            )
            review.append(
                f"Final volume {PER_PHARMACY}{limit}: neither the rule nor the formulary gives one."
            )
    diluent_volume: Decimal | None = None
    if not undiluted and final is not None and drug_volume is not None:
        diluent_volume = final - drug_volume
        if diluent_volume < 0:
            review.append(
                f"The drug volume {format_quantity(_ml(drug_volume))} is more than the final"
                f" volume {format_quantity(_ml(final))}."
            )
        else:
            drug_ml, final_ml = format_quantity(_ml(drug_volume)), format_quantity(_ml(final))
            named = (
                diluent if diluent != PER_PHARMACY else "a diluent chosen per pharmacy procedure"
            )
            if fixed_diluent is not None and final == drug_volume + fixed_diluent:
                steps.append(
                    f"Add the {drug_ml} of drug to {format_quantity(_ml(fixed_diluent))} of"
                    f" {named} (final {final_ml})."
                )
            else:
                steps.append(
                    f"From a {final_ml} bag of {named} withdraw and discard {drug_ml}, then add"
                    f" the {drug_ml} of drug (final {final_ml}; diluent"
                    f" {format_quantity(_ml(diluent_volume))})."
                )
    max_final = _decimal(data.final_volume_max, units.mL)
    if final is not None and max_final is not None and final > max_final:
        review.append(
            f"Final volume {format_quantity(_ml(final))} is over the product's maximum"
            f" {format_quantity(_ml(max_final))}."
        )
    final_concentration: pint.Quantity | None = None
    if final is not None and final > 0 and unit != units.mL:
        conc = units.to_decimal(
            units.Quantity(dose, unit) / units.Quantity(final, units.mL), units.mg_per_mL
        )
        final_concentration = units.decimal_quantity(
            conc.quantize(Decimal("0.001"), rounding=ROUND_HALF_UP), units.mg_per_mL
        )
        low = _decimal(data.concentration_min, units.mg_per_mL)
        high = _decimal(data.concentration_max, units.mg_per_mL)
        if low is not None and data.concentration_min is not None and conc < low:
            review.append(
                f"Final concentration {format_quantity(final_concentration)} is under the"
                f" product's minimum {format_quantity(_mg_per_ml(data.concentration_min))}."
            )
        if high is not None and data.concentration_max is not None and conc > high:
            review.append(
                f"Final concentration {format_quantity(final_concentration)} is over the"
                f" product's maximum {format_quantity(_mg_per_ml(data.concentration_max))}."
            )

    # Infusion time and pump rate.
    over = plugin_prep.infuse_over if plugin_prep else None
    over_min = _decimal(over, units.minute)
    rate_calculated = rate = deviation = None
    titrated = bool(order.titration)
    if titrated and final is not None and product is not None:
        rates = [units.to_decimal(s.pump_rate, units.mL_per_h) for s in order.titration]
        interval = _decimal(product.titration_interval, units.minute)
        if interval is not None:
            over_min = Decimal(titrated_minutes(final, rates, interval))
            over = units.Quantity(over_min, units.minute)
            steps.append(
                f"Infuse by the rate steps on the order: {format_quantity(_ml(final))} takes"
                f" {_minutes_text(over_min)} at those steps."
            )
    elif over_min is not None and final is not None and route == "IV":
        exact_rate = final * 60 / over_min
        rate = exact_rate.quantize(PUMP_STEP, rounding=ROUND_HALF_UP)
        rate_calculated = units.decimal_quantity(
            exact_rate.quantize(Decimal("0.001"), rounding=ROUND_HALF_UP), units.mL_per_h
        )
        deviation = ((rate - exact_rate) / exact_rate * 100).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP
        )
        plugin_rate = _decimal(plugin_prep.rate if plugin_prep else None, units.mL_per_h)
        if plugin_rate is not None and plugin_rate != rate:
            review.append(
                f"The order's rate {format_number(plugin_rate, 1)} mL/h differs from the"
                f" preparation's {format_number(rate, 1)} mL/h."
            )
        steps.append(
            f"Infuse {format_quantity(_ml(final))} over {_minutes_text(over_min)} at"
            f" {format_number(rate, 1)} mL/h."
        )
    if over_min is not None and route == "IV":
        shortest, longest = data.infusion_minutes_min, data.infusion_minutes_max
        if shortest is not None and over_min < shortest and not titrated:
            review.append(
                f"Infusion over {_minutes_text(over_min)} is shorter than the product's"
                f" minimum {_minutes_text(Decimal(shortest))}."
            )
        if longest is not None and over_min > longest:
            review.append(
                f"Infusion over {_minutes_text(over_min)} is longer than the product's"
                f" maximum {_minutes_text(Decimal(longest))}."
            )
    elif route == "IV" and not titrated:
        review.append(f"Infusion time {PER_PHARMACY}: the order gives none.")
    if over_min is not None and over_min > 0 and route == "IV" and not titrated:
        review.extend(_dose_rate_checks(dose, unit, label, over_min, data, case))

    # Fluid per day.
    frequency = FREQUENCIES.get(order.frequency or "")
    # An as-needed dose counts too, at the most a day its frequency allows: one levetiracetam
    # rescue dose in 100 mL is 34 mL/kg for a 3 kg neonate, which a fluid limit must see.
    per_day_count = frequency.per_day if frequency is not None else None
    fluid = fluid_kg = None
    if final is not None and per_day_count is not None and route == "IV":
        fluid = final * per_day_count
        fluid_kg = (fluid / case.weight_kg).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        limit_ml = settings.get(SECTION, "fluid_warning_ml_per_day") if settings else None
        limit_kg = settings.get(SECTION, "fluid_warning_ml_per_kg_per_day") if settings else None
        if limit_ml is not None and fluid > units.to_decimal(units.exact(limit_ml), units.mL):
            review.append(
                f"Fluid: {format_quantity(_ml(fluid))} a day of this medication is over the"
                f" profile's {format_quantity(limit_ml)} a day."
            )
        if limit_kg is not None and fluid / case.weight_kg > limit_kg:
            review.append(
                f"Fluid: {format_number(fluid_kg, 1)} mL/kg a day of this medication is over"
                f" the profile's {format_number(limit_kg)} mL/kg a day."
            )

    # Storage, handling, checks.
    beyond_use: tuple[BeyondUse, ...] = ()
    if data.storage:
        beyond_use = tuple(BeyondUse(s.condition, s.hours) for s in data.storage)
    else:
        review.append(f"Storage and beyond-use time {PER_PHARMACY}: none in the formulary.")
    handling = list(data.handling)
    if data.filter:
        handling.append(f"Filter: {data.filter}.")
    if data.protect_from_light:
        handling.append("Protect from light.")
    return DosePreparation(
        product_key=key,
        product=product.description if product is not None else (order.drug or ""),
        dose=order.dose,
        dose_unit=label,
        dose_label=dose_text,
        route=route,
        draws=draws,
        containers=sum(d.count for d in draws),
        waste=units.decimal_quantity(waste, unit) if waste is not None else None,
        drug_volume=_ml(drug_volume) if drug_volume is not None else None,
        diluent=diluent,
        diluent_volume=_ml(diluent_volume) if diluent_volume is not None else None,
        final_volume=_ml(final) if final is not None else None,
        final_concentration=final_concentration,
        infuse_over=units.decimal_quantity(over_min, units.minute) if over_min else None,
        rate_calculated=rate_calculated,
        rate=units.decimal_quantity(rate, units.mL_per_h) if rate is not None else None,
        rate_deviation_percent=deviation,
        titrated=titrated,
        fluid_per_day=_ml(fluid) if fluid is not None else None,
        fluid_per_kg_per_day=(
            units.decimal_quantity(fluid_kg, units.mL_per_kg) if fluid_kg is not None else None
        ),
        beyond_use=beyond_use,
        protect_from_light=data.protect_from_light,
        filter=data.filter,
        handling=tuple(handling),
        double_check=bool(data.high_alert) and route == "IV",
        steps=tuple(steps),
        review=tuple(review),
        sources=tuple(sources),
    )


def _dose_rate_checks(
    dose: Decimal,
    unit: units.UnitLike,
    label: str,
    over_min: Decimal,
    data: PrepData,
    case: Case,
) -> list[str]:
    """The dose over the infusion time against the product's fastest dose rates."""
    per_min = dose / over_min
    reasons = []
    shown = f"{format_number(per_min, 2)} {label}/min"
    if data.dose_rate_max is not None:
        limit = units.to_decimal(data.dose_rate_max, unit / units.minute)
        if per_min > limit:
            reasons.append(
                f"{shown} is faster than the product's maximum {format_number(limit)} {label}/min."
            )
    if data.dose_rate_max_per_kg_child is not None and case.is_child:
        limit = units.to_decimal(data.dose_rate_max_per_kg_child, unit / units.kg / units.minute)
        if per_min > limit * case.weight_kg:
            reasons.append(
                f"{shown} is faster than the product's {format_number(limit)} {label}/kg/min"
                f" x {format_number(case.weight_kg)} kg for a child."
            )
    return reasons


def _minutes_text(minutes: Decimal) -> str:
    """ "60 minutes", "5 hours 12 minutes" (whole minutes up)."""
    whole = int(minutes.to_integral_value(rounding=ROUND_CEILING))
    if whole < 120:
        return f"{whole} minutes"
    hours, rest = divmod(whole, 60)
    return f"{hours} hours" + (f" {rest} minutes" if rest else "")


def beyond_use_at(
    prep: DosePreparation, prepared_at: dt.datetime
) -> tuple[tuple[str, dt.datetime], ...]:
    """The beyond-use date and time under each storage condition, counted from `prepared_at`
    (whole seconds; fractions of an hour are exact) in elapsed time, on `prepared_at`'s clock:
    24 hours after 00:30 on the night the clocks go back is 23:30 local, not 00:30."""
    start = prepared_at.astimezone(dt.UTC)
    return tuple(
        (
            b.condition,
            (start + dt.timedelta(seconds=int(b.hours * 3600))).astimezone(prepared_at.tzinfo),
        )
        for b in prep.beyond_use
    )
