"""A supplied TLS certificate and key, checked on the control machine before any upload."""

from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives import serialization

_PUBLIC = {"encoding": serialization.Encoding.DER, "format": serialization.PublicFormat.SubjectPublicKeyInfo}


def pair_problem(cert_path: str, key_path: str) -> str | None:
    """Why a certificate and key cannot serve together (unreadable, not PEM, not a pair), or None."""
    try:
        with open(cert_path, "rb") as cert_file:
            cert = x509.load_pem_x509_certificate(cert_file.read())
    except (OSError, ValueError) as error:
        return f"postgres_tls_cert {cert_path!r} is not a readable PEM certificate ({error})"
    try:
        with open(key_path, "rb") as key_file:
            key = serialization.load_pem_private_key(key_file.read(), password=None)
    except (OSError, ValueError, TypeError) as error:
        return f"postgres_tls_key {key_path!r} is not a readable, unencrypted PEM private key ({error})"
    if cert.public_key().public_bytes(**_PUBLIC) != key.public_key().public_bytes(**_PUBLIC):
        return f"postgres_tls_key {key_path!r} does not belong to postgres_tls_cert {cert_path!r}"
    return None
