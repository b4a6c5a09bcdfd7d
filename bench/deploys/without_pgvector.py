"""deploy.py without the pgvector steps: the difference to deploy.py is what pgvector costs."""

from tasks import backups, database, postgresql, settings

config = settings.current()

postgresql.install(config)
postgresql.cluster(config)
database.create(config)
backups.configure(config)
