"""Secrets: from the environment or a 0600 file, refused when missing, short or exposed."""

import pytest

from pgcore.secrets import Secret, SecretError, lookup


def test_from_environment(monkeypatch):
    monkeypatch.setenv("PGDEPLOY_TEST_PASSWORD", "x" * 20)
    secret = lookup("PGDEPLOY_TEST_PASSWORD", None)
    assert secret.reveal() == "x" * 20
    assert "x" * 20 not in repr(secret) + str(secret) + f"{secret}"


def test_from_0600_file(tmp_path, monkeypatch):
    monkeypatch.delenv("PGDEPLOY_TEST_PASSWORD", raising=False)
    path = tmp_path / "secrets"
    path.write_text("# comment\nPGDEPLOY_TEST_PASSWORD = y-is-a-long-secret\n")
    path.chmod(0o600)
    assert lookup("PGDEPLOY_TEST_PASSWORD", str(path)).reveal() == "y-is-a-long-secret"


def test_readable_file_is_refused(tmp_path):
    path = tmp_path / "secrets"
    path.write_text("PGDEPLOY_TEST_PASSWORD=y-is-a-long-secret\n")
    path.chmod(0o644)
    with pytest.raises(SecretError, match=r"must be a regular file with mode 0600, not -rw-r--r--"):
        lookup("PGDEPLOY_TEST_PASSWORD", str(path))


def test_missing_names_the_variable(monkeypatch):
    monkeypatch.delenv("PGDEPLOY_TEST_PASSWORD", raising=False)
    with pytest.raises(SecretError, match="^missing secret: set environment variable PGDEPLOY_TEST_PASSWORD$"):
        lookup("PGDEPLOY_TEST_PASSWORD", None)


def test_short_is_refused(monkeypatch):
    monkeypatch.setenv("PGDEPLOY_TEST_PASSWORD", "short")
    with pytest.raises(SecretError, match="shorter than 16 characters"):
        lookup("PGDEPLOY_TEST_PASSWORD", None)


def test_equality_without_showing():
    assert Secret("a", "x") == Secret("a", "y") and Secret("a", "x") != Secret("b", "x")
