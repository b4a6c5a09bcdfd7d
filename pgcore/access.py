"""Who may do what in the application database: the grants the deploy wants, and the SQL
that gets there from what a server has. Pure Python; ops/access.py reads the server.

Least privilege: PUBLIC gets nothing; the app role reads and writes rows, the read-only role
reads them, the migrator acts as the owner (membership), and default privileges make the same
hold for every table a later migration adds.
"""

from __future__ import annotations

from dataclasses import dataclass

APP_TABLE = ("DELETE", "INSERT", "SELECT", "UPDATE")
APP_SEQUENCE = ("SELECT", "USAGE")


@dataclass(frozen=True)
class Roles:
    owner: str
    migrator: str
    app: str
    readonly: str


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def wanted(roles: Roles) -> set[tuple[str, str, str]]:
    """(object, grantee, privilege) for the database, schema public, and the owner's default
    privileges on tables ("tables") and sequences ("sequences") there."""
    grants = {("database", r, "CONNECT") for r in (roles.migrator, roles.app, roles.readonly)}
    grants |= {("schema", r, "USAGE") for r in (roles.app, roles.readonly)}
    grants |= {("tables", roles.app, p) for p in APP_TABLE} | {("tables", roles.readonly, "SELECT")}
    grants |= {("sequences", roles.app, p) for p in APP_SEQUENCE} | {("sequences", roles.readonly, "SELECT")}
    return grants


_TARGET = {"database": "DATABASE {db}", "schema": "SCHEMA public"}
_DEFAULT = {"tables": "TABLES", "sequences": "SEQUENCES"}


def statements(database: str, roles: Roles, current: set[tuple[str, str, str]]) -> list[str]:
    """SQL that takes `current` grants to `wanted(roles)`: revoke what is extra (PUBLIC's
    defaults included), grant what is missing, and the same on existing tables."""
    desired = wanted(roles)
    db, owner = ident(database), ident(roles.owner)
    sql = [f"ALTER DATABASE {db} OWNER TO {owner}", f"ALTER SCHEMA public OWNER TO {owner}"]
    for changes, verb, word in ((current - desired, "REVOKE", "FROM"), (desired - current, "GRANT", "TO")):
        for obj, grantee, privilege in sorted(changes):
            who = "PUBLIC" if grantee == "PUBLIC" else ident(grantee)
            if obj in _TARGET:
                sql.append(f"{verb} {privilege} ON {_TARGET[obj].format(db=db)} {word} {who}")
            else:
                sql.append(f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public "
                           f"{verb} {privilege} ON {_DEFAULT[obj]} {word} {who}")
    # Tables made before the default privileges existed.
    app, readonly = ident(roles.app), ident(roles.readonly)
    sql += [f"GRANT {', '.join(APP_TABLE)} ON ALL TABLES IN SCHEMA public TO {app}",
            f"GRANT {', '.join(APP_SEQUENCE)} ON ALL SEQUENCES IN SCHEMA public TO {app}",
            f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {readonly}",
            f"GRANT SELECT ON ALL SEQUENCES IN SCHEMA public TO {readonly}"]
    return sql
