-- pgdeploy:no-transaction
-- Semantic search over messages: an HNSW index on the embeddings, cosine distance.
-- CONCURRENTLY keeps the table writable while the graph is built, so this file runs outside
-- a transaction; a build that failed leaves an invalid index, dropped here before a retry.
-- The deploy passes the index-build session settings (pgcore/tuning.py index_build): pgvector
-- builds far faster when the graph fits in maintenance_work_mem.
SET maintenance_work_mem = :'index_build_memory';
SET max_parallel_maintenance_workers = :index_build_workers;
DROP INDEX CONCURRENTLY IF EXISTS idx_messages_embedding_hnsw;
CREATE INDEX CONCURRENTLY idx_messages_embedding_hnsw ON messages USING hnsw (embedding vector_cosine_ops);
RESET maintenance_work_mem;
RESET max_parallel_maintenance_workers;
