"""A server's life, in order: `pyinfra inventories/<env>.py deploy.py`."""

from tasks import backups, database, pgvector, postgresql, schema, settings

config = settings.current()

postgresql.install(config)
pgvector.build(config)
postgresql.cluster(config)
database.create(config)
pgvector.enable(config)
schema.migrate(config)
backups.configure(config)
