"""PostgreSQL roles with passwords that never leak: a fact and an operation.

Not pyinfra's postgres.role: it puts the password in a `psql -c` argument (visible in the
server's process list), re-runs ALTER ROLE on every deploy, and misses attribute changes.
Here the password becomes a SCRAM verifier on the control machine, travels on psql's stdin,
and is compared by recomputing the verifier with the stored salt.
"""

from __future__ import annotations

import json
import shlex

from pyinfra import host
from pyinfra.api import FactBase, operation

from ops.postgresql import psql, sql_on_stdin
from pgcore import scram
from pgcore.access import ident
from pgcore.secrets import Secret

_QUERY = """
SELECT coalesce(json_object_agg(r.rolname, json_build_object(
  'login', r.rolcanlogin, 'superuser', r.rolsuper, 'connection_limit', r.rolconnlimit,
  'settings', coalesce(r.rolconfig, '{}'),
  'member_of', coalesce((SELECT json_agg(g.rolname ORDER BY g.rolname) FROM pg_auth_members m
                          JOIN pg_roles g ON g.oid = m.roleid WHERE m.member = r.oid), '[]'),
  'password', CASE WHEN a.rolpassword LIKE 'SCRAM-SHA-256$%' THEN json_build_object(
                     'iterations_salt', split_part(a.rolpassword, '$', 2),
                     'sha256', encode(sha256(convert_to(a.rolpassword, 'UTF8')), 'hex'))
                   WHEN a.rolpassword IS NOT NULL THEN to_json('not SCRAM'::text) END)), '{}')
FROM pg_roles r JOIN pg_authid a ON a.oid = r.oid WHERE r.rolname !~ '^pg_'
"""


class PostgresRoles(FactBase):
    """
    The cluster's roles (not the built-in pg_*), with what the deploy manages. A password is
    known only by its verifier's iterations, salt and sha256: the verifier itself stays put.

    .. code:: python

        {"chat_app": {"login": True, "superuser": False, "connection_limit": 50,
                      "settings": ["statement_timeout=30s"], "member_of": [],
                      "password": {"iterations_salt": "4096:3q2+7w==", "sha256": "5e88…"}}}
    """

    default = dict

    def command(self, port: int = 5432) -> str:
        # Before PostgreSQL is installed and running there are no roles.
        return f"{psql(port)} -c {shlex.quote(' '.join(_QUERY.split()))} 2>/dev/null || true"

    def process(self, output):
        text = "".join(output).strip()
        return json.loads(text) if text else {}


def _password_matches(password: Secret, stored) -> bool:
    return isinstance(stored, dict) and scram.matches(password.reveal(), stored["iterations_salt"], stored["sha256"])


@operation()
def role(role: str, login: bool = False, member_of: list[str] | None = None, connection_limit: int = -1,
         settings: dict[str, str] | None = None, password: Secret | None = None, port: int = 5432):
    """
    Create or alter a role until it is exactly as given; never a superuser.

    + role: the role name
    + login: LOGIN or NOLOGIN
    + member_of: the roles it is a member of (others are revoked)
    + connection_limit: CONNECTION LIMIT (-1: none)
    + settings: per-role settings, e.g. ``{"statement_timeout": "30s"}`` (others are reset)
    + password: a ``Secret``; set as a SCRAM-SHA-256 verifier when it differs from the stored one
    + port: the cluster's port

    **Example:**

    .. code:: python

        roles.role(name="The app's role", role="chat_app", login=True, connection_limit=50,
                   password=Secret.from_env("PGDEPLOY_APP_PASSWORD"))
    """
    member_of, settings = sorted(member_of or []), settings or {}
    current = host.get_fact(PostgresRoles, port=port).get(role)
    name = ident(role)
    sql = []
    if current is None:
        sql.append(f"CREATE ROLE {name}")
        current = {"login": False, "superuser": False, "connection_limit": -1, "settings": [], "member_of": [],
                   "password": None}
    attributes = []
    if current["login"] != login:
        attributes.append("LOGIN" if login else "NOLOGIN")
    if current["superuser"]:
        attributes.append("NOSUPERUSER")
    if current["connection_limit"] != connection_limit:
        attributes.append(f"CONNECTION LIMIT {int(connection_limit)}")
    if password is not None and not _password_matches(password, current["password"]):
        attributes.append(f"PASSWORD '{scram.verifier(password.reveal())}'")
    if attributes:
        sql.append(f"ALTER ROLE {name} WITH {' '.join(attributes)}")
    have = dict(item.split("=", 1) for item in current["settings"])
    sql += [f"ALTER ROLE {name} RESET {key}" for key in sorted(set(have) - set(settings))]
    sql += [f"ALTER ROLE {name} SET {key} = '{value}'" for key, value in sorted(settings.items()) if have.get(key) != value]
    sql += [f"GRANT {ident(group)} TO {name}" for group in member_of if group not in current["member_of"]]
    sql += [f"REVOKE {ident(group)} FROM {name}" for group in current["member_of"] if group not in member_of]
    if not sql:
        host.noop(f"role {role} is as wanted")
        return
    yield from sql_on_stdin("BEGIN;\n" + "".join(f"{s};\n" for s in sql) + "COMMIT;\n", port)
