"""The server's TLS certificate: a self-signed one made on the server, once, when the
inventory supplies none. (A supplied pair is uploaded with pyinfra's files.put.)"""

from __future__ import annotations

import shlex

from pyinfra import host
from pyinfra.api import StringCommand, operation
from pyinfra.facts.files import File


@operation()
def self_signed(cert: str, key: str, common_name: str, days: int = 3650):
    """
    Generate a self-signed certificate and its private key (0600, owned by postgres) unless
    both files exist; an existing pair, supplied or generated, is never replaced.

    + cert, key: where PostgreSQL's ssl_cert_file and ssl_key_file point
    + common_name: the certificate's CN (the host name)
    + days: validity

    **Example:**

    .. code:: python

        tls.self_signed(name="TLS certificate", cert="/etc/postgresql/15/main/server.crt",
                        key="/etc/postgresql/15/main/server.key", common_name="db1.example.com")
    """
    if host.get_fact(File, path=cert) and host.get_fact(File, path=key):
        host.noop(f"{cert} and {key} exist")
        return
    # The key is created 0600 (umask) before openssl writes it: never readable by others.
    yield StringCommand(
        f"(umask 077 && openssl req -x509 -newkey rsa:3072 -nodes -days {int(days)} "
        f"-subj {shlex.quote('/CN=' + common_name)} -keyout {key} -out {cert} 2>/dev/null) && "
        f"chown postgres:postgres {cert} {key} && chmod 644 {cert}")
