"""A free TCP port for tests that start a KerasTuner chief."""

import os
import random
import socket


def free_port():
    """A free port below the kernel's ephemeral range.

    The chief binds the port later, in its own process: a port the kernel
    hands out to other sockets (the ephemeral range) could be taken in
    between. Ports below that range are only ever taken by explicit binds.
    """
    with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
        low = int(f.read().split()[0])
    start = random.Random(os.getpid()).randrange(10_000, low - 1000)
    for port in range(start, low):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port below the ephemeral range")
