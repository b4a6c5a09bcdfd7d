"""pg_hba and TLS: only TLS with SCRAM passwords over the network, from the listed networks."""

import ipaddress

import pytest

from pgcore import settings as schema


@pytest.fixture(scope="module")
def rules(psql):
    rows = psql("SELECT type, array_to_string(database, ','), array_to_string(user_name, ','), "
                "coalesce(address, ''), coalesce(netmask, ''), auth_method, coalesce(error, '') "
                "FROM pg_hba_file_rules ORDER BY line_number")
    return [row.split("|") for row in rows.splitlines()]


def test_no_errors_and_no_trust(rules):
    assert [r for r in rules if r[6]] == []
    assert [r for r in rules if r[5] in ("trust", "password", "md5")] == []


def test_local_socket_is_for_the_superuser_only(rules):
    assert [r[:6] for r in rules if r[0] == "local"] == [["local", "all", "postgres", "", "", "peer"]]


def test_network_rules_are_exactly_the_listed_clients(rules, settings):
    expected = sorted(
        (settings["app_database"], settings[schema.ROLE_SETTINGS[kind]], cidr)
        for kind, cidrs in settings["app_clients"].items() for cidr in cidrs)
    network = [r for r in rules if r[0] != "local"]
    assert all(r[0] == "hostssl" and r[5] == "scram-sha-256" for r in network), network
    found = sorted((db, user, str(ipaddress.ip_network(f"{address}/{netmask}"))) for _, db, user, address, netmask, *_
                   in network)
    assert found == expected


def test_tls_is_on(psql):
    assert psql("SHOW ssl") == "on"
    assert psql("SHOW ssl_min_protocol_version") in ("TLSv1.2", "TLSv1.3")
    assert psql("SHOW password_encryption") == "scram-sha-256"


def test_private_key_is_for_postgres_only(host, psql):
    key = host.file(psql("SHOW ssl_key_file"))
    assert key.exists and key.user == "postgres" and key.mode == 0o600
    assert host.file(key.path.rsplit("/", 1)[0]).mode == 0o700
    assert host.run(f"openssl x509 -noout -in {psql('SHOW ssl_cert_file')}").rc == 0
