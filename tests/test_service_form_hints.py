"""The web form read as a physician would (user walkthrough)."""

from __future__ import annotations

import pytest

pytest.importorskip("fastapi", reason="the service extra is not installed")


def test_form_says_an_optional_group_is_optional(live_server):
    """The ordering provider's ID is marked * (required when a provider is given); the form
    did not say the provider itself may be left out, so a physician took it as required."""
    import re

    import httpx

    page = httpx.get(f"{live_server.url}/", timeout=30).text
    group = page.split('data-field="encounter.ordering_provider"', 1)[1].split("</fieldset>", 1)[0]
    assert re.search(r"Optional: leave it all empty, or fill the fields marked", group)
    patient = page.split('data-field="patient"', 1)[1].split("</legend>", 2)[1][:300]
    assert "Optional" not in patient  # a required group says nothing of the kind
