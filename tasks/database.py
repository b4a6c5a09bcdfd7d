"""The application database, its roles and who may do what in it (least privilege)."""

from __future__ import annotations

from pyinfra.api import deploy
from pyinfra.operations import postgres

from ops import access, roles
from pgcore import settings as schema


@deploy("Application database and roles")
def create(settings: dict) -> None:
    port, passwords = settings["postgres_port"], settings["passwords"]
    owner = settings["app_owner_role"]
    roles.role(name="The owner role (NOLOGIN)", role=owner, port=port)
    for kind in schema.ROLE_KINDS:
        limits = schema.role_limits(settings, kind)
        timeout = limits["statement_timeout"]
        roles.role(
            name=f"The {kind} role", role=settings[schema.ROLE_SETTINGS[kind]], login=True,
            member_of=[owner] if kind == "migrator" else [], connection_limit=limits["connection_limit"],
            settings={"statement_timeout": timeout} if timeout else {}, password=passwords[kind], port=port,
        )
    # Correct here: it only creates (with its owner); access.privileges keeps the owner right.
    postgres.database(
        name="Create the application database",
        database=settings["app_database"], owner=owner,
        psql_port=settings["postgres_port"],
        _sudo=True, _sudo_user="postgres",
    )
    access.privileges(
        name="Least privilege on the application database",
        database=settings["app_database"], owner=owner, migrator=settings["app_migrator_role"],
        app=settings["app_role"], readonly=settings["app_readonly_role"], port=port,
    )
