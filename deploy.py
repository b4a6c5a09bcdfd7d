"""A server's life, in order: `pyinfra inventories/<env>.py deploy.py`."""

from tasks import postgresql, settings

config = settings.current()

postgresql.install(config)
postgresql.cluster(config)
