"""Injection: any text in any free-text field stays text, in HL7 and on the sheet.

Hypothesis puts HL7 delimiters, carriage returns, MLLP framing bytes, HTML and non-ASCII text
into every free-text field; no segment or field may be created or split, every message must
still pass hl7apy's strict parse, the value must read back, and the sheet must print it
literally.
"""

from __future__ import annotations

import copy
import re

import markupsafe
from hypothesis import given
from hypothesis import strategies as st

from orderset import case_from_dict
from orderset.engine import build_order_set
from orderset.renderers.hl7 import build_messages
from orderset.renderers.html import render_html
from orderset.testing import case_data, fresh_host
from tests.hl7_helpers import segments, strict, unescape

HOST = fresh_host()
NASTY = "|^~\\&\r\n\x0b\x1c<>\"'/é中😀 a"
FIELDS = {
    "family_name": ("patient", "family_name"),
    "given_name": ("patient", "given_name"),
    "allergy substance": ("patient", "allergies", 0, "substance"),
    "allergy reaction": ("patient", "allergies", 0, "reaction"),
    "location": ("encounter", "location"),
    "attending": ("encounter", "attending"),
}
texts = st.text(alphabet=st.sampled_from(NASTY), min_size=1, max_size=25).filter(
    lambda t: t.strip() and not re.fullmatch(r"[\s\x0b\x1c]*", t)
)


def _set(data: dict, path: tuple, value: str) -> None:
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value


def _as_hl7_reads_it(value: str) -> str:
    return re.sub(r"[\x00-\x1f\x7f]+", " ", value)


@given(st.sampled_from(sorted(FIELDS)), texts)
def test_free_text_cannot_split_hl7_or_escape_the_sheet(field, value):
    data = case_data(allergies=[{"substance": "latex", "reaction": "rash"}])
    baseline = [m.text for m in build_messages(build_order_set(case_from_dict(data), host=HOST))]
    data = copy.deepcopy(data)
    _set(data, FIELDS[field], value)
    order_set = build_order_set(case_from_dict(data), host=HOST)
    messages = [m.text for m in build_messages(order_set)]
    for before, after in zip(baseline, messages, strict=True):
        assert after.count("\r") == before.count("\r"), "a segment was added or split"
        assert [s[:3] for s in after.split("\r")] == [s[:3] for s in before.split("\r")]
        for old, new in zip(before.split("\r"), after.split("\r"), strict=True):
            assert new.count("|") == old.count("|"), f"a field was added in {new[:3]}"
        strict(after)
    text = messages[0]
    expected = _as_hl7_reads_it(value)
    pid = segments(text, "PID")[0].split("|")
    al1 = segments(text, "AL1")[0].split("|")
    pv1 = segments(text, "PV1")[0].split("|")
    read_back = {
        "family_name": pid[5].split("^")[0],
        "given_name": pid[5].split("^")[1],
        "allergy substance": al1[3].split("^")[1],
        "allergy reaction": al1[5],
        "location": pv1[3].split("^")[8],
    }
    if field in read_back:
        assert unescape(text, read_back[field]) == expected

    sheet = render_html(order_set)
    assert str(markupsafe.escape(value)) in sheet, "the value is not printed literally"
