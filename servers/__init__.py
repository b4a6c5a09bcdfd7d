"""Disposable Debian servers for tests and the local demo: systemd-nspawn containers, each
with its own root filesystem (overlayfs over a cached debootstrap image), network namespace,
address and SSH host keys, reached through a local apt caching proxy.

`python -m servers up|down|status` drives them; tests use the fixtures in tests/conftest.py.
"""
