"""The application schema is the migration plan's, exactly, and every file of sql/ is applied."""

import pytest

from pgcore.migrations import discover
from pathlib import Path

COLUMNS = {
    "users": [
        ("id", "uuid", None, "NO", "gen_random_uuid()"),
        ("external_id", "character varying", 255, "NO", None),
        ("email", "character varying", 255, "NO", None),
        ("full_name", "character varying", 255, "YES", None),
        ("image_url", "text", None, "YES", None),
        ("created_at", "timestamp with time zone", None, "NO", "now()"),
    ],
    "chat_sessions": [
        ("id", "uuid", None, "NO", "gen_random_uuid()"),
        ("user_id", "uuid", None, "NO", None),
        ("title", "character varying", 255, "NO", None),
        ("created_at", "timestamp with time zone", None, "NO", "now()"),
    ],
    "messages": [
        ("id", "uuid", None, "NO", "gen_random_uuid()"),
        ("session_id", "uuid", None, "NO", None),
        ("sender", "character varying", 50, "NO", None),
        ("content", "text", None, "NO", None),
        ("embedding", "USER-DEFINED", None, "YES", None),
        ("created_at", "timestamp with time zone", None, "NO", "now()"),
    ],
}
INDEXES = {
    "idx_users_external_id": "CREATE INDEX idx_users_external_id ON public.users USING btree (external_id)",
    "idx_chat_sessions_user_id": "CREATE INDEX idx_chat_sessions_user_id ON public.chat_sessions USING btree (user_id)",
    "idx_messages_session_id": "CREATE INDEX idx_messages_session_id ON public.messages USING btree (session_id)",
    "idx_messages_embedding_hnsw": "CREATE INDEX idx_messages_embedding_hnsw ON public.messages USING hnsw "
                                   "(embedding vector_cosine_ops)",
    "idx_messages_session_created_at": "CREATE INDEX idx_messages_session_created_at ON public.messages "
                                       "USING btree (session_id, created_at)",
}


@pytest.fixture(scope="module")
def sql(psql, settings):
    return lambda query: psql(query, database=settings["app_database"])


@pytest.mark.parametrize("table", COLUMNS)
def test_columns(sql, table):
    rows = sql(f"SELECT column_name, data_type, coalesce(character_maximum_length::text, ''), is_nullable, "
               f"coalesce(column_default, '') FROM information_schema.columns "
               f"WHERE table_schema = 'public' AND table_name = '{table}' ORDER BY ordinal_position")
    expected = [f"{n}|{t}|{'' if l is None else l}|{null}|{d or ''}" for n, t, l, null, d in COLUMNS[table]]
    assert rows.splitlines() == expected


def test_embedding_is_vector_1536(sql):
    assert sql("SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
               "WHERE attrelid = 'messages'::regclass AND attname = 'embedding'") == "vector(1536)"


def test_constraints(sql):
    rows = sql("SELECT conrelid::regclass, contype, pg_get_constraintdef(oid) FROM pg_constraint "
               "WHERE connamespace = 'public'::regnamespace AND conrelid::regclass::text <> 'schema_migrations' "
               "ORDER BY 1, 2, 3").splitlines()
    assert rows == [
        "users|p|PRIMARY KEY (id)",
        "users|u|UNIQUE (email)",
        "users|u|UNIQUE (external_id)",
        "chat_sessions|f|FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE",
        "chat_sessions|p|PRIMARY KEY (id)",
        "messages|c|CHECK (((sender)::text = ANY ((ARRAY['user'::character varying, 'assistant'::character varying])::text[])))",
        "messages|f|FOREIGN KEY (session_id) REFERENCES chat_sessions(id) ON DELETE CASCADE",
        "messages|p|PRIMARY KEY (id)",
    ]


@pytest.mark.parametrize("name", INDEXES)
def test_index(sql, name):
    assert sql(f"SELECT pg_get_indexdef(indexrelid) || '|' || indisvalid FROM pg_index "
               f"WHERE indexrelid = 'public.{name}'::regclass") == f"{INDEXES[name]}|true"


def test_tables_belong_to_the_owner_role(sql, settings):
    owners = sql("SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'")
    assert owners == settings["app_owner_role"]


def test_every_migration_applied_once_with_its_checksum(sql, settings):
    rows = sql("SELECT version, name, sha256, applied_by FROM schema_migrations ORDER BY version").splitlines()
    expected = [f"{m.version}|{m.name}|{m.sha256}|{settings['app_migrator_role']}"
                for m in discover(Path(settings["migrations_dir"]))]
    assert rows == expected
