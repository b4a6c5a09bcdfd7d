"""Bad inventory data stops the deploy with one line per problem, before any host changes.

These run before the first deploy, on never-provisioned servers, so "nothing changed" is
checked against a pristine system: no package installed, no file written.
"""

import re

import pytest

FINGERPRINT = ("dpkg-query -W -f '${Package} ${Version}\\n' | md5sum; "
               "find /etc /var/lib/postgresql /usr/lib/postgresql -xdev -printf '%p %s %T@\\n' 2>/dev/null | sort | md5sum")


@pytest.mark.parametrize("data, reason", [
    ({"postgres_prot": 5433}, "unknown setting 'postgres_prot' (did you mean 'postgres_port'?)"),
    ({"postgres_port": "5432"}, "postgres_port must be an integer, got str '5432'"),
    ({"postgres_port": 99999}, "postgres_port must be between 1 and 65535, got 99999"),
    ({"postgres_major": 12}, "postgres_major must be one of 13, 14, 15, 16, 17, 18, got 12"),
    ({"postgres_major": 16}, "but Debian"),
    ({"pgvector_version": "latest"}, "pgvector_version must be a version like 0.8.0, got 'latest'"),
    ({"pgvector_sha256": "abc"}, "pgvector_sha256 must be 64 lower-case hex digits, got 'abc'"),
    ({"pgvector_source": ""}, "pgvector_source is missing: give a URL or a file on the control machine"),
    ({"pgvector_source": "/nonexistent/pgvector.tgz"},
     "pgvector_source file '/nonexistent/pgvector.tgz' does not exist on the control machine"),
    ({"app_clients": {"app": ["10.0.0.5/24"]}}, "app_clients ['app'] '10.0.0.5/24' is not a CIDR"),
    ({"app_clients": {"ap": ["10.0.0.0/24"]}}, "app_clients has unknown role kind 'ap'"),
    ({"app_role_limits": {"app": {"connection_limit": "many"}}},
     "app_role_limits ['app'] connection_limit must be an integer, got str 'many'"),
    ({"secrets_file": "/nonexistent/secrets"}, "app role password: secrets file /nonexistent/secrets does not exist"),
    ({"password_secrets": {"migrator": "PGDEPLOY_UNSET_1", "app": "PGDEPLOY_UNSET_2", "readonly": "PGDEPLOY_UNSET_3"},
      "secrets_file": None}, "migrator role password: missing secret: set environment variable PGDEPLOY_UNSET_1"),
    ({"postgres_tls_cert": "/etc/hostname"}, "postgres_tls_cert and postgres_tls_key go together"),
    ({"backup_repo2_host": "nowhere"}, "backup_repo2_host 'nowhere' is not a host of the inventory's 'backup' group"),
    # pg2 is trixie, backup1 bookworm.
    ({"backup_repo2_host": "backup1"}, "runs Debian 13 but its repository host backup1 runs Debian 12; "
                                       "pgBackRest's versions must match exactly"),
])
def test_bad_data_stops_before_any_change(fleet, run_pyinfra, inventory_with, data, reason):
    before = [fleet.ssh(s, FINGERPRINT).stdout for s in fleet.all]
    run = run_pyinfra(inventory=inventory_with(**data))
    assert run.rc != 0
    assert reason in run.log
    # One line per problem, naming the host it is about.
    assert any(re.search(r"\bpg[12]: ", line) and reason in line for line in run.log.splitlines())
    assert "Beginning operation run" not in run.log
    assert [fleet.ssh(s, FINGERPRINT).stdout for s in fleet.all] == before
