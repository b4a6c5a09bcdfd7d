"""Roles and least privilege in the application database, as the inventory asks."""

import pytest

from pgcore import settings as schema

TABLES = ("users", "chat_sessions", "messages")


@pytest.fixture(scope="module")
def sql(psql, settings):
    return lambda query: psql(query, database=settings["app_database"])


@pytest.fixture(scope="module")
def roles(settings):
    return {kind: settings[setting] for kind, setting in schema.ROLE_SETTINGS.items()}


ATTRIBUTES = ("SELECT rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls, rolconnlimit, "
              "coalesce(array_to_string(rolconfig, ','), '') FROM pg_roles WHERE rolname = '{}'")


def test_owner_cannot_log_in(sql, roles):
    assert sql(ATTRIBUTES.format(roles["owner"])) == "f|f|f|f|f|f|-1|"


@pytest.mark.parametrize("kind", ["migrator", "app", "readonly"])
def test_login_role_attributes_and_limits(sql, roles, settings, kind):
    limits = schema.role_limits(settings, kind)
    config = f"statement_timeout={limits['statement_timeout']}" if limits["statement_timeout"] else ""
    assert sql(ATTRIBUTES.format(roles[kind])) == f"t|f|f|f|f|f|{limits['connection_limit']}|{config}"


def test_login_roles_have_scram_passwords(sql, roles):
    for kind in ("migrator", "app", "readonly"):
        assert sql(f"SELECT rolpassword LIKE 'SCRAM-SHA-256$%' FROM pg_authid WHERE rolname = '{roles[kind]}'") == "t"


def test_only_the_migrator_is_a_member_of_the_owner(sql, roles):
    members = sql(f"SELECT string_agg(member::regrole::text, ',') FROM pg_auth_members "
                  f"WHERE roleid = '{roles['owner']}'::regrole")
    assert members == roles["migrator"]


def test_database_and_schema_owned_by_the_owner_role(sql, roles, settings):
    assert sql(f"SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = '{settings['app_database']}'") \
        == roles["owner"]
    assert sql("SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'public'") == roles["owner"]


def test_public_has_nothing(sql):
    grants = sql("SELECT count(*) FROM pg_database d, aclexplode(d.datacl) a WHERE d.datname = current_database() "
                 "AND a.grantee = 0")
    schema = sql("SELECT count(*) FROM pg_namespace n, aclexplode(n.nspacl) a WHERE n.nspname = 'public' "
                 "AND a.grantee = 0")
    assert (grants, schema) == ("0", "0")


@pytest.mark.parametrize("kind, allowed", [
    ("app", {"SELECT", "INSERT", "UPDATE", "DELETE"}),
    ("readonly", {"SELECT"}),
])
def test_row_privileges_only(sql, roles, kind, allowed):
    for table in TABLES:
        for privilege in ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"):
            has = sql(f"SELECT has_table_privilege('{roles[kind]}', 'public.{table}', '{privilege}')")
            assert has == ("t" if privilege in allowed else "f"), f"{kind} {privilege} on {table}"


@pytest.mark.parametrize("kind", ["app", "readonly"])
def test_no_create_anywhere(sql, roles, settings, kind):
    role = roles[kind]
    assert sql(f"SELECT has_schema_privilege('{role}', 'public', 'CREATE'), "
               f"has_database_privilege('{role}', current_database(), 'CREATE'), "
               f"has_database_privilege('{role}', current_database(), 'TEMP'), "
               f"has_database_privilege('{role}', current_database(), 'CONNECT')") == "f|f|f|t"


def test_future_tables_get_the_same_privileges(sql, roles):
    defaults = sql(f"SELECT defaclobjtype::text || ':' || array_to_string(defaclacl, ',') FROM pg_default_acl "
                   f"WHERE defaclrole = '{roles['owner']}'::regrole AND defaclnamespace = 'public'::regnamespace "
                   f"ORDER BY 1").splitlines()
    assert defaults == [f"S:{roles['app']}=rU/{roles['owner']},{roles['readonly']}=r/{roles['owner']}",
                        f"r:{roles['app']}=arwd/{roles['owner']},{roles['readonly']}=r/{roles['owner']}"]
