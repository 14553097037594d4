"""The embedding API (issue "Embedding: a clean public API, clinician selections, and FHIR R4
output"): profiles layered over the default, names and paths kept apart, clinician selections,
clear errors, a library import that leaves pint's application registry and the disk alone, and
builds that agree across threads."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import orderset
from orderset import InputError
from orderset.renderers.hl7 import build_messages
from orderset.testing import fresh_host
from tests.conftest import EXAMPLES, ROOT, TODDLER, run_cli

ALLERGY = ROOT / "examples" / "tocilizumab-allergy.json"


def _case(path: Path = TODDLER) -> orderset.Case:
    return orderset.load_case(path)


def _build(**kwargs: object) -> orderset.OrderSet:
    return orderset.build_order_set(_case(), host=fresh_host(), **kwargs)  # type: ignore[arg-type]  # keyword mix of the API under test


def _order(order_set: orderset.OrderSet, oid: str) -> orderset.Order:
    return next(o for o in order_set.orders if o.id == oid)


def _segments(order_set: orderset.OrderSet, name: str) -> list[list[str]]:
    return [
        seg.split("|")
        for m in build_messages(order_set)
        for seg in m.text.split("\r")
        if seg.startswith(name + "|")
    ]


# ---- finding 2: every profile is layered over default.toml ---------------------------------


def test_a_dict_profile_keeps_the_default_institution_and_hl7_facilities():
    order_set = _build(profile={"selection": {"IVIG-1": True}})
    assert order_set.institution == "Example Children's Hospital"
    assert order_set.profile_name == "custom"  # its own name: it is not the default profile
    assert _order(order_set, "IVIG-1").selected
    for msh in _segments(order_set, "MSH"):
        assert (msh[3], msh[5]) == ("EXAMPLE-CH", "EXAMPLE-CH")  # MSH-4, MSH-6
    for pid in _segments(order_set, "PID"):
        assert pid[3] == "A1234567^^^EXAMPLE-CH^MR"  # PID-3 keeps its assigning authority


def test_the_bundled_ivig_first_line_profile_keeps_the_hl7_facilities():
    order_set = _build(profile="ivig-first-line")
    assert order_set.profile_name == "ivig-first-line"
    assert _order(order_set, "IVIG-1").selected
    result = run_cli("build", str(TODDLER), "--profile", "ivig-first-line", "--format", "hl7")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("FHS|^~\\&|ORDERSET|EXAMPLE-CH|PHARMACY|EXAMPLE-CH|")


def test_a_profile_may_opt_out_of_the_default_underneath():
    order_set = _build(profile={"profile": {"name": "bare", "base": "none"}})
    assert (order_set.profile_name, order_set.institution) == ("bare", "")
    with pytest.raises(InputError) as err:
        _build(profile={"profile": {"base": "defualt"}})
    assert err.value.field == "profile.base"


def test_the_profiles_own_values_win_over_the_default():
    order_set = _build(profile={"institution": {"name": "St Elsewhere"}})
    assert order_set.institution == "St Elsewhere"
    assert order_set.settings.get("hl7", "sending_facility") == "EXAMPLE-CH"


# ---- finding 4: names and paths are distinct arguments -------------------------------------


def test_a_profile_string_is_never_read_as_a_file(tmp_path, monkeypatch):
    (tmp_path / "site.toml").write_text('[institution]\nname = "From a file"\n')
    monkeypatch.chdir(tmp_path)
    for text in ("site.toml", str(tmp_path / "site.toml"), "/etc/passwd"):
        with pytest.raises(InputError) as err:
            _build(profile=text)
        assert err.value.field == "profile"
        assert "not a bundled profile" in err.value.reason
    with pytest.raises(InputError) as err:
        _build(profile=tmp_path / "site.toml")  # a Path is not a name either
    assert err.value.field == "profile"


def test_a_file_goes_through_profile_path_and_is_layered_too(tmp_path):
    path = tmp_path / "site.toml"
    path.write_text('[profile]\nname = "site"\n[institution]\nname = "From a file"\n')
    order_set = _build(profile_path=path)
    assert (order_set.profile_name, order_set.institution) == ("site", "From a file")
    assert order_set.settings.get("hl7", "receiving_facility") == "EXAMPLE-CH"
    with pytest.raises(InputError) as err:
        _build(profile="default", profile_path=path)
    assert err.value.field == "profile_path"


def test_the_command_line_still_takes_a_name_or_a_path(tmp_path):
    path = tmp_path / "site.toml"
    path.write_text('[profile]\nname = "site"\n')
    result = run_cli("build", str(TODDLER), "--profile", str(path))
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["profile"]["name"] == "site"


# ---- finding 3: the clinician's selections -------------------------------------------------


def test_selections_are_applied_and_recorded_as_the_clinicians():
    order_set = _build(selections={"TCZ-1": False, "IVIG-1": True})
    tcz, ivig = _order(order_set, "TCZ-1"), _order(order_set, "IVIG-1")
    assert (tcz.selected, tcz.selected_by) == (False, "clinician")
    assert (ivig.selected, ivig.selected_by) == (True, "clinician")
    assert _order(order_set, "MP-1").selected_by == "rule"
    # The clinician's tick changes who decided, never the dose the engine checked.
    plain = _build()
    assert ivig.dose == _order(plain, "IVIG-1").dose
    assert ivig.calculation == _order(plain, "IVIG-1").calculation


def test_the_clinician_overrides_the_profile_and_the_profile_is_recorded():
    by_profile = _build(profile={"selection": {"IVIG-1": True}})
    assert _order(by_profile, "IVIG-1").selected_by == "profile"
    both = _build(profile={"selection": {"IVIG-1": True}}, selections={"IVIG-1": False})
    assert (_order(both, "IVIG-1").selected, _order(both, "IVIG-1").selected_by) == (
        False,
        "clinician",
    )


def test_selected_by_is_in_json_hl7_and_on_the_sheet():
    order_set = _build(selections={"TCZ-1": False, "IVIG-1": True})
    doc = json.loads(orderset.render(order_set, "json"))
    by = {o["id"]: o["selected_by"] for o in doc["orders"]}
    assert by["IVIG-1"] == by["TCZ-1"] == "clinician"
    assert by["MP-1"] == "rule"
    hl7 = orderset.render(order_set, "hl7").decode().split("\r")
    marks = [i for i, seg in enumerate(hl7) if "Selected by the clinician" in seg]
    assert len(marks) == 1  # TCZ-1 (unticked) is not sent; every other order is the rule's
    assert hl7[marks[0]].startswith("NTE|2|P|Selected by the clinician")
    assert hl7[marks[0] - 1].startswith("NTE|1|P|Order: immune globulin")
    html = orderset.render(order_set, "html").decode()
    assert html.count("ticked by the clinician") == 2  # "ticked" and "unticked"
    assert html.count("unticked by the clinician") == 1


def test_unknown_or_removed_orders_cannot_be_selected():
    with pytest.raises(InputError) as err:
        _build(selections={"IVIG-9": True})
    assert err.value.field == "selections.IVIG-9"
    with pytest.raises(InputError) as err:
        _build(selections={"IVIG-1": "yes"})
    assert err.value.field == "selections.IVIG-1"
    with pytest.raises(InputError) as err:
        _build(selections=["IVIG-1"])
    assert err.value.field == "selections"
    # TCZ-1 was removed for the patient's tocilizumab allergy: nothing to select.
    with pytest.raises(InputError) as err:
        orderset.build_order_set(_case(ALLERGY), host=fresh_host(), selections={"TCZ-1": True})
    assert err.value.field == "selections.TCZ-1"
    assert "removed" in err.value.reason


def test_a_plugin_cannot_claim_the_clinicians_choice():
    import attrs

    from orderset.plugin import hookimpl

    class Forger:
        @hookimpl
        def orderset_orders(self, context):
            base = _order(_build(), "SUP-1-ICU")
            return [attrs.evolve(base, id="SITE-1", rule_id="SITE-1", selected_by="clinician")]

    host = fresh_host([("forger", Forger())])
    order_set = orderset.build_order_set(_case(), host=host)
    assert _order(order_set, "SITE-1").selected_by == "rule"


# ---- findings 5 and 8: clear errors ---------------------------------------------------------


def test_a_dict_instead_of_a_case_is_a_clear_input_error():
    data = json.loads(TODDLER.read_text())
    with pytest.raises(InputError) as err:
        orderset.build_order_set(data)  # type: ignore[arg-type]  # the mistake under test
    assert err.value.field == "case"
    assert "case_from_dict" in err.value.reason


def test_a_mistyped_plugin_in_disable_names_the_python_argument():
    with pytest.raises(InputError) as err:
        orderset.build_order_set(_case(), disable=["steriods"])
    assert err.value.field == "disable"
    result = run_cli("build", str(TODDLER), "--disable", "steriods")
    assert result.returncode == 2
    assert result.stderr.startswith("orderset: error: --disable: no plugin named 'steriods'")


# ---- findings 6 and 7: pint's application registry and the disk are the host's -------------


def _python(code: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k != "ORDERSET_CACHE_DIR"}
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env={**base, "ORDERSET_LOAD_PLUGINS": "", **(env or {})},
        cwd=ROOT,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def test_the_host_applications_pint_quantities_work_before_and_after_import():
    _python(
        f"""
        import pint
        app = pint.get_application_registry()
        before = pint.Quantity(1, "kg")          # the host's quantity, made before orderset

        import orderset
        order_set = orderset.build_order_set(orderset.load_case({str(TODDLER)!r}))
        from orderset import units

        after = pint.Quantity(500, "g")          # and one made after
        assert (before + after).to("g").magnitude == 1500
        assert pint.get_application_registry() is app
        assert pint.get_application_registry().get() is not units.ureg
        dose = order_set.selected_medications[0].dose
        assert dose._REGISTRY is units.ureg      # what orderset returns is its own
        """
    )


def _tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


@pytest.mark.parametrize("writable", [False, True], ids=["read-only-home", "writable-home"])
def test_import_orderset_writes_nothing(tmp_path, writable):
    home = tmp_path / "home"
    home.mkdir()
    if not writable:
        home.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        _python(
            f"""
            import orderset
            order_set = orderset.build_order_set(orderset.load_case({str(TODDLER)!r}))
            for fmt in ("json", "hl7", "fhir"):
                orderset.render(order_set, fmt)
            """,
            env={"HOME": str(home), "XDG_CACHE_HOME": str(home / ".cache")},
        )
        assert _tree(home) == []
    finally:
        home.chmod(stat.S_IRWXU)


def test_the_orderset_command_keeps_its_definitions_cache(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "ORDERSET_CACHE_DIR"}
    env.update({"HOME": str(tmp_path), "ORDERSET_LOAD_PLUGINS": ""})
    exe = Path(sys.executable).parent / "orderset"
    result = subprocess.run(
        [str(exe), "build", str(TODDLER), "--format", "hl7"],
        capture_output=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert list((tmp_path / ".cache" / "orderset").glob("pint-*/*"))


# ---- 16 threads at once give the serial results ---------------------------------------------


def test_sixteen_threads_building_at_once_give_the_serial_results():
    """In a fresh process, so the first builds also race for the lazy imports and the unit
    registry."""
    cases = [str(p) for p in EXAMPLES]
    _python(
        f"""
        import threading
        import orderset

        cases = {cases!r}
        barrier = threading.Barrier(16)
        results = {{}}
        errors = []

        def build(i):
            path = cases[i % len(cases)]
            barrier.wait()
            try:
                s = orderset.build_order_set(orderset.load_case(path))
                results[i] = orderset.render(s, "json") + orderset.render(s, "hl7")
            except Exception as exc:
                errors.append(f"{{i}}: {{type(exc).__name__}}: {{exc}}")

        threads = [threading.Thread(target=build, args=(i,)) for i in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors
        for i in range(16):
            path = cases[i % len(cases)]
            s = orderset.build_order_set(orderset.load_case(path))
            assert results[i] == orderset.render(s, "json") + orderset.render(s, "hl7"), path
        """
    )
