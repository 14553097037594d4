"""Every example's JSON output validates against the published format version 1 schema."""

from __future__ import annotations

import importlib.resources
import json

import jsonschema
import pytest

import orderset
from orderset.testing import build, case_data
from tests.conftest import EXAMPLES

SCHEMA = json.loads(
    importlib.resources.files("orderset").joinpath("orderset-1.schema.json").read_text()
)
VALIDATOR = jsonschema.Draft202012Validator(
    SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
)


def test_the_schema_itself_is_valid():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_validates(path):
    doc = json.loads(orderset.to_json(orderset.build_order_set(orderset.load_case(path))))
    errors = sorted(VALIDATOR.iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])


def test_the_schema_can_fail():
    doc = orderset.to_json_dict(build(case_data()))
    doc["orders"][0]["kind"] = "potion"
    del doc["patient"]["weight_kg"]
    messages = [e.message for e in VALIDATOR.iter_errors(doc)]
    assert any("potion" in m for m in messages)
    assert any("weight_kg" in m for m in messages)
