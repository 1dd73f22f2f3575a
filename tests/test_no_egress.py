"""No egress: ingest, ask, memo, check and an evaluation run with no network but loopback, and
nothing tries to connect anywhere else (telemetry, model hubs, DNS).

Each step is a real ``guidance`` process watched by up to three layers, the strongest available:

* an audit hook (``sys.addaudithook``, installed by a ``sitecustomize`` on ``PYTHONPATH``, so child
  Python processes get it too) that records and blocks every non-loopback ``socket.connect``,
  ``sendto``/``sendmsg`` and host-name lookup made from Python;
* ``strace`` on the network system calls of the process and its children, which also sees native
  code (Chroma's Rust core, tokenizers, torch) that the Python hook cannot;
* a network namespace (``unshare --net``, as root) that has only a loopback interface, so nothing
  could leave even if both watchers missed it.

The test fails if any layer recorded an attempt, and the guard's own test proves each watcher
does record one.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from assistant.evals import data_dir

from . import docgen
from .conftest import REPO

CASES = data_dir("cases")
pytestmark = pytest.mark.slow  # subprocesses under strace and in a network namespace

SITECUSTOMIZE = r'''
"""Test guard: record and block any network access from Python that does not stay on loopback."""
import ipaddress, json, os, socket, sys

_LOG = os.environ.get("NO_EGRESS_LOG")
_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}


def _loopback(host):
    if host is None:
        return True  # a passive lookup (bind to any address)
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    host = str(host).strip("[]").split("%")[0].lower()
    if host in _LOCAL_NAMES or host == "":
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False  # a name to resolve: resolving it is itself traffic
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def _literal(host):
    try:
        ipaddress.ip_address(str(host.decode() if isinstance(host, bytes) else host).strip("[]").split("%")[0])
        return True
    except ValueError:
        return False


def _record(event, detail):
    if _LOG:
        with open(_LOG, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"pid": os.getpid(), "event": event, "detail": repr(detail),
                                     "argv": sys.argv[:3]}) + "\n")
    raise OSError(101, f"network access blocked by the no-egress test: {event} {detail!r}")


def _hook(event, args):
    if event in ("socket.connect", "socket.sendto", "socket.sendmsg"):
        sock, address = args[0], args[1]
        if getattr(sock, "family", None) in (socket.AF_INET, socket.AF_INET6) and address is not None:
            if not _loopback(address[0]):
                _record(event, address)
    elif event in ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex", "socket.gethostbyaddr"):
        if not _loopback(args[0]) and not _literal(args[0]):  # a literal address needs no lookup; its connect is watched
            _record(event, args[0])


if _LOG:
    sys.addaudithook(_hook)
'''

_STRACE_ADDR = re.compile(r'inet_addr\("([^"]+)"\)|inet_pton\(AF_INET6, "([^"]+)"')


class Guard:
    """Runs commands under the watchers available here and collects what they saw."""

    def __init__(self, folder: Path):
        self.folder = folder
        (folder / "guard").mkdir(parents=True)
        (folder / "guard" / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
        self.hook_log = folder / "hook.jsonl"
        self.strace_log = folder / "strace.txt"
        self.strace = shutil.which("strace") if _strace_works() else None
        self.netns = _netns_works()

    @property
    def layers(self) -> list[str]:
        """The watchers in force."""
        return ["audit hook"] + (["strace"] if self.strace else []) + (["network namespace"] if self.netns else [])

    def env(self, **extra: str) -> dict[str, str]:
        # No HF_*/TRANSFORMERS_* offline switches from outside: the assistant must set its own.
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "TRANSFORMERS_", "HUGGINGFACE"))}
        path = os.pathsep.join(p for p in (str(self.folder / "guard"), str(REPO), env.get("PYTHONPATH", "")) if p)
        return {**env, "PYTHONPATH": path, "NO_EGRESS_LOG": str(self.hook_log), **extra}

    def command(self, argv: list[str], python_guard: bool = True) -> list[str]:
        """``argv`` wrapped in the namespace and strace, when they are available."""
        cmd = list(argv)
        if self.strace:
            cmd = [self.strace, "-f", "-qq", "--seccomp-bpf", "-e", "trace=connect,sendto,sendmsg", "-e", "signal=none",
                   "-A", "-o", str(self.strace_log), *cmd]
        if self.netns:
            cmd = ["unshare", "--net", "sh", "-c", 'ip link set lo up 2>/dev/null; exec "$@"', "sh", *cmd]
        return cmd

    def run(self, argv: list[str], timeout: int = 300, **env: str) -> subprocess.CompletedProcess:
        """Run a command under every watcher."""
        return subprocess.run(self.command(argv), env=self.env(**env), cwd=self.folder, capture_output=True, text=True,
                              timeout=timeout)

    def attempts(self) -> list[str]:
        """Every non-loopback network attempt any watcher recorded."""
        seen = []
        if self.hook_log.exists():
            seen += [f"python: {line}" for line in self.hook_log.read_text(encoding="utf-8").splitlines() if line.strip()]
        if self.strace_log.exists():
            for line in self.strace_log.read_text(encoding="utf-8", errors="replace").splitlines():
                for v4, v6 in _STRACE_ADDR.findall(line):
                    if not _is_loopback_ip(v4 or v6):
                        seen.append(f"syscall: {line.strip()}")
        return seen


def _is_loopback_ip(text: str) -> bool:
    ip = ipaddress.ip_address(text)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def _strace_works() -> bool:
    exe = shutil.which("strace")
    if not exe:
        return False
    probe = subprocess.run([exe, "-f", "-qq", "--seccomp-bpf", "-e", "trace=connect", "-o", os.devnull, "true"],
                           capture_output=True, timeout=30)
    return probe.returncode == 0


def _netns_works() -> bool:
    if not shutil.which("unshare"):
        return False
    probe = subprocess.run(["unshare", "--net", "sh", "-c", "ip link set lo up 2>/dev/null; true"], capture_output=True, timeout=30)
    return probe.returncode == 0


@pytest.fixture
def guard(tmp_path):
    return Guard(tmp_path)


def test_the_guard_records_every_kind_of_attempt(guard):
    """The watchers must see a connection, a lookup and a native connect, or the real test proves nothing."""
    probe = textwrap.dedent("""\
        import socket
        for call in (lambda: socket.create_connection(("192.0.2.1", 80), timeout=0.2),
                     lambda: socket.getaddrinfo("huggingface.co", 443),
                     lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", ("198.51.100.7", 53))):
            try:
                call()
            except OSError as exc:
                print("blocked:", exc)
        s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(); port = s.getsockname()[1]
        socket.create_connection(("127.0.0.1", port), timeout=1).close()  # loopback is allowed
        print("loopback ok")
        """)
    result = guard.run([sys.executable, "-c", probe])
    assert "loopback ok" in result.stdout, result.stderr
    hook = [json.loads(line)["event"] for line in guard.hook_log.read_text().splitlines()]
    assert hook == ["socket.connect", "socket.getaddrinfo", "socket.sendto"]
    if guard.strace:  # native code goes round the Python hook: run without it (python -S skips sitecustomize)
        guard.run([sys.executable, "-S", "-c", "import socket; s = socket.socket(); s.settimeout(0.2); s.connect_ex(('192.0.2.1', 80))"])
        assert any("192.0.2.1" in a and a.startswith("syscall") for a in guard.attempts())
    if guard.netns:
        out = guard.run([sys.executable, "-S", "-c", "import socket; s = socket.socket(); s.settimeout(2); print(s.connect_ex(('192.0.2.1', 80)))"])
        assert out.stdout.strip() in {"101", "113"}, out  # ENETUNREACH / EHOSTUNREACH: no route out of the namespace


def test_ingest_ask_memo_check_and_evaluate_need_no_network(guard, tmp_path):
    data = tmp_path / "data"
    env = {"GUIDANCE_PATHS__DATA_DIR": str(data)}
    guidance = [sys.executable, "-m", "assistant.cli"]
    docgen.make_memo_md(tmp_path / "parking.md")
    case = CASES / "hx-001.yaml"

    def step(*args: str, ok: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess:
        result = guard.run([*guidance, *args], **env)
        assert result.returncode in ok, f"guidance {' '.join(args)} failed ({result.returncode}):\n{result.stderr[-3000:]}"
        return result

    step("ingest", str(tmp_path / "parking.md"))
    answer = json.loads(step("ask", "Does the person's age matter?", "--json", "--as-of", "2022-03-01").stdout)
    assert "mit.age" in {c["anchor"] for c in answer["citations"]} and answer["check"]["passed"]
    analysis = step("memo", str(case), "--json").stdout
    (tmp_path / "analysis.json").write_text(analysis, encoding="utf-8")
    assert json.loads(analysis)["case_id"] == "HX-001"
    assert json.loads(step("check", str(tmp_path / "analysis.json"), "--case", str(case), "--json").stdout)["passed"]

    evaluated = False
    try:
        from assistant.evals.runner import run_set  # noqa: F401 - only whether it exists
    except ImportError:
        run_set = None
    if run_set is not None:
        qs = tmp_path / "set.yaml"
        qs.write_text(textwrap.dedent("""\
            name: egress
            items:
              - id: q-age
                question: Does the person's age matter?
                expect: {anchors_any: [mit.age], refused: false}
              - id: q-h1b
                question: What is the H-1B visa cap for next year?
                kind: out_of_scope
                expect: {refused: true}
              - id: c-1
                case: {case_id: EG-1, assessed_on: 2022-03-01, person: {age: 70}}
                expect: {mitigating: [mit.age]}
            """), encoding="utf-8")
        result = json.loads(step("eval", "run", str(qs), "--out", str(tmp_path / "run"), "--json").stdout)
        assert result["items"] == 3 and (tmp_path / "run" / "results.json").exists()
        evaluated = True

    kinds = [r["kind"] for r in json.loads(step("log", "list", "--json").stdout)]
    assert {"ask", "memo", "check"} <= set(kinds)
    attempts = guard.attempts()
    assert not attempts, f"network access outside loopback (watchers: {', '.join(guard.layers)}):\n" + "\n".join(attempts[:20])
    print(f"no egress under: {', '.join(guard.layers)}; evaluation {'run' if evaluated else 'skipped: no assistant.evaluate.run_set'}")
    if not evaluated:
        pytest.skip("ingest, ask, memo and check made no network access; the evaluation step was skipped "
                    "because assistant.evaluate.run_set does not exist in this tree")


SERVER_DRIVER = r"""
import json, os, socket, subprocess, sys, time, urllib.request
from pathlib import Path
folder = Path(sys.argv[1])
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
chroma = Path(sys.executable).with_name("chroma")
server = subprocess.Popen([str(chroma), "run", "--path", str(folder / "db"), "--host", "127.0.0.1", "--port", str(port)],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    deadline = time.monotonic() + 90
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                sys.exit("the Chroma server did not start")
            time.sleep(0.2)
    env = {**os.environ, "GUIDANCE_STORE__CHROMA_HOST": "127.0.0.1", "GUIDANCE_STORE__CHROMA_PORT": str(port)}
    for args in (["ingest"], ["ask", "Does the person's age matter?", "--json", "--as-of", "2022-03-01"]):
        run = subprocess.run([sys.executable, "-m", "assistant.cli", *args], env=env, capture_output=True, text=True)
        print(json.dumps({"args": args, "code": run.returncode, "out": run.stdout, "err": run.stderr[-2000:]}), flush=True)
finally:
    server.terminate()
    server.wait(timeout=30)
"""


def test_the_chroma_server_mode_needs_no_network_but_loopback(guard, tmp_path):
    """The server and its clients, started inside the same watched namespace, talk only over loopback."""
    if not Path(sys.executable).with_name("chroma").exists():
        pytest.skip("the chroma command (installed with chromadb) is not in this environment")
    result = guard.run([sys.executable, "-c", SERVER_DRIVER, str(tmp_path)], GUIDANCE_PATHS__DATA_DIR=str(tmp_path / "data"))
    assert result.returncode == 0, result.stderr[-3000:]
    steps = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert [s["code"] for s in steps] == [0, 0], steps
    answer = json.loads(steps[1]["out"])
    assert "mit.age" in {c["anchor"] for c in answer["citations"]}
    info = json.loads((tmp_path / "data" / "index" / "CURRENT").read_text())
    assert json.loads((tmp_path / "data" / "index" / "builds" / info["build"] / "build.json").read_text())["store"] == "server"
    attempts = guard.attempts()
    assert not attempts, f"network access outside loopback (watchers: {', '.join(guard.layers)}):\n" + "\n".join(attempts[:20])
