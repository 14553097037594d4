"""Allergy screening reads the spellings allergy lists really use (Safety hardening 2, item 4)
and same-class cross-reactivity (Clinical safety review 2, finding 18)."""

from __future__ import annotations

import pytest

from orderset.allergies import CLASS_WORDS, DRUGS, check_substance
from orderset.errors import InputError
from orderset.testing import build, case_data, has_order

#: Every built-in order offered in this case: TCZ-1 pre-selected, IVIG-1, OSE-1, SEIZ-1, ...
SEVERE = dict(shock=True, brainstem_lesion=True)
BENZOS = ("SEIZ-1-LORAZEPAM", "SEIZ-1-MIDAZOLAM-IV", "SEIZ-1-MIDAZOLAM-IM")

#: The red team's 27 spellings, each with the orders it must remove (12 were missed before).
SPELLINGS = [
    ("methylprednisolone", ("MP-1",)),
    ("Methylprednisolone (Solu-Medrol)", ("MP-1",)),
    ("Solu-Medrol", ("MP-1",)),
    ("SoluMedrol", ("MP-1",)),
    ("methyl prednisolone", ("MP-1",)),
    ("corticosteroids", ("MP-1",)),
    ("steroids", ("MP-1",)),
    ("tocilizumab", ("TCZ-1",)),
    ("Actemra", ("TCZ-1",)),
    ("IL-6 inhibitor", ("TCZ-1",)),
    ("IL-6 receptor antagonist", ("TCZ-1",)),
    ("toci\u00adlizumab", ("TCZ-1",)),  # soft hyphen
    ("tocili\u200bzumab", ("TCZ-1",)),  # zero-width space
    ("\uff54\uff4f\uff43\uff49\uff4c\uff49\uff5a\uff55\uff4d\uff41\uff42", ("TCZ-1",)),  # fullwidth
    ("immune globulin", ("IVIG-1",)),
    ("IVIG", ("IVIG-1",)),
    ("Gamunex", ("IVIG-1",)),
    ("Privigen", ("IVIG-1",)),
    ("oseltamivir", ("OSE-1",)),
    ("TAMIFLU", ("OSE-1",)),
    ("lorazepam", ("SEIZ-1-LORAZEPAM",)),
    ("Versed", ("SEIZ-1-MIDAZOLAM-IV", "SEIZ-1-MIDAZOLAM-IM")),
    ("benzos", BENZOS),
    ("benzodiazepines", BENZOS),
    ("Keppra", ("SEIZ-1-LEVETIRACETAM",)),
    ("fosphenytoin", ("SEIZ-1-FOSPHENYTOIN",)),
    ("Dilantin", ("SEIZ-1-FOSPHENYTOIN",)),
]


@pytest.mark.parametrize(("substance", "removed"), SPELLINGS)
def test_every_spelling_removes_its_orders_with_a_critical_alert(substance, removed):
    order_set = build(case_data(allergies=[{"substance": substance, "reaction": "rash"}], **SEVERE))
    for order_id in removed:
        assert not has_order(order_set, order_id), (substance, order_id)
        alert = next(a for a in order_set.alerts if a.id == f"ALLERGY-{order_id}")
        assert alert.severity == "critical" and substance in alert.text
    assert not any(a.id == "ALLERGY-UNMATCHED" for a in order_set.alerts)


def test_the_red_team_list_has_all_27_spellings():
    assert len(SPELLINGS) == 27


@pytest.mark.parametrize(
    ("substance", "letter"),
    [
        ("t\u043ecilizumab", "Cyrillic 'о' U+043E"),  # Cyrillic small o
        ("\u0422ocilizumab", "Cyrillic 'Т' U+0422"),
        ("methylprednis\u03bflone", "Greek 'ο' U+03BF"),
    ],
)
def test_a_mixed_script_look_alike_is_refused_naming_the_field(substance, letter):
    allergies = [{"substance": "penicillin", "reaction": None}, {"substance": substance}]
    with pytest.raises(InputError) as info:
        build(case_data(allergies=allergies))
    assert info.value.field == "patient.allergies[1].substance"
    assert letter in info.value.reason and "retype the substance in one alphabet" in str(info.value)


def test_check_substance_is_callable_by_the_loader():
    check_substance("Tocilizumab (Actemra)", "patient.allergies[0].substance")
    check_substance("\u0410\u043a\u0442\u0435\u043c\u0440\u0430", "x")  # wholly Cyrillic: allowed
    with pytest.raises(InputError, match=r"^patient.allergies\[2\].substance: 'Тocilizumab'"):
        check_substance("\u0422ocilizumab", "patient.allergies[2].substance")


def test_an_unread_allergy_is_listed_in_one_info_alert_and_removes_nothing():
    allergies = [{"substance": "latex", "reaction": "rash"}, {"substance": "shellfish"}]
    order_set = build(case_data(allergies=allergies, **SEVERE))
    unmatched = [a for a in order_set.alerts if a.id == "ALLERGY-UNMATCHED"]
    assert [a.severity for a in unmatched] == ["info"]
    assert unmatched[0].text == (
        "Allergy to latex, shellfish: not matched to any ordered drug: check by hand."
    )
    assert not any(
        a.severity == "critical" and a.id.startswith("ALLERGY") for a in order_set.alerts
    )


def test_a_recognised_drug_that_is_not_ordered_raises_no_unmatched_alert():
    # baloxavir is not in the table; zanamivir is, and shares the class with oseltamivir
    order_set = build(case_data(allergies=[{"substance": "prednisone"}], influenza="negative"))
    assert not any(a.id == "ALLERGY-UNMATCHED" for a in order_set.alerts)


@pytest.mark.parametrize(
    "substance", ["Tamiflu", "oseltamivir", "Relenza", "neuraminidase inhibitors"]
)
def test_an_oseltamivir_allergy_removes_peramivir_same_class(substance):
    # Finding 18: peramivir (OSE-2, no enteral route) shares the neuraminidase-inhibitor class.
    order_set = build(
        case_data(enteral_route_available=False, allergies=[{"substance": substance}])
    )
    assert not has_order(order_set, "OSE-2")
    alert = next(a for a in order_set.alerts if a.id == "ALLERGY-OSE-2")
    assert alert.severity == "critical"
    assert substance in alert.text and "neuraminidase inhibitor" in alert.text


def test_a_same_class_allergy_names_both_drugs_and_the_class():
    order_set = build(
        case_data(enteral_route_available=False, allergies=[{"substance": "Tamiflu"}])
    )
    alert = next(a for a in order_set.alerts if a.id == "ALLERGY-OSE-2")
    assert alert.text == (
        "Allergy to Tamiflu: peramivir order OSE-2 was not ordered (oseltamivir and peramivir"
        " are both neuraminidase inhibitors: same class, cross-reactivity possible). Choose an"
        " alternative with the prescriber."
    )


def test_every_drug_in_the_table_has_classes_from_the_class_table():
    for drug, terms in DRUGS.items():
        assert drug == drug.lower(), drug
        for cls in terms.classes:
            assert cls in CLASS_WORDS, (drug, cls)


def test_words_that_only_contain_a_name_do_not_match():
    order_set = build(
        case_data(allergies=[{"substance": "methylprednisolonex"}, {"substance": "Tamiflux"}])
    )
    assert has_order(order_set, "MP-1") and has_order(order_set, "OSE-1")
