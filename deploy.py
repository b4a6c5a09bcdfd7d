"""A server's life, in order: `pyinfra inventories/<env>.py deploy.py`.

Hosts of the inventory's `backup` group are pgBackRest repository hosts: they get only the
last step, their side of the backups."""

from tasks import backups, database, pgvector, postgresql, schema, settings

config = settings.current()

if not config["repository_host"]:
    postgresql.install(config)
    pgvector.build(config)
    postgresql.cluster(config)
    database.create(config)
    pgvector.enable(config)
    schema.migrate(config)
backups.configure(config)
