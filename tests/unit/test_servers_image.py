"""The harness reads the Debian mirror from this machine's apt sources, in either format."""

import pytest

from servers.image import apt_mirror


def test_deb822_sources(tmp_path):
    (tmp_path / "sources.list.d").mkdir()
    (tmp_path / "sources.list.d/debian.sources").write_text(
        "Types: deb\nURIs: http://mirror.invalid/debian-security\nSuites: bookworm-security\n\n"
        "Types: deb\nURIs: http://mirror.invalid/debian/\nSuites: bookworm bookworm-updates\n")
    assert apt_mirror(str(tmp_path)) == "http://mirror.invalid/debian"


def test_one_line_sources(tmp_path):
    (tmp_path / "sources.list.d").mkdir()
    (tmp_path / "sources.list").write_text(
        "deb http://mirror.invalid/debian-security bookworm-security main\n"
        "deb [arch=amd64] http://mirror.invalid/debian bookworm main\n")
    assert apt_mirror(str(tmp_path)) == "http://mirror.invalid/debian"


def test_no_mirror_is_a_clear_error(tmp_path):
    (tmp_path / "sources.list.d").mkdir()
    with pytest.raises(RuntimeError, match="no Debian mirror"):
        apt_mirror(str(tmp_path))
