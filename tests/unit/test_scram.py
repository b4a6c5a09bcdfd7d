"""SCRAM-SHA-256 verifiers: PostgreSQL's own format, and matching by salt without the verifier."""

import base64
import hashlib

from pgcore import scram

# RFC 7677's test vector: user "user", password "pencil", salt W22ZaJ0SNY7soEsUEjb6gQ==, i=4096.
RFC_SALT = base64.b64decode("W22ZaJ0SNY7soEsUEjb6gQ==")


def test_rfc7677_keys():
    text = scram.verifier("pencil", RFC_SALT, 4096)
    method, rest = text.split("$", 1)
    params, keys = rest.split("$")
    stored, server = keys.split(":")
    assert (method, params) == ("SCRAM-SHA-256", "4096:W22ZaJ0SNY7soEsUEjb6gQ==")
    # ServerSignature of the RFC's exchange, recomputed from our ServerKey.
    import hmac
    auth = (b"n=user,r=rOprNGfwEbeRWgbNEkqO,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
            b"s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0")
    signature = hmac.new(base64.b64decode(server), auth, hashlib.sha256).digest()
    assert base64.b64encode(signature).decode() == "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="
    assert len(base64.b64decode(stored)) == 32


def test_random_salt_each_time():
    assert scram.verifier("a-long-password-1") != scram.verifier("a-long-password-1")


def test_matches_by_salt_and_digest():
    stored = scram.verifier("correct horse battery")
    params = stored.split("$")[1]
    digest = hashlib.sha256(stored.encode()).hexdigest()
    assert scram.matches("correct horse battery", params, digest)
    assert not scram.matches("correct horse battery!", params, digest)
    assert not scram.matches("correct horse battery", "not-params", digest)
