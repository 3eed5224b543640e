"""The lab fleet: Debian 12 hosts with systemd as PID 1 under systemd-nspawn, one netns each.

    python3 lab/fleet.py up [--hosts "pi-lab-1:edge pi-lab-2:edge gpusrv-lab:gpusrv"]
    python3 lab/fleet.py up --hosts "pi-lab-1:edge pi-arm-1:edge:arm64"  (name:group[:arch[:suite]])
    python3 lab/fleet.py up --hosts "pi-lab-1:edge pi-trixie-1:edge:amd64:trixie"
    python3 lab/fleet.py down | status [--json] | verify-clean
    python3 lab/fleet.py fault <host> stop|start|cut|restore|reboot

Everything we create carries our prefix: bridge br-edgelab (10.77.0.1/24), netns edgelab-<host>,
veth el-<host>, host trees under /var/lib/edge-lab/hosts/<host>. A host of another architecture
(`name:group:arm64`) runs its own arm64 userland under qemu-user (lab/binfmt.py); a host of another
Debian suite (`name:group:amd64:trixie`) boots that suite's image (Pi OS trixie stand-in: Python
3.13). Stdlib only, root.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import fcntl
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import contextlib

import binfmt
import image

REPO = Path(__file__).resolve().parents[1]
LIB = Path("/var/lib/edge-lab")
STATE = LIB / "state.json"
BRIDGE, SUBNET, GATEWAY = "br-edgelab", "10.77.0", "10.77.0.1"
NETNS_PREFIX, VETH_PREFIX = "edgelab-", "el-"
INV = REPO / "inventory" / "lab"
SSH_DIR = INV / ".ssh"
KEY = SSH_DIR / "id_ed25519"
KNOWN_HOSTS = SSH_DIR / "known_hosts"
DEFAULT_HOSTS = "pi-lab-1:edge pi-lab-2:edge gpusrv-lab:gpusrv"
GROUP_BASE = {"edge": 11, "gpusrv": 21}
EDGE_EXTRA_BASE, EDGE_EXTRA = 100, 55  # edge hosts 10..64 get .100-.154 (the scale run)
BOOT_TIMEOUT = 180
BINFMT_MARKER = LIB / "binfmt.json"  # what lab-up changed in binfmt_misc (lab-down reverts it)
# Hosts under qemu-user: boot waits this many times longer; the roles get it as edge_time_scale
# and scale their own time limits (health gate, start timeout, watchdog, request deadline) by it,
# never their checks. Emulated aarch64 measured ~340x slower for ONNX Runtime, ~10-30x elsewhere;
# every native limit below has at least 10x headroom (docs/lab.md).
EMULATED_TIME_SCALE = 30


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def sh(*cmd: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=check, text=True, capture_output=True)


# ---------------------------------------------------------------- host specs and names
def parse_hosts(text: str) -> list[dict]:
    """`name[:group[:arch[:suite]]]` items (group edge, arch amd64, suite bookworm by default)
    -> host records."""
    hosts, seen = [], {g: 0 for g in GROUP_BASE}
    for item in text.split():
        name, _, rest = item.partition(":")
        group, _, rest = rest.partition(":")
        arch, _, suite = rest.partition(":")
        group, arch = group or "edge", arch or image.DEFAULT_ARCH
        suite = suite or image.DEFAULT_SUITE
        if arch not in image.ARCHES:
            raise SystemExit(
                f"lab: host {name!r}: architecture {arch!r}: use one of {', '.join(image.ARCHES)}"
            )
        if suite not in image.SUITES:
            raise SystemExit(
                f"lab: host {name!r}: suite {suite!r}: use one of {', '.join(image.SUITES)}"
            )
        if group not in GROUP_BASE:
            raise SystemExit(f"lab: host {name!r}: group must be one of {sorted(GROUP_BASE)}")
        if not name.replace("-", "").isalnum() or len(name) > 40:
            raise SystemExit(f"lab: host name {name!r}: use letters, digits and '-' only")
        # edge hosts past the 9th (the scale run, scripts/scale-run.py) take .100 and up
        extra = group == "edge" and seen[group] >= 9
        if seen[group] >= (9 + EDGE_EXTRA if group == "edge" else 9):
            raise SystemExit(
                f"lab: at most {9 + EDGE_EXTRA if group == 'edge' else 9} hosts in group {group}"
            )
        index = EDGE_EXTRA_BASE + seen[group] - 9 if extra else GROUP_BASE[group] + seen[group]
        addr = f"{SUBNET}.{index}"
        seen[group] += 1
        hosts.append({"name": name, "group": group, "address": addr, "arch": arch, "suite": suite})
    if len({h["name"] for h in hosts}) != len(hosts):
        raise SystemExit(f"lab: a host name appears twice in {text!r}")
    return hosts


def time_scale(h: dict) -> int:
    return EMULATED_TIME_SCALE if binfmt.emulated(h.get("arch", image.DEFAULT_ARCH)) else 1


def netns(name: str) -> str:
    return NETNS_PREFIX + name


def veth(name: str) -> str:
    v = VETH_PREFIX + name
    return v if len(v) <= 15 else VETH_PREFIX + hashlib.sha1(name.encode()).hexdigest()[:10]


def host_dir(name: str) -> Path:
    return LIB / "hosts" / name


# ---------------------------------------------------------------- state and processes
def load_state() -> dict:
    try:
        return json.loads(STATE.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return {"hosts": {}}


def save_state(state: dict) -> None:
    LIB.mkdir(parents=True, exist_ok=True)
    tmp = STATE.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=2))
    tmp.rename(STATE)


def cmdline(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return []


def is_ours(pid: int | None, name: str) -> bool:
    """A recorded pid still runs the supervisor or nspawn of this host (not a reused pid)."""
    return bool(pid) and str(host_dir(name)) in " ".join(cmdline(pid))


def nspawn_pid(name: str) -> int | None:
    try:
        pid = int((host_dir(name) / "nspawn.pid").read_text())
    except (FileNotFoundError, ValueError):
        return None
    return pid if is_ours(pid, name) else None


def leader_pid(name: str) -> int | None:
    """The host's PID 1 (the child of nspawn)."""
    pid = nspawn_pid(name)
    if not pid:
        return None
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            kids = (task / "children").read_text().split()
        except FileNotFoundError:
            continue
        if kids:
            return int(kids[0])
    return None


