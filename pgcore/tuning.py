"""postgresql.conf memory and parallelism from the host's RAM and CPUs: PGTune's formulas.

The reference is PGTune (le0pard/pgtune, src/features/configuration/configurationSlice.js),
Linux only. Memory is in kB throughout, as in PGTune; `render` formats it the way PGTune
prints it (whole GB, else whole MB, else kB).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

KB, MB, GB = 1, 1024, 1024 * 1024
WORKLOADS = ("web", "oltp", "dw", "mixed", "desktop")
STORAGE = ("ssd", "hdd", "san", "nvme")
DATA_SIZES = ("smaller_than_ram", "larger_than_ram")

MAX_CONNECTIONS = {"web": 200, "oltp": 300, "dw": 40, "desktop": 20, "mixed": 100}
WAL_SIZE_MB = {"web": (1024, 4096), "oltp": (2048, 8192), "dw": (4096, 16384),
               "desktop": (100, 2048), "mixed": (1024, 4096)}
IO_CONCURRENCY = {"hdd": 2, "ssd": 200, "san": 300, "nvme": 1000}
DEFAULT_WORKER_PROCESSES = 8  # PostgreSQL's default, used by work_mem below 4 CPUs
# Memory for the one session that builds an HNSW index (pgvector recommends raising
# maintenance_work_mem there, not server-wide): a quarter of RAM, at most this.
INDEX_BUILD_CAP = 16 * GB


# RAM (kB), the cgroup memory limit (bytes, or "max") and online CPUs, in one round trip: read
# by the deploy's fact, the server suite and the benchmarks alike. Not pyinfra's hardware.Memory:
# it needs vmstat, which minimal images lack, rounds to MiB and ignores cgroup limits.
RESOURCES_COMMAND = ("sed -n 's/^MemTotal: *\\([0-9]*\\) kB$/\\1/p' /proc/meminfo; "
                     "cat /sys/fs/cgroup/memory.max 2>/dev/null || "
                     "cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || echo max; "
                     "getconf _NPROCESSORS_ONLN")


def parse_resources(lines) -> dict:
    """RESOURCES_COMMAND's output as {"memory_kb", "cgroup_limit_kb" (None: unlimited), "cpus"}."""
    memory, limit, cpus = [line.strip() for line in lines if line.strip()][:3]
    return {"memory_kb": int(memory), "cgroup_limit_kb": None if limit == "max" else int(limit) // 1024,
            "cpus": int(cpus)}


def effective_memory_kb(physical_kb: int, cgroup_limit_kb: int | None) -> tuple[int, str]:
    """The memory PostgreSQL can use: a cgroup limit below physical RAM wins (containers)."""
    if cgroup_limit_kb and cgroup_limit_kb < physical_kb:
        return cgroup_limit_kb, "cgroup memory limit"
    return physical_kb, "physical RAM"


@dataclass(frozen=True)
class Host:
    memory_kb: int
    cpus: int
    major: int
    workload: str = "web"
    storage: str = "ssd"
    max_connections: int | None = None
    data_size: str | None = None  # the database relative to RAM, if known


def host_inputs(resources: dict, settings: dict) -> tuple[Host, str]:
    """The calculator's inputs from parse_resources() and the project's settings, and which
    memory figure was used."""
    memory_kb, source = effective_memory_kb(resources["memory_kb"], resources["cgroup_limit_kb"])
    return Host(memory_kb=memory_kb, cpus=resources["cpus"], major=settings["postgres_major"],
                workload=settings["postgres_workload"], storage=settings["postgres_storage"],
                max_connections=settings["postgres_max_connections"],
                data_size=settings["postgres_data_size"]), source


