"""Forbid a query worker process any network access (Linux seccomp), whatever the query does.

The endpoint refuses ``SERVICE`` before a query runs; this is the second line behind that check.
A worker that only reads a local store needs no network at all, so it installs a seccomp filter
that makes every ``socket()`` call for an IPv4 or IPv6 socket fail with ``EACCES``: the engine's
HTTP client cannot connect or even resolve a name. Local (Unix) sockets and pipes, which the
worker uses to talk to the web server, keep working. The filter holds for the process and every
thread it starts afterwards, and cannot be lifted.

Supported on Linux x86-64 and ARM64; elsewhere :func:`forbid_network` returns ``False`` and the
worker relies on the query check alone.
"""

from __future__ import annotations

import ctypes
import platform
import sys

__all__ = ["forbid_network"]

_PR_SET_NO_NEW_PRIVS = 38
_PR_SET_SECCOMP = 22
_SECCOMP_MODE_FILTER = 2
_SECCOMP_RET_ALLOW = 0x7FFF0000
_SECCOMP_RET_ERRNO = 0x00050000
_EACCES = 13
_AF_INET = 2
_AF_INET6 = 10

_BPF_LD_W_ABS = 0x20
_BPF_JEQ_K = 0x15
_BPF_RET_K = 0x06

# seccomp_data: int nr (offset 0), u32 arch (offset 4), u64 ip (8), u64 args[6] (from 16).
_OFFSET_NR = 0
_OFFSET_ARCH = 4
_OFFSET_ARG0 = 16  # the low 32 bits of the first argument on these little-endian machines

# (audit architecture, socket() system call numbers): x86-64 also has the x32 call number.
_ARCHES: dict[str, tuple[int, tuple[int, ...]]] = {
    "x86_64": (0xC000003E, (41, 0x40000000 | 41)),
    "aarch64": (0xC00000B7, (198,)),
}


class _SockFilter(ctypes.Structure):
    _fields_ = [
        ("code", ctypes.c_ushort),
        ("jt", ctypes.c_ubyte),
        ("jf", ctypes.c_ubyte),
        ("k", ctypes.c_uint32),
    ]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_SockFilter))]


def _program(arch: int, socket_calls: tuple[int, ...]) -> list[tuple[int, int, int, int]]:
    """The filter: deny ``socket(AF_INET | AF_INET6, ...)``, allow everything else.

    A call made under another architecture's numbering (which the numbers here would not
    describe) is denied outright.
    """
    deny = (_BPF_RET_K, 0, 0, _SECCOMP_RET_ERRNO | _EACCES)
    allow = (_BPF_RET_K, 0, 0, _SECCOMP_RET_ALLOW)
    prog: list[tuple[int, int, int, int]] = [
        (_BPF_LD_W_ABS, 0, 0, _OFFSET_ARCH),
        (_BPF_JEQ_K, 1, 0, arch),
        deny,
        (_BPF_LD_W_ABS, 0, 0, _OFFSET_NR),
    ]
    # One comparison per socket() number; a match jumps to the family check, which follows
    # the comparisons and the "allow" that ends them.
    n = len(socket_calls)
    for index, number in enumerate(socket_calls):
        prog.append((_BPF_JEQ_K, n - index, 0, number))
    prog.append(allow)
    prog += [
        (_BPF_LD_W_ABS, 0, 0, _OFFSET_ARG0),
        (_BPF_JEQ_K, 2, 0, _AF_INET),
        (_BPF_JEQ_K, 1, 0, _AF_INET6),
        allow,
        deny,
    ]
    return prog


def forbid_network() -> bool:
    """Forbid this process (and threads it starts later) IPv4 and IPv6 sockets.

    Returns whether the filter is in place: ``False`` on systems where seccomp is not available.
    Call it before starting threads; it cannot be undone.
    """
    if sys.platform != "linux":
        return False
    arch = _ARCHES.get(platform.machine())
    if arch is None:
        return False
    prog = _program(*arch)
    filters = (_SockFilter * len(prog))(*(_SockFilter(*ins) for ins in prog))
    fprog = _SockFprog(len(prog), filters)
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        return False
    return bool(libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) == 0)
