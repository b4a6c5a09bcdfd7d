"""Load a Convex snapshot export (`npx convex export --path snapshot.zip`) into the schema of
sql/001_initial_schema.sql: `python -m importer snapshot.zip --dsn ...`."""
