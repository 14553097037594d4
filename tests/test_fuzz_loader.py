"""Fuzzing the loader: whatever JSON arrives, only InputError may escape, never a traceback."""

from __future__ import annotations

import contextlib
import json
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orderset import InputError, case_from_dict, case_from_json
from orderset.testing import case_data

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**12), max_value=10**12)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)

#: A few thousand loader cases in `make test` (3 x 800); `make test-deep` runs 3 x 10,000.
FUZZ_EXAMPLES = 10_000 if os.environ.get("HYPOTHESIS_PROFILE") == "deep" else 800

units_text = st.sampled_from(
    ["kg", "g", "lb", "m", "units", "U", "Mg", "mg/dL", "umol/L", "%", "x10^9/L", "", "  ", "µL"]
)


def _accepts_or_refuses(data) -> None:
    try:
        case_from_dict(data)
    except InputError as exc:
        assert exc.field is not None
        assert "\n" not in str(exc)


@settings(max_examples=FUZZ_EXAMPLES)
@given(json_values)
def test_arbitrary_json_values(data):
    _accepts_or_refuses(data)


@settings(max_examples=FUZZ_EXAMPLES)
@given(st.text(max_size=60))
def test_arbitrary_text(text):
    with contextlib.suppress(InputError):
        case_from_json(text)


PATHS = (
    [("patient", k) for k in case_data()["patient"]]
    + [("clinical", k) for k in case_data()["clinical"]]
    + [("", "assessed_at"), ("encounter", "location")]
)


@settings(max_examples=FUZZ_EXAMPLES)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(PATHS),
            json_values
            | st.builds(lambda n, u: f"{n} {u}", st.floats(-1e6, 1e6), units_text)
            | st.builds(lambda n, u: {"value": n, "unit": u}, json_values, units_text),
        ),
        min_size=1,
        max_size=3,
    )
)
def test_valid_case_with_fields_replaced(replacements):
    data = case_data()
    for (section, key), value in replacements:
        (data[section] if section else data)[key] = value
    _accepts_or_refuses(json.loads(json.dumps(data, allow_nan=True)))


# ---- Safety hardening 2 -----------------------------------------------------------------------

#: Every decimal digit Unicode knows, except ASCII 0-9 (Bengali, fullwidth, N'Ko, math bold...).
other_digits = st.characters(categories=["Nd"]).filter(lambda c: c not in "0123456789")


@settings(max_examples=FUZZ_EXAMPLES // 4)
@given(
    st.sampled_from(PATHS),
    st.sampled_from([f"{d} kg" for d in ("{}4.2", "1{}.2", "14.{}")] + ["{}", "2026-11-2{}"]),
    other_digits,
)
def test_a_non_ascii_digit_anywhere_is_never_read_as_a_number(path, template, digit):
    data = case_data()
    section, key = path
    (data[section] if section else data)[key] = template.format(digit)
    try:
        case_from_dict(data)
    except InputError as exc:
        assert exc.field.startswith(f"{section}.{key}" if section else key), str(exc)
    else:  # only free text (a name, a location) may hold any letter or digit
        assert key in ("family_name", "given_name", "location"), key


@settings(max_examples=FUZZ_EXAMPLES // 4)
@given(st.sampled_from(PATHS), json_values)
def test_a_duplicate_key_anywhere_is_refused_naming_it(path, first):
    """The key given twice, any value first and the valid one last (json.loads keeps the last,
    so the case would build); it must be refused naming the key's path."""
    section, key = path
    data = case_data()
    target = data[section] if section else data
    inner = json.dumps(target)
    doubled = "{" + json.dumps(key) + ": " + json.dumps(first) + ", " + inner[1:]
    if section:
        text = json.dumps({**data, section: "SLOT"}).replace('"SLOT"', doubled, 1)
    else:
        text = doubled
    with pytest.raises(InputError) as info:
        case_from_json(text)
    assert info.value.field == (f"{section}.{key}" if section else key), str(info.value)
    assert info.value.reason == "is given 2 times; each key may appear only once"


@settings(max_examples=FUZZ_EXAMPLES // 4)
@given(
    st.text(alphabet='[]{}",:0123456789 \\ud800', max_size=200)
    | st.builds(lambda n: "[" * n + "]" * n, st.integers(0, 5000))
)
def test_odd_json_text_only_raises_input_error(text):
    with contextlib.suppress(InputError):
        case_from_json(text)
