from cryptography.hazmat.primitives import serialization

from pgcore import ssh


def test_generated_pair_matches_and_loads():
    pair = ssh.generate("postgres@db1 pgdeploy")
    private = serialization.load_ssh_private_key(pair.private.reveal().encode(), password=None)
    public = private.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    assert pair.public == public.decode() + " postgres@db1 pgdeploy"
    assert pair.private.reveal().startswith("-----BEGIN OPENSSH PRIVATE KEY-----")
    assert "PRIVATE" not in repr(pair)  # the Secret hides itself


def test_two_pairs_differ():
    assert ssh.generate("a").public != ssh.generate("a").public


def test_key_blob_and_authorized_line():
    line = "ssh-ed25519 AAAAC3Nza x@y"
    assert ssh.key_blob(line) == "ssh-ed25519 AAAAC3Nza"
    assert ssh.authorized_line(line, "10.0.0.5") == 'restrict,from="10.0.0.5" ssh-ed25519 AAAAC3Nza x@y'
