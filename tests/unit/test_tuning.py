"""The calculator against PGTune's own published expectations, plus properties over many hosts."""

import itertools

import pytest

from pgcore.tuning import GB, MB, STORAGE, WORKLOADS, Host, compute, format_value, index_build


def formatted(settings):
    return {k: format_value(k, v) for k, v in settings.items()}


def test_pgtune_16gb_8cpu_web_ssd():
    s = formatted(compute(Host(memory_kb=16 * GB, cpus=8, major=15)))
    assert {k: s[k] for k in ("max_connections", "shared_buffers", "effective_cache_size", "maintenance_work_mem",
                              "work_mem", "wal_buffers", "min_wal_size", "max_wal_size", "huge_pages",
                              "checkpoint_completion_target", "default_statistics_target", "random_page_cost",
                              "effective_io_concurrency", "max_worker_processes", "max_parallel_workers_per_gather",
                              "max_parallel_workers", "max_parallel_maintenance_workers", "jit", "wal_compression")} == {
        "max_connections": "200", "shared_buffers": "4GB", "effective_cache_size": "12GB",
        "maintenance_work_mem": "1GB", "work_mem": "20164kB", "wal_buffers": "16MB", "min_wal_size": "1GB",
        "max_wal_size": "4GB", "huge_pages": "try", "checkpoint_completion_target": "0.9",
        "default_statistics_target": "100", "random_page_cost": "1.1", "effective_io_concurrency": "200",
        "max_worker_processes": "8", "max_parallel_workers_per_gather": "4", "max_parallel_workers": "8",
        "max_parallel_maintenance_workers": "4", "jit": "off", "wal_compression": "lz4"}
    assert "autovacuum_max_workers" not in s and "autovacuum_work_mem" not in s and "io_method" not in s


@pytest.mark.parametrize("workload, connections", [("web", 200), ("oltp", 300), ("dw", 40), ("desktop", 20), ("mixed", 100)])
def test_pgtune_max_connections(workload, connections):
    assert compute(Host(4 * GB, 2, 15, workload))["max_connections"] == connections


@pytest.mark.parametrize("workload, target", [("web", 100), ("oltp", 100), ("dw", 500), ("desktop", 100), ("mixed", 100)])
def test_pgtune_default_statistics_target(workload, target):
    assert compute(Host(4 * GB, 2, 15, workload))["default_statistics_target"] == target


@pytest.mark.parametrize("storage, cost, io", [("hdd", 4, 2), ("ssd", 1.1, 200), ("san", 1.1, 300), ("nvme", 1.1, 1000)])
def test_pgtune_storage(storage, cost, io):
    s = compute(Host(4 * GB, 2, 15, storage=storage))
    assert (s["random_page_cost"], s["effective_io_concurrency"]) == (cost, io)


def test_pgtune_parallel_12_cpus():
    s = compute(Host(16 * GB, 12, 13))
    assert [s[k] for k in ("max_worker_processes", "max_parallel_workers_per_gather", "max_parallel_workers",
                           "max_parallel_maintenance_workers")] == [12, 4, 12, 4]


def test_pgtune_parallel_31_cpus_dw():
    s = compute(Host(16 * GB, 31, 12, "dw"))
    assert [s[k] for k in ("max_worker_processes", "max_parallel_workers_per_gather", "max_parallel_workers",
                           "max_parallel_maintenance_workers")] == [31, 16, 31, 4]


def test_pgtune_no_parallel_below_4_cpus():
    assert "max_worker_processes" not in compute(Host(16 * GB, 2, 15))


def test_pgtune_desktop_wal_level():
    s = compute(Host(4 * GB, 2, 15, "desktop"))
    assert (s["wal_level"], s["max_wal_senders"]) == ("minimal", 0)
    assert "wal_level" not in compute(Host(4 * GB, 2, 15, "web"))


def test_pgtune_maintenance_work_mem_caps_at_8gb():
    assert compute(Host(256 * GB, 4, 17))["maintenance_work_mem"] == 8388608
    assert compute(Host(16 * GB, 4, 15))["maintenance_work_mem"] == 1048576


@pytest.mark.parametrize("ram_gb, expected", [(4, "off"), (16, "try")])
def test_pgtune_huge_pages(ram_gb, expected):
    assert compute(Host(ram_gb * GB, 2, 15))["huge_pages"] == expected


def test_pgtune_work_mem_floor_4mb():
    assert compute(Host(4 * GB, 4, 15, max_connections=9999))["work_mem"] == 4096


def test_pgtune_jit_and_wal_compression():
    assert compute(Host(4 * GB, 2, 12, "web"))["jit"] == "off"
    assert compute(Host(4 * GB, 2, 15, "oltp"))["jit"] == "off"
    assert "jit" not in compute(Host(4 * GB, 2, 15, "dw"))
    assert compute(Host(4 * GB, 2, 14))["wal_compression"] == "on"
    assert compute(Host(4 * GB, 2, 17))["wal_compression"] == "lz4"


@pytest.mark.parametrize("cpus, workers", [(32, 5), (16, 4), (8, None)])
def test_pgtune_autovacuum_max_workers(cpus, workers):
    assert compute(Host(16 * GB, cpus, 15)).get("autovacuum_max_workers") == workers


def test_pgtune_autovacuum_work_mem():
    assert "autovacuum_work_mem" not in compute(Host(4 * GB, 2, 15))
    assert compute(Host(256 * GB, 2, 15))["autovacuum_work_mem"] == 2097152


def test_data_size_scales_work_mem():
    base = (16 * GB - 4 * GB) / ((200 + 8) * 3)
    assert compute(Host(16 * GB, 8, 15, data_size="smaller_than_ram"))["work_mem"] == int(base * 1.3)
    assert compute(Host(16 * GB, 8, 15, data_size="larger_than_ram"))["work_mem"] == int(base * 0.9)


def test_wal_buffers_bounds():
    assert compute(Host(1 * MB, 1, 15))["wal_buffers"] == 32
    assert compute(Host(1800 * MB, 1, 15))["wal_buffers"] == 13824  # 3% of 450MB: below 14MB, kept
    assert compute(Host(1900 * MB, 1, 15))["wal_buffers"] == 16 * MB  # 14.25MB rounds up to 16MB


def test_pg18_async_io():
    s = compute(Host(16 * GB, 16, 18))
    assert (s["io_method"], s["io_workers"]) == ("worker", 4)
    assert "io_method" not in compute(Host(16 * GB, 16, 17))


@pytest.mark.parametrize("ram_gb, cpus, workload, storage", list(itertools.product(
    (1, 2, 8, 24, 64, 512), (1, 2, 4, 8, 32, 64), WORKLOADS, STORAGE)))
def test_properties(ram_gb, cpus, workload, storage):
    ram = ram_gb * GB
    s = compute(Host(ram, cpus, 17, workload, storage))
    for name in ("shared_buffers", "effective_cache_size", "maintenance_work_mem", "work_mem", "wal_buffers"):
        assert 0 < s[name] <= ram, name
    assert s["shared_buffers"] + s["maintenance_work_mem"] < ram
    build = index_build(Host(ram, cpus, 17), s)
    assert s["shared_buffers"] + build["maintenance_work_mem"] < ram
    assert 0 <= build["max_parallel_maintenance_workers"] < max(cpus, 1)


def test_format_matches_pgtune():
    assert format_value("shared_buffers", 4 * GB) == "4GB"
    assert format_value("wal_buffers", 16 * MB) == "16MB"
    assert format_value("work_mem", 20164) == "20164kB"
    assert format_value("random_page_cost", 1.1) == "1.1"
