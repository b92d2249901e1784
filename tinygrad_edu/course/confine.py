"""What a child process that runs a student's code may not do, set up before that code runs.

A separate process already keeps the student's code away from the grader's
memory: whatever it patches (tinygrad_edu, numpy, the grader's functions) is
patched in the child only, and the verdict is decided in the grader, which
reads nothing back but numbers. What a process does not give is a limit on the
machine: by default the child may write and delete the user's files, start
programs, signal the grader. So, in this order:

1. resource limits: no core files, CPU seconds a little over the timeout
   (a child the grader cannot reach still dies), file size and memory capped;
2. on Linux 5.13 or later, Landlock: the kernel refuses the child (and any
   process it starts) every change to the file system outside its temporary
   folder, TCP connections and, from kernel 6.12, signals to processes outside
   it and ptrace of them (which is how one process reads another's memory);
3. a Python audit hook (PEP 578), which cannot be removed once added: it
   refuses writes and deletions outside the folder, starting programs,
   ctypes, sockets, signals to other processes, reading other processes'
   /proc entries, and reading tinygrad_edu's own code (a fresh copy of a
   reference the grader hid, the templates with the solutions).

This is not a sandbox against a determined attacker: an audit hook is a
tripwire for Python-level calls, not a security boundary (CPython's docs say
so), and Landlock needs a recent Linux. Where the stakes are high, grade in a
container or a virtual machine as well (Gradescope does); docs/exercises.md
says what each layer covers.
"""

from __future__ import annotations

import ctypes
import os
import sys
from pathlib import Path

try:
    import resource
except ImportError:  # Windows: no resource limits
    resource = None

__all__ = ["confine"]

MEMORY_LIMIT = 4 * 2**30  # bytes of address space
FILE_SIZE_LIMIT = 256 * 2**20  # bytes in one file


def confine(folder: Path, cpu_seconds: float) -> list[str]:
    """Confine this process to ``folder`` (see the module's docstring); return the layers in force."""
    layers = [limit_resources(cpu_seconds)]
    if landlock(folder):
        layers.append("landlock")
    sys.addaudithook(AuditHook(folder))
    layers.append("audit hook")
    return [layer for layer in layers if layer]


def limit_resources(cpu_seconds: float) -> str:
    if resource is None:
        return ""
    soft = int(cpu_seconds) + 2
    limits = {resource.RLIMIT_CORE: (0, 0), resource.RLIMIT_CPU: (soft, soft + 3),
              resource.RLIMIT_FSIZE: (FILE_SIZE_LIMIT, FILE_SIZE_LIMIT), resource.RLIMIT_AS: (MEMORY_LIMIT,) * 2}
    for kind, (want_soft, want_hard) in limits.items():
        old_soft, old_hard = resource.getrlimit(kind)
        cap = old_hard if old_hard != resource.RLIM_INFINITY else want_hard
        try:
            resource.setrlimit(kind, (min(want_soft, cap), min(want_hard, cap)))
        except (ValueError, OSError):  # a limit already lower than ours stays
            pass
    return "resource limits"


# ---------------------------------------------------------------- Landlock (Linux)

CREATE_RULESET, ADD_RULE, RESTRICT_SELF = 444, 445, 446  # syscall numbers, the same on every architecture
PR_SET_NO_NEW_PRIVS, PR_SET_PDEATHSIG = 38, 1
# Every right that changes the file system, by the first ABI version that has it.
WRITE_RIGHTS = {1: sum(1 << bit for bit in (1, 4, 5, 6, 7, 8, 9, 10, 11, 12)), 2: 1 << 13, 3: 1 << 14, 5: 1 << 15}
FILE_RIGHTS = (1 << 1) | (1 << 14) | (1 << 15)  # the rights a rule on a single file may grant