def compute(h: Host) -> dict[str, int | float | str]:
    """The settings PGTune gives for this host, as {name: value}; memory values in kB."""
    ram, kind = h.memory_kb, h.workload
    settings: dict[str, int | float | str] = {}
    connections = h.max_connections or MAX_CONNECTIONS[kind]
    settings["max_connections"] = connections

    shared_buffers = ram // 16 if kind == "desktop" else ram // 4
    settings["shared_buffers"] = shared_buffers
    settings["effective_cache_size"] = ram // 4 if kind == "desktop" else ram * 3 // 4
    settings["maintenance_work_mem"] = min(ram // 8 if kind == "dw" else ram // 16, 8 * GB)

    parallel = _parallel(h)
    workers = parallel.get("max_worker_processes", DEFAULT_WORKER_PROCESSES)
    work_mem = (ram - shared_buffers) / ((connections + workers) * 3)
    work_mem /= {"dw": 2, "mixed": 2, "desktop": 6}.get(kind, 1)
    work_mem *= {"smaller_than_ram": 1.3, "larger_than_ram": 0.9}.get(h.data_size, 1)
    settings["work_mem"] = max(math.floor(work_mem), 4 * MB)

    settings["huge_pages"] = "try" if shared_buffers >= 2 * GB else "off"
    settings["wal_buffers"] = _wal_buffers(shared_buffers)
    settings["min_wal_size"], settings["max_wal_size"] = (v * MB for v in WAL_SIZE_MB[kind])
    settings["checkpoint_completion_target"] = 0.9
    settings["default_statistics_target"] = 500 if kind == "dw" else 100
    settings["random_page_cost"] = 4 if h.storage == "hdd" else 1.1
    settings["effective_io_concurrency"] = IO_CONCURRENCY[h.storage]
    settings.update(parallel)
    if kind == "desktop":
        settings["wal_level"] = "minimal"
        settings["max_wal_senders"] = 0
    if h.major >= 12 and kind in ("web", "oltp", "mixed"):
        settings["jit"] = "off"
    settings["wal_compression"] = "lz4" if h.major >= 15 else "on"
    if h.cpus >= 16:
        settings["autovacuum_max_workers"] = 5 if h.cpus >= 32 else 4
    if settings["maintenance_work_mem"] >= 2 * GB:
        settings["autovacuum_work_mem"] = 2 * GB
    if h.major >= 18:
        # Asynchronous I/O (PG 18): worker mode everywhere; a worker per 4 CPUs, at least the default 3.
        settings["io_method"] = "worker"
        settings["io_workers"] = max(3, h.cpus // 4)
    return settings


def _parallel(h: Host) -> dict[str, int]:
    if h.cpus < 4:
        return {}
    per_gather = math.ceil(h.cpus / 2)
    if h.workload != "dw":
        per_gather = min(per_gather, 4)
    return {"max_worker_processes": h.cpus, "max_parallel_workers_per_gather": per_gather,
            "max_parallel_workers": h.cpus, "max_parallel_maintenance_workers": min(math.ceil(h.cpus / 2), 4)}


def _wal_buffers(shared_buffers: int) -> int:
    """3% of shared_buffers, at most 16MB (rounded up to it above 14MB), at least 32kB."""
    value = min(3 * shared_buffers // 100, 16 * MB)
    if 14 * MB < value < 16 * MB:
        value = 16 * MB
    return max(value, 32)


def index_build(h: Host, settings: dict) -> dict[str, int]:
    """Session settings for building an HNSW index: memory for the graph, and every CPU but one."""
    memory = max(min(h.memory_kb // 4, INDEX_BUILD_CAP), settings["maintenance_work_mem"])
    workers = min(max(h.cpus - 1, 0), settings.get("max_parallel_workers", DEFAULT_WORKER_PROCESSES))
    return {"maintenance_work_mem": memory, "max_parallel_maintenance_workers": workers}


MEMORY_SETTINGS = frozenset({"shared_buffers", "effective_cache_size", "maintenance_work_mem", "work_mem",
                             "wal_buffers", "min_wal_size", "max_wal_size", "autovacuum_work_mem"})


def format_value(name: str, value) -> str:
    """A value as postgresql.conf takes it: memory as PGTune prints it (4GB, 16MB, 20164kB)."""
    if name in MEMORY_SETTINGS:
        for unit, size in (("GB", GB), ("MB", MB)):
            if value % size == 0:
                return f"{value // size}{unit}"
        return f"{value}kB"
    if isinstance(value, str):
        return value
    return str(value)