def in_host(name: str, *cmd: str, timeout: float = 10) -> subprocess.CompletedProcess | None:
    """Run a command inside the host's namespaces (no SSH needed)."""
    pid = leader_pid(name)
    if not pid:
        return None
    try:
        return subprocess.run(
            ["nsenter", "-t", str(pid), "-m", "-u", "-i", "-n", "-p", *cmd],
            text=True, capture_output=True, timeout=timeout,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return None


def system_state(name: str) -> str:
    if not nspawn_pid(name):
        return "stopped"
    r = in_host(name, "systemctl", "is-system-running")
    return (r.stdout.strip() or "unknown") if r else "booting"


def ssh_answers(addr: str) -> bool:
    try:
        with socket.create_connection((addr, 22), timeout=2) as s:
            return s.recv(64).startswith(b"SSH-")
    except OSError:
        return False


# ---------------------------------------------------------------- network
def ensure_bridge() -> None:
    if sh("ip", "link", "show", BRIDGE, check=False).returncode != 0:
        sh("ip", "link", "add", BRIDGE, "type", "bridge")
        sh("ip", "addr", "add", f"{GATEWAY}/24", "dev", BRIDGE)
    sh("ip", "link", "set", BRIDGE, "up")


def ensure_netns(h: dict) -> None:
    ns, v = netns(h["name"]), veth(h["name"])
    if ns not in list_netns():
        sh("ip", "netns", "add", ns)
    if sh("ip", "link", "show", v, check=False).returncode != 0:
        sh("ip", "link", "add", v, "type", "veth", "peer", "name", "eth0", "netns", ns)
        sh("ip", "-n", ns, "addr", "add", f"{h['address']}/24", "dev", "eth0")
    sh("ip", "link", "set", v, "master", BRIDGE, "up")
    sh("ip", "-n", ns, "link", "set", "eth0", "up")
    sh("ip", "-n", ns, "link", "set", "lo", "up")


def list_netns() -> list[str]:
    return [line.split()[0] for line in sh("ip", "netns", "list").stdout.splitlines() if line]


def our_links() -> list[str]:
    out = sh("ip", "-o", "link", "show").stdout.splitlines()
    names = [line.split(":")[1].strip().split("@")[0] for line in out]
    return [n for n in names if n.startswith(VETH_PREFIX) or n == BRIDGE]


# ---------------------------------------------------------------- host lifecycle
def provision(h: dict, base: Path) -> None:
    """Fresh copy of the base image with this host's name, machine-id, host keys and lab key."""
    d = host_dir(h["name"])
    root = d / "rootfs"
    if (d / ".provisioned").is_file():
        return
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    sh("cp", "-a", "--reflink=auto", str(base), str(root))
    (root / ".edge-lab-complete").unlink(missing_ok=True)
    (root / "etc/hostname").write_text(h["name"] + "\n")
    (root / "etc/hosts").write_text(
        f"127.0.0.1 localhost\n127.0.1.1 {h['name']}\n{GATEWAY} controller\n"
    )
    (root / "etc/machine-id").write_text(uuid.uuid4().hex + "\n")
    sh("ssh-keygen", "-A", "-f", str(root))  # per-host host keys, never shared
    ssh = root / "home/pi/.ssh"
    ssh.mkdir(mode=0o700, exist_ok=True)
    (ssh / "authorized_keys").write_text(KEY.with_suffix(".pub").read_text())
    (ssh / "authorized_keys").chmod(0o600)
    for p in (ssh, ssh / "authorized_keys"):
        os.chown(p, 1000, 1000)
    (d / ".provisioned").write_text(h["address"])


def start(h: dict) -> int:
    name, d = h["name"], host_dir(h["name"])
    ensure_netns(h)
    cmd = [
        "systemd-nspawn", "-D", str(d / "rootfs"), "-M", name, "-b", "--register=no",
        "--keep-unit", f"--network-namespace-path=/run/netns/{netns(name)}",
        # a Pi may create bridges and network namespaces (a container engine does), e.g. the
        # EdgeInfer bridge-network test; the host's own network stays out of reach (own netns)
        "--capability=CAP_NET_ADMIN",
    ]  # fmt: skip
    sup = [sys.executable, str(Path(__file__).with_name("supervise.py")), str(d / "nspawn.pid")]
    with open(d / "console.log", "ab") as console:
        p = subprocess.Popen(
            [*sup, "--", *cmd], stdin=subprocess.DEVNULL, stdout=console, stderr=console,
            start_new_session=True,
        )  # fmt: skip
    for _ in range(100):
        if nspawn_pid(name):
            break
        time.sleep(0.05)
    return p.pid


def wait_ready(h: dict, timeout: float = BOOT_TIMEOUT) -> str:
    """Wait until systemd is running (or degraded) and sshd answers; return the state."""
    deadline = time.monotonic() + timeout * time_scale(h)
    state = "booting"
    while time.monotonic() < deadline:
        state = system_state(h["name"])
        if state in ("running", "degraded") and ssh_answers(h["address"]):
            if state == "degraded":
                r = in_host(h["name"], "systemctl", "--failed", "--plain", "--no-legend")
                log(f"lab: {h['name']} degraded, failed units: {r.stdout.strip() if r else '?'}")
            return state
        if state == "stopped":
            break
        time.sleep(0.5)
    tail = (host_dir(h["name"]) / "console.log").read_text(errors="replace")[-2000:]
    raise SystemExit(f"lab: {h['name']} not ready (state {state}); console tail:\n{tail}")


def stop(name: str, sup_pid: int | None, timeout: float = 60, arch: str = "amd64") -> None:
    """Clean shutdown (SIGTERM to supervisor -> nspawn), SIGKILL after timeout, by pid only.

    An emulated host is asked to power off from inside first: nspawn's SIGRTMIN+3 reaches a
    systemd under qemu-user as another real-time signal (qemu keeps the first ones for itself),
    which systemd takes for "rescue" (seen: the host sat in rescue mode until SIGKILL).
    """
    pids = [p for p in (sup_pid, nspawn_pid(name)) if p and is_ours(p, name)]
    deadline = time.monotonic() + timeout * time_scale({"arch": arch})
    if pids and binfmt.emulated(arch):
        in_host(name, "systemctl", "poweroff", "--no-block", timeout=60)
        while any(is_ours(p, name) for p in pids) and time.monotonic() < deadline:
            time.sleep(0.2)
    for p in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(p, signal.SIGTERM)
    deadline = max(deadline, time.monotonic() + timeout)
    while any(is_ours(p, name) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    for p in pids:
        if is_ours(p, name):
            os.kill(p, signal.SIGKILL)
    # anything left inside the host's network namespace belongs to the host
    ns = netns(name)
    if ns in list_netns():
        for p in sh("ip", "netns", "pids", ns, check=False).stdout.split():
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(p), signal.SIGKILL)
    (host_dir(name) / "nspawn.pid").unlink(missing_ok=True)


def remove_net(name: str) -> None:
    sh("ip", "link", "del", veth(name), check=False)
    sh("ip", "netns", "del", netns(name), check=False)


def stray_nspawns() -> list[int]:
    """nspawn/supervisor processes whose tree is under our lab folder (by path, not name)."""
    out = []
    for p in Path("/proc").glob("[0-9]*"):
        cl = " ".join(cmdline(int(p.name)))
        if str(LIB / "hosts") in cl and ("systemd-nspawn" in cl or "supervise.py" in cl):
            out.append(int(p.name))
    return out


# ---------------------------------------------------------------- commands
def require_root_and_tools() -> None:
    if os.geteuid() != 0:
        raise SystemExit(
            "lab: must run as root (network namespaces, systemd-nspawn): sudo make ..."
        )
    missing = [t for t in ("systemd-nspawn", "debootstrap", "ip", "ssh-keygen", "nsenter")
               if not shutil.which(t)]  # fmt: skip
    if missing:
        raise SystemExit(
            f"lab: missing {' '.join(missing)}: run `make setup` "
            "(apt-get install systemd-container debootstrap iproute2 openssh-client)"
        )


def cleanup_stale(state: dict, keep: set[str]) -> None:
    """Remove what a killed run left: dead hosts' net, unrecorded nspawns, orphan netns/veths."""
    alive = {n for n, rec in state["hosts"].items() if n in keep and is_ours(rec.get("pid"), n)}
    for n, rec in list(state["hosts"].items()):
        if n not in alive:
            stop(n, rec.get("pid"), timeout=30, arch=rec.get("arch", image.DEFAULT_ARCH))
            remove_net(n)
            if n not in keep:
                shutil.rmtree(host_dir(n), ignore_errors=True)
                del state["hosts"][n]
    for pid in stray_nspawns():
        if not any(is_ours(state["hosts"].get(n, {}).get("pid"), n) and
                   str(host_dir(n)) in " ".join(cmdline(pid)) for n in alive):  # fmt: skip
            log(f"lab: stopping stray lab process {pid}")
            os.kill(pid, signal.SIGTERM)
    for ns in list_netns():
        if ns.startswith(NETNS_PREFIX) and ns[len(NETNS_PREFIX) :] not in alive:
            sh("ip", "netns", "del", ns, check=False)
    for link in our_links():
        if link != BRIDGE and link not in {veth(n) for n in alive}:
            sh("ip", "link", "del", link, check=False)


def ensure_key() -> None:
    SSH_DIR.mkdir(parents=True, exist_ok=True)
    SSH_DIR.chmod(0o700)
    if not KEY.is_file():
        sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "edge-lab", "-f", str(KEY))


