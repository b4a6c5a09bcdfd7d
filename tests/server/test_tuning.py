"""postgresql.conf: every managed setting in effect as the calculator gives it for this server."""

import pytest

from pgcore import pgconf, tuning

MANAGED_FILE = "conf.d/50-pgdeploy.conf"
UNIT_KB = {"kB": 1, "8kB": 8, "MB": 1024, "16MB": 16 * 1024}


@pytest.fixture(scope="module")
def expected(host, settings):
    """The calculator's settings for this server, from its own /proc/meminfo, cgroup and CPUs."""
    inputs, _ = tuning.host_inputs(tuning.parse_resources(host.check_output(tuning.RESOURCES_COMMAND).splitlines()),
                                   settings)
    computed = tuning.compute(inputs)
    return {k: v for k, v in computed.items() if k not in settings["postgres_settings"]}


@pytest.fixture(scope="module")
def pg_settings(psql):
    rows = psql("SELECT name, setting, coalesce(unit, ''), sourcefile FROM pg_settings").splitlines()
    return {name: (setting, unit, source) for name, setting, unit, source in (r.split("|") for r in rows)}


def test_computed_settings_in_effect(expected, pg_settings):
    for name, value in expected.items():
        setting, unit, source = pg_settings[name]
        assert source.endswith(MANAGED_FILE), f"{name} comes from {source or 'a default'}"
        if name in tuning.MEMORY_SETTINGS:
            # The server keeps memory in its own unit (8kB pages, MB), rounded half to even (rint).
            assert int(setting) == round(value / UNIT_KB[unit]), f"{name}: {setting}{unit} != {value}kB"
        elif isinstance(value, float):
            assert float(setting) == value, name
        else:
            assert setting == str(value), name


def test_overrides_in_effect(psql, settings):
    for name, value in settings["postgres_settings"].items():
        row = psql(f"SELECT setting, applied FROM pg_file_settings WHERE name = '{name}' "
                   f"AND sourcefile LIKE '%/{MANAGED_FILE}' ORDER BY seqno DESC LIMIT 1")
        assert row == f"{pgconf.conf_value(value).strip(chr(39))}|t", name


def test_nothing_waits_for_a_restart(psql):
    assert psql("SELECT string_agg(name, ', ') FROM pg_settings WHERE pending_restart") == ""


def test_config_files_have_no_errors(psql):
    assert psql("SELECT string_agg(sourcefile || ': ' || error, '; ') FROM pg_file_settings "
                "WHERE error IS NOT NULL") == ""
