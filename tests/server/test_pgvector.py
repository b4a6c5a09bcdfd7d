"""pgvector: the pinned build, installed for the right major, working in the application database."""


def test_extension_is_the_pinned_version(psql, settings):
    assert psql("SELECT extversion FROM pg_extension WHERE extname = 'vector'",
                settings["app_database"]) == settings["pgvector_version"]


def test_library_built_for_the_cluster_major(host, major, settings):
    assert host.file(f"/usr/lib/postgresql/{major}/lib/vector.so").is_file
    stamp = host.file(f"/usr/lib/postgresql/{major}/lib/vector.pgdeploy").content_string.split()
    assert stamp == [settings["pgvector_version"], settings["pgvector_sha256"]]


def test_distance_query(psql, settings):
    db = settings["app_database"]
    assert float(psql("SELECT '[1,2,3]'::vector <-> '[4,6,3]'::vector", db)) == 5.0
    assert float(psql("SELECT '[1,0]'::vector <=> '[0,1]'::vector", db)) == 1.0


def test_hnsw_cosine_index_on_1536_dimensions(psql, settings):
    # In a transaction that rolls back: the check leaves nothing behind on a production server.
    out = psql(
        "BEGIN; CREATE TEMP TABLE pgdeploy_check (e vector(1536)); "
        "INSERT INTO pgdeploy_check SELECT array_agg(random())::vector(1536) "
        "FROM generate_series(1, 100) i, generate_series(1, 1536) d GROUP BY i; "
        "CREATE INDEX pgdeploy_check_hnsw ON pgdeploy_check USING hnsw (e vector_cosine_ops); "
        "SELECT amname FROM pg_class c JOIN pg_am a ON a.oid = c.relam WHERE relname = 'pgdeploy_check_hnsw'; "
        "ROLLBACK;", settings["app_database"])
    assert out.splitlines()[-1] == "hnsw"
