"""The application database."""

from __future__ import annotations

from pyinfra.api import deploy
from pyinfra.operations import postgres


@deploy("Application database")
def create(settings: dict) -> None:
    postgres.database(
        name="Create the application database",
        database=settings["app_database"],
        psql_port=settings["postgres_port"],
        _sudo=True, _sudo_user="postgres",
    )