def write_inventory(hosts: list[dict]) -> None:
    lines = []
    for h in hosts:
        root = host_dir(h["name"]) / "rootfs"
        for pub in sorted((root / "etc/ssh").glob("ssh_host_*_key.pub")):
            kind, blob = pub.read_text().split()[:2]
            lines.append(f"{h['address']} {kind} {blob}")
    KNOWN_HOSTS.write_text("\n".join(lines) + "\n")
    q = json.dumps
    out = ["# Generated by `make lab-up` (lab/fleet.py); do not edit, not committed.", "all:"]
    out += ["  vars:", "    ansible_user: pi", f"    ansible_ssh_private_key_file: {q(str(KEY))}"]
    args = f"-o UserKnownHostsFile={KNOWN_HOSTS} -o StrictHostKeyChecking=yes"
    out += [f"    ansible_ssh_common_args: {q(args)}", "  children:"]
    for group in GROUP_BASE:
        out += [f"    {group}:", "      hosts:"]
        members = [h for h in hosts if h["group"] == group]
        if not members:
            out[-1] = "      hosts: {}"
        for h in members:
            out += [f"        {h['name']}:", f"          ansible_host: {h['address']}"]
            out.append(f"          lab_arch: {h['arch']}")  # tests/fleet: uname -m must agree
            out.append(f"          lab_suite: {h.get('suite', image.DEFAULT_SUITE)}")
            if group == "edge":
                out.append("          edge_has_accelerator: false")
            if binfmt.emulated(h["arch"]):
                # set by the lab only: the roles relax what cannot work under qemu-user and
                # stretch their time limits (never on a real Pi: preflight checks PID 1 is qemu)
                out += ["          edge_emulated: true"]
                out += [f"          edge_time_scale: {time_scale(h)}"]
    (INV / "hosts.yml").write_text("\n".join(out) + "\n")


