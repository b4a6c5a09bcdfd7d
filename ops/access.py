"""Least-privilege grants on the application database: a fact and an operation.

pyinfra's postgres.database sets an owner only when it creates a database, and it has no
operation for default privileges or for revoking PUBLIC's; the SQL comes from pgcore.access.
"""

from __future__ import annotations

import json
import shlex

from pyinfra import host
from pyinfra.api import FactBase, operation

from ops.postgresql import psql, sql_on_stdin
from pgcore import access

_GRANTS = """
SELECT 'database' AS obj, a.grantee, a.privilege_type, d.datdba AS owner
  FROM pg_database d, aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) a
 WHERE d.datname = current_database()
UNION ALL
SELECT 'schema', a.grantee, a.privilege_type, n.nspowner
  FROM pg_namespace n, aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) a
 WHERE n.nspname = 'public'
UNION ALL
SELECT CASE d.defaclobjtype WHEN 'r' THEN 'tables' WHEN 'S' THEN 'sequences' ELSE d.defaclobjtype::text END,
       a.grantee, a.privilege_type, d.defaclrole
  FROM pg_default_acl d, aclexplode(d.defaclacl) a
 WHERE d.defaclnamespace = 'public'::regnamespace
"""
_QUERY = f"""
SELECT json_build_object(
  'database_owner', (SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()),
  'schema_owner', (SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'public'),
  'grants', coalesce((SELECT json_agg(json_build_array(
      obj, CASE WHEN grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(grantee) END, privilege_type))
    FROM ({_GRANTS}) g WHERE grantee <> owner), '[]'))
"""


class DatabaseAccess(FactBase):
    """
    A database's owner, its schema public's owner, and every grant on them to others than
    their owner, plus default privileges there: None while the database does not exist.

    .. code:: python

        {"database_owner": "chat_owner", "schema_owner": "chat_owner",
         "grants": {("database", "chat_app", "CONNECT"), ("tables", "chat_app", "SELECT"), …}}
    """

    def command(self, database: str, port: int = 5432) -> str:
        return f"{psql(port, database)} -c {shlex.quote(' '.join(_QUERY.split()))} 2>/dev/null || true"

    def process(self, output):
        text = "".join(output).strip()
        if not text:
            return None
        state = json.loads(text)
        state["grants"] = {tuple(g) for g in state["grants"]}
        return state


@operation()
def privileges(database: str, owner: str, migrator: str, app: str, readonly: str, port: int = 5432):
    """
    Make ``owner`` own the database and its schema public, revoke everything PUBLIC and other
    roles hold there, and grant exactly: CONNECT to the login roles, USAGE on the schema and
    row access (app: SELECT/INSERT/UPDATE/DELETE, readonly: SELECT) on the owner's tables and
    sequences, present and future (``ALTER DEFAULT PRIVILEGES FOR ROLE owner``).

    + database: the application database (it must exist)
    + owner, migrator, app, readonly: the roles (they must exist)
    + port: the cluster's port

    **Example:**

    .. code:: python

        access.privileges(name="Least privilege", database="chat", owner="chat_owner",
                          migrator="chat_migrator", app="chat_app", readonly="chat_readonly")
    """
    roles = access.Roles(owner=owner, migrator=migrator, app=app, readonly=readonly)
    current = host.get_fact(DatabaseAccess, database=database, port=port) or {"grants": set()}
    if (current.get("database_owner"), current.get("schema_owner")) == (owner, owner) \
            and current["grants"] == access.wanted(roles):
        host.noop(f"privileges on {database} are as wanted")
        return
    script = "BEGIN;\n" + "".join(f"{s};\n" for s in access.statements(database, roles, current["grants"])) + "COMMIT;\n"
    yield from sql_on_stdin(script, port, database)