class _Ruleset(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def landlock(folder: Path) -> bool:
    """Let this process change the file system only below ``folder`` (and write /dev/null); False where
    the kernel has no Landlock. Also: no TCP, and (ABI 6) no signals out of the domain."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.syscall.restype = ctypes.c_long
        libc.prctl(PR_SET_PDEATHSIG, 9, 0, 0, 0)  # SIGKILL when the process that started us dies
        abi = libc.syscall(CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(1))
        if abi < 1:
            return False
        rights = sum(bits for version, bits in WRITE_RIGHTS.items() if abi >= version)
        ruleset = _Ruleset(rights, 3 if abi >= 4 else 0, 3 if abi >= 6 else 0)
        size = 8 if abi < 4 else 16 if abi < 6 else 24
        ruleset_fd = libc.syscall(CREATE_RULESET, ctypes.byref(ruleset), ctypes.c_size_t(size), ctypes.c_uint32(0))
        if ruleset_fd < 0:
            return False
        try:
            for path, allowed in ((folder, rights), (Path(os.devnull), rights & FILE_RIGHTS & (1 << 1))):
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
                try:
                    rule = _PathBeneath(allowed, fd)
                    if libc.syscall(ADD_RULE, ruleset_fd, 1, ctypes.byref(rule), 0) != 0:
                        return False
                finally:
                    os.close(fd)
            if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
                return False
            return libc.syscall(RESTRICT_SELF, ruleset_fd, 0) == 0
        finally:
            os.close(ruleset_fd)
    except (OSError, AttributeError):
        return False


# ---------------------------------------------------------------- the audit hook

WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
PATH_EVENTS = {  # event → (positions of its path arguments, positions of its dir_fd arguments)
    "os.remove": ((0,), (1,)), "os.rmdir": ((0,), (1,)), "os.rename": ((0, 1), (2, 3)), "os.mkdir": ((0,), (2,)),
    "os.chmod": ((0,), (2,)), "os.chown": ((0,), (3,)), "os.utime": ((0,), (3,)), "os.truncate": ((0,), ()),
    "os.chflags": ((0,), ()), "os.lchflags": ((0,), ()), "os.setxattr": ((0,), ()), "os.removexattr": ((0,), ()),
    "shutil.rmtree": ((0,), (1,)), "shutil.copyfile": ((1,), ()), "shutil.copymode": ((1,), ()),
    "shutil.copystat": ((1,), ()), "shutil.move": ((0, 1), ()), "shutil.chown": ((0,), ()),
}
REFUSED = ("os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty", "os.startfile",
           "subprocess.Popen", "pty.spawn", "os.link", "os.symlink", "socket.__new__", "sqlite3.connect",
           "winreg.", "ctypes.",
           # the garbage collector's lists of every object: how a freed reference or this hook would be found
           "gc.get_objects", "gc.get_referrers", "gc.get_referents")
REFUSED_MODULES = {"_dbm", "_gdbm"}  # they write files without an audit event


class AuditHook:
    """Refuse what the module's docstring lists, with a PermissionError that says why.

    The functions it checks paths with are taken when it is made, so that code that patches
    ``os.path.realpath`` afterwards does not change what it checks; and replacing a function's
    ``__code__`` (this hook's, a hidden reference's stub) is refused. The rest of Python stays
    patchable: this is a tripwire, and Landlock the wall.
    """

    def __init__(self, folder: Path):
        self.realpath, self.commonpath, self.isdir, self.fsdecode = (os.path.realpath, os.path.commonpath,
                                                                     os.path.isdir, os.fsdecode)
        self.folder = self.realpath(folder)
        self.package = self.realpath(Path(__file__).resolve().parent.parent)
        self.pid = os.getpid()

    def __call__(self, event: str, args: tuple) -> None:
        if event == "object.__setattr__" and args[1] == "__code__":
            raise PermissionError("replacing a function's __code__ is not allowed while your code is graded")
        if event == "open":
            self.check_open(*args[:3])
        elif event in PATH_EVENTS:
            self.check_paths(event, args, PATH_EVENTS[event])
        elif event.startswith(REFUSED):
            raise PermissionError(f"{event} is not allowed while your code is graded")
        elif event in ("os.kill", "os.killpg") and args[0] not in (self.pid, 0, -self.pid):
            raise PermissionError("signalling other processes is not allowed while your code is graded")
        elif event == "import" and args[0] in REFUSED_MODULES:
            raise PermissionError(f"the module {args[0]} is not allowed while your code is graded")

    def inside(self, path: str) -> bool:
        return self.commonpath([self.folder, path]) == self.folder

    def check_open(self, path, mode, flags) -> None:
        if isinstance(path, int):  # an open file descriptor, already checked when it was opened
            return
        full = self.realpath(self.fsdecode(path))
        writing = (flags or 0) & WRITE_FLAGS or (mode is not None and any(c in str(mode) for c in "wax+"))
        if writing and not (self.inside(full) or full == os.devnull):
            raise PermissionError(f"writing {full} is not allowed while your code is graded: only files in its "
                                  "temporary folder (the current directory)")
        if self.isdir(full):
            # A folder's descriptor would let a later call (dir_fd=…) reach paths this hook never sees.
            raise PermissionError(f"opening the folder {full} is not allowed while your code is graded")
        if self.secret(full):
            raise PermissionError(f"reading {full} is not allowed while your code is graded: tinygrad_edu's "
                                  "code is already imported (import what you need at the top of your file)")
        if full.startswith("/proc/") and full.split("/")[2].isdigit() and int(full.split("/")[2]) != self.pid:
            raise PermissionError("reading other processes' /proc entries is not allowed while your code is graded")

    def secret(self, path: str) -> bool:
        """tinygrad_edu's course files (the templates hold the solutions) and the code of every module
        already imported (reading it again is how a hidden reference would come back); a module being
        imported for the first time may be read."""
        if self.commonpath([self.package, path]) != self.package:
            return False
        relative = Path(path).relative_to(self.package)
        if relative.parts[:1] == ("course",):
            return True
        if relative.suffix not in (".py", ".pyc"):
            return False
        parts = [p for p in relative.parts if p != "__pycache__"]
        parts[-1] = parts[-1].split(".")[0]
        module = sys.modules.get(".".join(["tinygrad_edu", *parts]).removesuffix(".__init__"))
        return module is not None and not getattr(getattr(module, "__spec__", None), "_initializing", False)

    def check_paths(self, event: str, args: tuple, positions: tuple[tuple, tuple]) -> None:
        paths, dir_fds = positions
        if any(args[i] not in (-1, None) for i in dir_fds if i < len(args)):
            # relative to a folder's descriptor: the path this hook would check is not the one used
            raise PermissionError(f"{event} with dir_fd is not allowed while your code is graded")
        for position in paths:
            path = args[position]
            if isinstance(path, int):
                if event == "os.truncate":  # a descriptor opened for writing, hence inside the folder
                    continue
                raise PermissionError(f"{event} on a file descriptor is not allowed while your code is graded")
            if not self.inside(self.realpath(self.fsdecode(path))):
                raise PermissionError(f"{event} of {self.fsdecode(path)} is not allowed while your code is graded: "
                                      "only files in its temporary folder (the current directory)")