def cmd_up(spec: str) -> int:
    require_root_and_tools()
    hosts = parse_hosts(spec)
    t0 = time.monotonic()
    arches = sorted({h["arch"] for h in hosts})
    for arch in arches:
        if binfmt.emulated(arch):
            binfmt.ensure(arch, BINFMT_MARKER, log)
    images = sorted({(h["arch"], h["suite"]) for h in hosts})
    bases = {(a, s): image.ensure_image(log, a, s) for a, s in images}
    state = load_state()
    cleanup_stale(state, {h["name"] for h in hosts})
    ensure_key()
    ensure_bridge()
    for h in hosts:
        rec = state["hosts"].get(h["name"])
        if rec and is_ours(rec.get("pid"), h["name"]):
            was = (rec["address"], rec.get("arch", image.DEFAULT_ARCH),
                   rec.get("suite", image.DEFAULT_SUITE))  # fmt: skip
            if was != (h["address"], h["arch"], h["suite"]):
                raise SystemExit(f"lab: {h['name']} runs as {was}: make lab-down first")
            continue  # running hosts are left alone
        provision(h, bases[(h["arch"], h["suite"])])
        state["hosts"][h["name"]] = {**h, "pid": start(h)}
        save_state(state)
    state["spec"] = spec
    save_state(state)
    with concurrent.futures.ThreadPoolExecutor(len(hosts)) as ex:
        states = list(ex.map(wait_ready, hosts))
    write_inventory(hosts)
    log(f"lab: up in {time.monotonic() - t0:.1f} s: " + ", ".join(
        f"{h['name']}={h['address']} ({s})" for h, s in zip(hosts, states)))  # fmt: skip
    return 0


