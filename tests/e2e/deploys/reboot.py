"""Reboot through pyinfra, as an operator would: proves the servers come back by themselves."""

from pyinfra.operations import server

server.reboot(name="Reboot", reboot_timeout=60)
