"""PostgreSQL itself: installed, running under systemd, listening where configured, initdb'd as asked."""


def test_server_package_installed(host, major):
    assert host.package(f"postgresql-{major}").is_installed


def test_service_enabled_and_running(host, major, settings):
    service = host.service(f"postgresql@{major}-{settings['postgres_cluster']}")
    assert service.is_enabled
    assert service.is_running


def test_listens_on_configured_addresses(host, settings):
    port = settings["postgres_port"]
    for address in settings["postgres_listen_addresses"]:
        address = {"localhost": "127.0.0.1", "*": "0.0.0.0"}.get(address, address)
        assert host.socket(f"tcp://{address}:{port}").is_listening, f"nothing on {address}:{port}"


def test_server_version_is_configured_major(psql, major):
    assert int(psql("SHOW server_version_num")) // 10000 == major


def test_data_checksums(psql, settings):
    expected = "on" if settings["postgres_data_checksums"] else "off"
    assert psql("SHOW data_checksums") == expected


def test_locale_and_encoding(psql, settings):
    encoding, collate = psql("SELECT pg_encoding_to_char(encoding), datcollate FROM pg_database "
                             "WHERE datname = 'template1'").split("|")
    assert encoding == settings["postgres_encoding"]
    assert collate == settings["postgres_locale"]


def test_no_default_cluster_left_behind(host, major, settings):
    clusters = host.check_output("pg_lsclusters --no-header").splitlines()
    assert [c.split()[:2] for c in clusters] == [[str(major), settings["postgres_cluster"]]]