def cmd_down() -> int:
    require_root_and_tools()
    t0 = time.monotonic()
    state = load_state()
    for n, rec in state["hosts"].items():
        stop(n, rec.get("pid"), arch=rec.get("arch", image.DEFAULT_ARCH))
    cleanup_stale({"hosts": state["hosts"]}, keep=set())
    for pid in stray_nspawns():
        os.kill(pid, signal.SIGKILL)
    sh("ip", "link", "del", BRIDGE, check=False)
    shutil.rmtree(LIB / "hosts", ignore_errors=True)
    STATE.unlink(missing_ok=True)
    (INV / "hosts.yml").unlink(missing_ok=True)
    binfmt.undo(BINFMT_MARKER, log)
    log(f"lab: down in {time.monotonic() - t0:.1f} s")
    return 0 if not leftovers() else 1


def leftovers() -> list[str]:
    left = [f"netns {n}" for n in list_netns() if n.startswith(NETNS_PREFIX)]
    left += [f"link {n}" for n in our_links()]
    left += [f"process {p}" for p in stray_nspawns()]
    mounts = Path("/proc/mounts").read_text().splitlines()
    left += [f"mount {m.split()[1]}" for m in mounts if str(LIB) in m or NETNS_PREFIX in m]
    left += binfmt.leftovers(BINFMT_MARKER)
    for item in left:
        log(f"lab: left behind: {item}")
    return left


