"""pgBackRest: the repositories' cipher passes, the stanza and its first backup; facts and
operations shaped like pyinfra's own (pyinfra has none for pgBackRest)."""

from __future__ import annotations

import hashlib
import json
import posixpath

from pyinfra import host
from pyinfra.api import FactBase, OperationError, StringCommand, operation
from pyinfra.facts.files import File

from ops.postgresql import secret_file
from pgcore.secrets import Secret

CIPHER_CONF = "/etc/pgbackrest/conf.d/pgdeploy-cipher.conf"


def as_user(user: str) -> str:
    return f"cd / && runuser -u {user} -- pgbackrest"


class PgbackrestInfo(FactBase):
    """
    ``pgbackrest info`` of one stanza, run as `user`: each repository's status code (0 ok,
    1 missing stanza path, 2 no valid backups, 3 missing stanza data, 99 other, e.g. an
    unreachable repository host) and the backups; None without pgBackRest.

    .. code:: python

        {"repos": {1: 0, 2: 2},
         "backups": [{"label": "20261203-213001F", "type": "full", "stop": 1796333401, "repo": 1}]}
    """

    def command(self, stanza: str, user: str = "postgres") -> str:
        return f"if command -v pgbackrest >/dev/null; then {as_user(user)} --stanza={stanza} --output=json info; fi"

    def process(self, output):
        text = "".join(output).strip()
        if not text:
            return None
        [stanza] = json.loads(text)
        return {"repos": {repo["key"]: repo["status"]["code"] for repo in stanza.get("repo", [])},
                "backups": [{"label": b["label"], "type": b["type"], "stop": b["timestamp"]["stop"],
                             "repo": b["database"]["repo-key"]} for b in stanza.get("backup", [])]}


class CipherPasses(FactBase):
    """
    The sha256 of each ``repoN-cipher-pass=…`` line of pgdeploy's cipher file, by repository
    (the passes themselves never leave the server). Only shell builtins see a pass.

    .. code:: python

        {1: "9f86d0…", 2: "60303a…"}
    """

    def command(self) -> str:
        return (f"if [ -f {CIPHER_CONF} ]; then grep -E '^repo[0-9]+-cipher-pass=' {CIPHER_CONF} | "
                "while IFS= read -r line; do "
                "printf '%s %s\\n' \"${line%%-cipher-pass=*}\" \"$(printf '%s' \"$line\" | sha256sum)\"; done; fi")

    @staticmethod
    def default() -> dict:
        return {}

    def process(self, output):
        return {int(repo.removeprefix("repo")): digest for repo, digest, *_ in (line.split() for line in output)}


def _line(repo: int, passphrase: Secret) -> str:
    return f"repo{repo}-cipher-pass={passphrase.reveal()}"


@operation()
def cipher_pass(passes: dict[int, Secret], local: dict[int, str], stanzas: list[str], group: str = "postgres"):
    """
    Write the repositories' cipher passes where pgBackRest reads them (root:`group`, 0640),
    through a root-only directory, never a command line. A repository on this host whose
    stanza exists cannot change its pass (it would become unreadable): a different one is
    refused.

    + passes: the ``Secret`` of each repository, by index
    + local: the path of each repository on this host's disk, by index (another host guards its own)
    + stanzas: the stanzas those repositories keep
    + group: the group pgBackRest runs as

    **Example:**

    .. code:: python

        pgbackrest.cipher_pass(name="Cipher pass", passes={1: secret}, local={1: "/var/lib/pgbackrest"},
                               stanzas=["main"])
    """
    current = host.get_fact(CipherPasses)
    wanted = {repo: hashlib.sha256(_line(repo, secret).encode()).hexdigest() for repo, secret in passes.items()}
    if current == wanted:
        host.noop("the cipher passes are in place")
        return
    for repo, path in local.items():
        if repo not in current or current[repo] == wanted.get(repo):
            continue
        for name in stanzas:
            if host.get_fact(File, path=f"{path}/backup/{name}/backup.info"):
                raise OperationError(f"the backup cipher pass of repo{repo} ({passes[repo].source}) differs from the "
                                     f"one stanza {name!r} was created with; it cannot change once the stanza exists")
    content = "[global]\n" + "".join(_line(repo, secret) + "\n" for repo, secret in sorted(passes.items()))
    yield StringCommand(f"install -d -m 755 {posixpath.dirname(CIPHER_CONF)}")
    yield from secret_file(content.encode(), CIPHER_CONF, "640", "root", group)


@operation()
def stanza(stanza: str, user: str = "postgres"):
    """
    Create the stanza (``stanza-create``, in every repository) and ``check`` that WAL archiving
    reaches it, unless every repository has it already.

    **Example:**

    .. code:: python

        pgbackrest.stanza(name="Create the stanza", stanza="main")
    """
    info = host.get_fact(PgbackrestInfo, stanza=stanza, user=user)
    if info and info["repos"] and all(code in (0, 2) for code in info["repos"].values()):
        host.noop(f"stanza {stanza} exists in repo{', repo'.join(map(str, info['repos']))}")
        return
    yield StringCommand(f"{as_user(user)} --stanza={stanza} stanza-create && {as_user(user)} --stanza={stanza} check")


@operation()
def first_backup(stanzas: list[str], repo: int, user: str = "postgres"):
    """
    Take a full backup into repository `repo` of each of `stanzas` that has none there, so
    there is always one to restore. An empty list does nothing: a host that calls it anyway
    keeps its place in pyinfra's operation order (see tasks/backups.py).

    **Example:**

    .. code:: python

        pgbackrest.first_backup(name="First full backup", stanzas=["main"], repo=1)
    """
    missing = []
    for stanza in stanzas:
        info = host.get_fact(PgbackrestInfo, stanza=stanza, user=user)
        if not [b for b in (info or {}).get("backups", []) if b["repo"] == repo]:
            missing.append(stanza)
    if not missing:
        host.noop(f"repo{repo} has a backup of {', '.join(stanzas) or 'every stanza'}")
        return
    for stanza in missing:
        yield StringCommand(f"{as_user(user)} --stanza={stanza} --repo={repo} --type=full backup")
