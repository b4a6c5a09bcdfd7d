"""SCRAM-SHA-256 password verifiers, computed on the control machine (RFC 5802 / RFC 7677).

The deploy sends PostgreSQL the verifier, never the password, so the plaintext never reaches
the server; to tell whether a stored password matches, it recomputes the verifier with the
stored salt and iteration count. The same computation as libpq's PQencryptPasswordConn,
which psycopg does not expose.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import unicodedata

ITERATIONS = 4096  # PostgreSQL's scram_iterations default


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def verifier(password: str, salt: bytes | None = None, iterations: int = ITERATIONS) -> str:
    """The verifier PostgreSQL stores in pg_authid.rolpassword for `password`."""
    salt = os.urandom(16) if salt is None else salt
    # SASLprep's normalisation step (PostgreSQL applies SASLprep to UTF-8 passwords).
    salted = hashlib.pbkdf2_hmac("sha256", unicodedata.normalize("NFKC", password).encode(), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    return f"SCRAM-SHA-256${iterations}:{_b64(salt)}${_b64(stored_key)}:{_b64(server_key)}"


def matches(password: str, iterations_salt: str, verifier_sha256: str) -> bool:
    """Whether `password` gives the stored verifier, known by its "iterations:salt" part and
    the sha256 of the whole (so the verifier itself never travels or gets logged)."""
    try:
        iterations, salt = iterations_salt.split(":", 1)
        candidate = verifier(password, base64.b64decode(salt, validate=True), int(iterations))
    except ValueError:
        return False
    return hmac.compare_digest(hashlib.sha256(candidate.encode()).hexdigest(), verifier_sha256)