def status_rows() -> list[dict]:
    rows = []
    for n, rec in load_state()["hosts"].items():
        link = sh("ip", "-o", "link", "show", veth(n), check=False).stdout
        rows.append({
            "name": n, "group": rec["group"], "address": rec["address"],
            "arch": rec.get("arch", image.DEFAULT_ARCH),
            "pid": nspawn_pid(n), "state": system_state(n),
            "link": "cut" if link and "state DOWN" in link else ("up" if link else "absent"),
        })  # fmt: skip
    return rows


def cmd_status(as_json: bool) -> int:
    rows = status_rows()
    if as_json:
        print(json.dumps(rows, indent=2))
        return 0
    if not rows:
        print("lab: no hosts (make lab-up)")
        return 0
    fmt = "{:<14} {:<7} {:<6} {:<11} {:>8}  {:<10} {}"
    print(fmt.format("NAME", "GROUP", "ARCH", "ADDRESS", "PID", "SYSTEMD", "LINK"))
    for r in rows:
        print(fmt.format(r["name"], r["group"], r["arch"], r["address"], r["pid"] or "-",
                         r["state"], r["link"]))  # fmt: skip
    return 0


def cmd_fault(name: str, action: str) -> int:
    require_root_and_tools()
    state = load_state()
    rec = state["hosts"].get(name)
    if not rec:
        raise SystemExit(f"lab: no host {name!r} in the lab (have: {sorted(state['hosts'])})")
    if action == "cut":
        sh("ip", "link", "set", veth(name), "down")
    elif action == "restore":
        sh("ip", "link", "set", veth(name), "up")
    elif action == "stop":
        stop(name, rec.get("pid"), arch=rec.get("arch", image.DEFAULT_ARCH))
    elif action == "start":
        if not is_ours(rec.get("pid"), name):
            rec["pid"] = start(rec)
            save_state(state)
        wait_ready(rec)
    elif action == "reboot":
        before = leader_pid(name)
        in_host(name, "systemctl", "reboot")
        deadline = time.monotonic() + BOOT_TIMEOUT * time_scale(rec)
        while leader_pid(name) in (before, None) and time.monotonic() < deadline:
            time.sleep(0.3)
        wait_ready(rec)
    log(f"lab: {name}: {action} done")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="lab", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    up = sub.add_parser("up", help="boot the lab fleet and write inventory/lab/hosts.yml")
    up.add_argument("--hosts", default=os.environ.get("LAB_HOSTS") or DEFAULT_HOSTS)
    sub.add_parser("down", help="stop every host, remove netns, veths, bridge, host trees")
    st = sub.add_parser("status", help="name, address, nspawn pid, systemd state, link")
    st.add_argument("--json", action="store_true")
    sub.add_parser("verify-clean", help="fail if any lab namespace/link/process/mount is left")
    f = sub.add_parser("fault", help="make a host misbehave")
    f.add_argument("host")
    f.add_argument("action", choices=["stop", "start", "cut", "restore", "reboot"])
    a = ap.parse_args(argv)
    if a.cmd in ("up", "down", "fault"):
        require_root_and_tools()
        LIB.mkdir(parents=True, exist_ok=True)
        lock = open(LIB / ".lock", "w")  # noqa: SIM115  one lab-up/down/fault at a time
        fcntl.flock(lock, fcntl.LOCK_EX)
    if a.cmd == "up":
        return cmd_up(a.hosts)
    if a.cmd == "down":
        return cmd_down()
    if a.cmd == "status":
        return cmd_status(a.json)
    if a.cmd == "verify-clean":
        return 1 if leftovers() else 0
    return cmd_fault(a.host, a.action)


if __name__ == "__main__":
    sys.exit(main())
