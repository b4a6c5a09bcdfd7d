from pathlib import Path

import pytest

from pgcore import runtime

PROJECT = Path(__file__).resolve().parents[2]


def test_importer_pins_come_from_requirements_txt():
    pins = runtime.importer_pins((PROJECT / "requirements.txt").read_text())
    assert len(pins) == len(runtime.IMPORTER_DISTRIBUTIONS)
    assert all("==" in pin for pin in pins)
    lines = (PROJECT / "requirements.txt").read_text().splitlines()
    assert all(pin in lines for pin in pins)


def test_a_missing_pin_is_named():
    with pytest.raises(runtime.WheelError, match="does not pin psycopg, psycopg-binary"):
        runtime.importer_pins("numpy==2.0.0\n")


def test_pins_match_names_however_they_are_spelled():
    text = "\n".join(f"{name.upper().replace('-', '_')}==1.{i}" for i, name in enumerate(runtime.IMPORTER_DISTRIBUTIONS))
    assert runtime.importer_pins(text)[0] == "PSYCOPG==1.0"


def test_python_for_debian():
    assert runtime.python_for("12") == "3.11" and runtime.python_for("13.1") == "3.13"
    with pytest.raises(runtime.WheelError, match="Debian 11"):
        runtime.python_for("11")


def test_download_args_are_binary_only_for_the_target():
    args = runtime.download_args(["numpy==2.4.6"], "3.13", "x86_64", "/tmp/w")
    assert args[:3] == ["download", "--quiet", "--only-binary=:all:"]
    assert args[args.index("--python-version") + 1] == "3.13"
    assert "manylinux_2_28_x86_64" in args and args[-1] == "numpy==2.4.6"


def test_wheelhouse_name_changes_with_its_inputs():
    one = runtime.wheelhouse_name(["a==1"], "3.11", "x86_64")
    assert one.startswith("cp311-x86_64-")
    assert one != runtime.wheelhouse_name(["a==2"], "3.11", "x86_64")
    assert one != runtime.wheelhouse_name(["a==1"], "3.13", "x86_64")
