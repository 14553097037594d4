"""Fuzzing the loader: whatever JSON arrives, only InputError may escape, never a traceback."""

from __future__ import annotations

import contextlib
import json
import os

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
