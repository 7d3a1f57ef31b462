#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""vm benchmark harness: timed runs against native and QEMU, and the
instruction-count regression gate. Standard library only.

  bench.py run       interleaved timed runs, table on stdout, JSON result file
  bench.py check     callgrind gate on the quick sizes against bench/baseline.json
  bench.py baseline  rewrite bench/baseline.json from the current tree
  bench.py system    riscv64 system mode: Linux boot time against
                     qemu-system-riscv64, TLB hit/miss cost and boot hit rate

See bench/README.md for the options and how to read the output.
"""

import argparse
import concurrent.futures
import datetime
import gzip
import hashlib
import json
import math
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BASELINE = os.path.join(TOP, "bench", "baseline.json")
RESULTS = os.path.join(TOP, "bench", "results")

# Guest arch (frontend folder name) -> QEMU user binary and Debian arch name.
QEMU_USER = {"riscv64": "qemu-riscv64", "arm64": "qemu-aarch64",
             "aarch64": "qemu-aarch64", "x86_64": "qemu-x86_64",
             "ppc64": "qemu-ppc64le"}
DEB_ARCH = {"riscv64": "riscv64", "arm64": "arm64", "aarch64": "arm64",
            "x86_64": "amd64", "ppc64": "ppc64el"}

# vm engines, in table order. Each is tried once on a probe workload; the JIT
# rows appear by themselves once `-accel jit` / `-jit tiers=N` are accepted.
ENGINES = [
    ("interp", ["-accel", "interp"]),
    ("jit", ["-accel", "jit"]),
    ("jit-t1", ["-accel", "jit", "-jit", "tiers=1"]),
    ("jit-t2", ["-accel", "jit", "-jit", "tiers=2"]),
    ("jit-t3", ["-accel", "jit", "-jit", "tiers=3"]),
]

GATE_THRESHOLD = 0.10  # > 10% more host instructions fails (SPEC section 9)
SPECIAL = {"mips"}     # micro-benchmarks, not table rows


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# -- Running one command -------------------------------------------------------

class Result:
    def __init__(self, wall, cpu, status, out, err, timed_out=False):
        self.wall, self.cpu, self.status = wall, cpu, status
        self.out, self.err, self.timed_out = out, err, timed_out


def kill_after(p, timeout):
    """Kills process p after timeout seconds. Returns (timer, killed): cancel the
    timer when p ends; killed is a non-empty list if the kill happened."""
    killed = []

    def kill():
        killed.append(1)
        try:
            p.kill()
        except OSError:
            pass
    timer = threading.Timer(timeout, kill)
    timer.start()
    return timer, killed


def run_cmd(cmd, timeout, env=None, cwd=None):
    """Runs cmd with stdout/stderr to temp files; returns wall and user+sys
    CPU seconds of the child (os.wait4), exit status and both outputs."""
    with tempfile.TemporaryFile() as fo, tempfile.TemporaryFile() as fe:
        t0 = time.perf_counter()
        try:
            p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=fo,
                                 stderr=fe, env=env, cwd=cwd)
        except OSError as e:
            return Result(0.0, 0.0, 127, b"", str(e).encode())
        timer, killed = kill_after(p, timeout)
        _, st, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        timer.cancel()
        p.returncode = os.waitstatus_to_exitcode(st)
        fo.seek(0)
        fe.seek(0)
        status = p.returncode if p.returncode >= 0 else 128 - p.returncode
        return Result(wall, ru.ru_utime + ru.ru_stime, status, fo.read(),
                      fe.read(), bool(killed))


def first_line(b, limit=160):
    s = b.decode("utf-8", "replace").strip().splitlines()
    return (s[0] if s else "")[:limit]


# -- Workloads -------------------------------------------------------------------

class Workload:
    """One benchmark: argv per runner kind and an output check.
    guest_argv(size) is run under vm/qemu; native_argv(size) natively.
    check(size, status, stdout) -> None if right, else a reason."""

    def __init__(self, name, guest_argv, native_argv, check=None, third_party=False):
        self.name, self.guest_argv, self.native_argv = name, guest_argv, native_argv
        self.check_fn, self.third_party = check, third_party


def c_workloads(build, arch, names):
    ws = []
    for n in names:
        g = os.path.join(build, "bench", arch, n)
        nat = os.path.join(build, "bench", "native", n)
        if os.path.exists(g) and os.path.exists(nat):
            ws.append(Workload(n, (lambda size, g=g: [g, size]),
                               (lambda size, nat=nat: [nat, size])))
    return ws


def find_busybox(arch):
    """The guest busybox from scripts/fetch-images.sh, or None."""
    deb = DEB_ARCH.get(arch, arch)
    base = os.path.join(TOP, "images", "cache", deb, "busybox-static")
    for sub in ("bin/busybox", "usr/bin/busybox"):
        p = os.path.join(base, sub)
        if os.path.isfile(p):
            return p
    return None


def make_bb_data(build, size):
    """Deterministic text input for the busybox workloads: lines of
    'word word number'. quick ~64 KiB, medium ~1.2 MiB, full ~12 MiB."""
    d = os.path.join(build, "bench", "data")
    os.makedirs(d, exist_ok=True)
    nlines = {"quick": 3000, "medium": 60000}.get(size, 600000)
    txt = os.path.join(d, "text-%s.txt" % size)
    gz = txt + ".gz"
    if not (os.path.exists(txt) and os.path.exists(gz)):
        rng = random.Random(1234)
        sy = ["ka", "lo", "mi", "nu", "pe", "ra", "si", "tu", "ve", "zo"]
        lines = []
        for i in range(nlines):
            w1 = "".join(rng.choice(sy) for _ in range(rng.randint(1, 3)))
            w2 = "".join(rng.choice(sy) for _ in range(rng.randint(2, 5)))
            lines.append("%s %s %d\n" % (w1, w2, rng.randint(0, 99999)))
        data = "".join(lines).encode()
        with open(txt + ".tmp", "wb") as f:
            f.write(data)
        os.replace(txt + ".tmp", txt)
        with open(gz + ".tmp", "wb") as f:
            f.write(gzip.compress(data, 6, mtime=0))
        os.replace(gz + ".tmp", gz)
    return txt, gz


AWK_PROG = ('{ s += $3; c[$1]++; t += length($2); if ($3 > m) m = $3 } '
            'END { for (k in c) n++; printf "%d %.0f %d %d %d\\n", NR, s, n, t, m }')


def busybox_workloads(build, arch, host_bb):
    """Third-party work: Debian's busybox-static for the guest arch against
    the host's busybox. Checks are semantic (hashlib, zlib, sorted) where the
    two busybox versions could legitimately differ in bytes (gzip)."""
    bb = find_busybox(arch)
    if not bb:
        return [], "no guest busybox under images/cache/%s (run scripts/fetch-images.sh %s)" % (
            DEB_ARCH.get(arch, arch), DEB_ARCH.get(arch, arch))
    if not host_bb:
        return [], "no host busybox for the native column (apt-get install busybox-static)"
    ws = []
    data = {}

    def inp(size):
        if size not in data:
            data[size] = make_bb_data(build, size)
        return data[size]

    def expect_sha(size, st, out):
        txt, _ = inp(size)
        with open(txt, "rb") as f:
            want = "%s  %s\n" % (hashlib.sha256(f.read()).hexdigest(), txt)
        return None if st == 0 and out.decode(errors="replace") == want else "wrong sha256sum output"

    def expect_gzip(size, st, out):
        txt, _ = inp(size)
        try:
            ok = gzip.decompress(out) == open(txt, "rb").read()
        except Exception as e:  # noqa: BLE001 - any decode error is a wrong answer
            return "gzip output does not decompress: %s" % e
        return None if st == 0 and ok else "gzip output decompresses to the wrong data"

    def expect_gunzip(size, st, out):
        txt, _ = inp(size)
        return None if st == 0 and out == open(txt, "rb").read() else "gunzip output differs from the input"

    def expect_sort(size, st, out):
        txt, _ = inp(size)
        want = b"".join(sorted(open(txt, "rb").read().splitlines(keepends=True)))
        return None if st == 0 and out == want else "sort output is not the sorted input"

    ws.append(Workload("bb-sha256sum", lambda s: [bb, "sha256sum", inp(s)[0]],
                       lambda s: [host_bb, "sha256sum", inp(s)[0]], expect_sha, True))
    ws.append(Workload("bb-gzip", lambda s: [bb, "gzip", "-c", "-6", inp(s)[0]],
                       lambda s: [host_bb, "gzip", "-c", "-6", inp(s)[0]], expect_gzip, True))
    ws.append(Workload("bb-gunzip", lambda s: [bb, "gunzip", "-c", inp(s)[1]],
                       lambda s: [host_bb, "gunzip", "-c", inp(s)[1]], expect_gunzip, True))
    # awk's answer is checked against the native run of the same program.
    ws.append(Workload("bb-awk", lambda s: [bb, "awk", AWK_PROG, inp(s)[0]],
                       lambda s: [host_bb, "awk", AWK_PROG, inp(s)[0]], None, True))
    ws.append(Workload("bb-sort", lambda s: [bb, "sort", inp(s)[0]],
                       lambda s: [host_bb, "sort", inp(s)[0]], expect_sort, True))
    return ws, None


# -- Runners (native, vm per engine, qemu) -----------------------------------------

class Runner:
    def __init__(self, label, kind, prefix):
        self.label, self.kind, self.prefix = label, kind, prefix  # kind: native|vm|qemu

    def argv(self, w, size):
        if self.kind == "native":
            return w.native_argv(size)
        return self.prefix + w.guest_argv(size)


def probe_engines(args, arch, probe):
    """Returns ([(name, argv prefix)], notes). interp is always kept (its
    failures are reported per workload); a JIT engine is kept when vm
    accepts its options, i.e. the probe did not fail with a usage error."""
    notes = []
    if args.stand_in:
        q = shutil.which(QEMU_USER.get(arch, ""))
        if not q:
            return [], ["stand-in requested but %s is not installed" % QEMU_USER.get(arch)]
        notes.append("vm is NOT measured: '%s' stands in for build/vm (harness test only)" % q)
        return [("qemu-standin", [q])], notes
    vm = args.vm
    if not os.access(vm, os.X_OK):
        notes.append("%s not built: every vm run fails" % vm)
        return [("interp", [vm, "-accel", "interp"])], notes
    want = set(args.engines.split(",")) if args.engines else None
    out = []
    expect = run_cmd(probe.native_argv("quick"), 60) if probe else None
    if probe:  # a guest arch this vm build cannot load at all: one note, no rows
        r = run_cmd([vm, "-accel", "interp"] + probe.guest_argv("quick"), 60)
        err = first_line(r.err)
        if r.status != 0 and re.search(r"unsupported ELF machine|does not support .* programs|"
                                       r"unknown architecture", err):
            notes.append("vm does not run %s programs yet (%s)" % (arch, err))
            return [], notes
    for name, opts in ENGINES:
        if want is not None and name not in want:
            continue
        if name.startswith("jit-t") and any(n.startswith("engine jit not available") for n in notes):
            continue  # tiers need -accel jit; one note is enough
        if name == "interp" or probe is None:
            if name == "interp":
                out.append((name, [vm] + opts))
            continue
        r = run_cmd([vm] + opts + probe.guest_argv("quick"), 60)
        if r.status == 0 and r.out == expect.out:
            out.append((name, [vm] + opts))
            continue
        err = first_line(r.err)
        usage = re.search(r"unknown|unsupported|invalid|not (available|supported|compiled|implemented)|usage",
                          err, re.I)
        if usage and not r.out:
            notes.append("engine %s not available yet (%s)" % (name, err))
        else:  # accepted but wrong: a real failure, keep it in the table
            out.append((name, [vm] + opts))
    return out, notes


def runners_for(args, arch, probe, host):
    engines, notes = probe_engines(args, arch, probe)
    rs = [Runner("native", "native", [])]
    rs += [Runner(n, "vm", p) for n, p in engines]
    q = shutil.which(QEMU_USER.get(arch, "")) if not args.no_qemu else None
    if q:
        rs.append(Runner("qemu", "qemu", [q]))
    elif not args.no_qemu:
        notes.append("%s not installed: no QEMU column" % QEMU_USER.get(arch, "qemu-" + arch))
    return rs, notes


def check_output(w, size, res, native):
    if res.timed_out:
        return "timed out"
    if w.check_fn:
        if res.status != 0:
            return "exit status %d%s" % (res.status, (": " + first_line(res.err)) if res.err else "")
        return w.check_fn(size, res.status, res.out)
    if native is None:
        return "no native reference"
    if res.status != native.status:
        return "exit status %d, native %d%s" % (res.status, native.status,
                                                 (": " + first_line(res.err)) if res.err else "")
    if res.out != native.out:
        return "output differs from native (got %r)" % first_line(res.out, 80)
    return None


# -- bench.py run ----------------------------------------------------------------------

def median_min_max(xs):
    return {"median": statistics.median(xs), "min": min(xs), "max": max(xs), "all": xs}


def geomean(xs):
    xs = [x for x in xs if x and x > 0]
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else None


def git_commit():
    try:
        c = subprocess.run(["git", "-C", TOP, "rev-parse", "--short", "HEAD"],
                           capture_output=True, text=True, timeout=10).stdout.strip()
        d = subprocess.run(["git", "-C", TOP, "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True, timeout=10).stdout.strip()
        return (c or "unknown") + ("-dirty" if d else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def mips_micro(args, arch, runners):
    """Guest MIPS: the counted loop in bench/workloads/mips.c at two sizes;
    (instructions difference) / (median time difference)."""
    g = os.path.join(args.build, "bench", arch, "mips")
    if not os.path.exists(g):
        return None
    out = {}
    body = 10
    n1 = 1000

    def model(n):  # Python model of the loop, to check the answer at n1
        acc, m = 1, (1 << 64) - 1
        while n:
            acc = (acc + 3) & m
            acc = (((acc ^ n) << 3) & m) ^ (acc >> 5)
            n -= 1
        return "mips body=%d n=%d acc=%016x\n" % (body, n1, acc)

    for r in runners:
        if r.kind == "native":
            continue
        pre = r.prefix
        res1 = run_cmd(pre + [g, str(n1)], args.timeout)
        if res1.status == 3 and b"no counted loop" in res1.out:
            return {"note": "no counted loop for %s yet (bench/workloads/mips.c)" % arch}
        if res1.status != 0 or res1.out.decode(errors="replace") != model(n1):
            out[r.label] = {"error": "wrong answer or failure at n=%d: %s" % (
                n1, first_line(res1.err) or first_line(res1.out))}
            continue
        n2 = 1000000
        while True:  # grow until the timed part dominates (>= 0.3 s)
            res2 = run_cmd(pre + [g, str(n2)], args.timeout)
            if res2.status != 0 or res2.wall - res1.wall >= 0.3 or n2 >= 400000000:
                break
            n2 *= 4
        if res2.status != 0:
            out[r.label] = {"error": "failed at n=%d: %s" % (n2, first_line(res2.err))}
            continue
        t1, t2 = [], []
        for _ in range(args.runs):
            t1.append(run_cmd(pre + [g, str(n1)], args.timeout).wall)
            t2.append(run_cmd(pre + [g, str(n2)], args.timeout).wall)
        dt = statistics.median(t2) - statistics.median(t1)
        out[r.label] = {"n1": n1, "n2": n2, "guest_insns": body * (n2 - n1),
                        "seconds": dt, "mips": body * (n2 - n1) / dt / 1e6 if dt > 0 else None,
                        "answer": res2.out.decode(errors="replace").strip()}
    # Cross-check the big run's answer between engines that ran the same n2
    # (the model checked n1; n2 differs between fast and slow engines).
    byn = {}
    for v in out.values():
        if "answer" in v:
            byn.setdefault(v["n2"], set()).add(v["answer"])
    for v in out.values():
        if "answer" in v and len(byn[v["n2"]]) > 1:
            v["warning"] = "engines disagree at n=%d: %s" % (v["n2"], sorted(byn[v["n2"]]))
    return out


def jit_stats_micro(args, arch, runners, workloads):
    """JIT compile time per block per tier, from vm's own -d jit-stats."""
    res = {}
    for r in runners:
        if r.kind != "vm" or not r.label.startswith("jit"):
            continue
        w = next((w for w in workloads if w.name == "intmix"), None)
        if not w:
            continue
        x = run_cmd(r.prefix + ["-d", "jit-stats"] + w.guest_argv("quick"), args.timeout)
        lines = [l for l in x.err.decode(errors="replace").splitlines()
                 if re.search(r"compile|tier|block", l, re.I)]
        res[r.label] = lines[:40] if lines else ["(no jit-stats output; status %d)" % x.status]
    return res


def snapshot_vm(args):
    """Copies vm to a private temp dir for a long timed run: others rebuild
    build/vm in the shared tree, and one run must measure one binary."""
    if args.stand_in or not os.access(args.vm, os.X_OK):
        return None
    d = tempfile.mkdtemp(prefix="vm-bench-")
    dst = os.path.join(d, "vm")
    shutil.copy2(args.vm, dst)
    with open(dst, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()[:16]
    log("bench: measuring a copy of %s (sha256 %s)" % (args.vm, digest))
    args.vm = dst
    return d, digest


def cmd_run(args):
    snap = snapshot_vm(args)
    try:
        return run_all(args, snap[1] if snap else None)
    finally:
        if snap:
            shutil.rmtree(snap[0], ignore_errors=True)


def run_all(args, vm_digest):
    size = args.size
    host_bb = shutil.which("busybox")
    report = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
              "commit": git_commit(), "size": size, "runs": args.runs,
              "host": os.uname().nodename, "cpus": os.cpu_count(),
              "stand_in": bool(args.stand_in), "vm_sha256": vm_digest, "archs": {}}
    failures = []
    for arch in args.archs:
        ws = c_workloads(args.build, arch, args.names(arch))
        notes = []
        if not args.no_busybox:
            bws, why = busybox_workloads(args.build, arch, host_bb)
            ws += bws
            if why:
                notes.append("busybox workloads skipped: " + why)
        if args.workloads:
            keep = set(args.workloads.split(","))
            ws = [w for w in ws if w.name in keep]
        if not ws:
            log("bench: %s: no workloads built (make bench-build)" % arch)
            continue
        probe = next((w for w in ws if w.name == "bytecode"), ws[0])
        runners, rnotes = runners_for(args, arch, probe, host_bb)
        notes += rnotes
        for n in notes:
            log("bench: %s: %s" % (arch, n))
        times = {w.name: {r.label: [] for r in runners} for w in ws}
        cpu = {w.name: {r.label: [] for r in runners} for w in ws}
        errors = {w.name: {} for w in ws}
        # Interleaved: every run visits every workload and, within it, every
        # runner in turn (A B C A B C ...), so drift hits all columns alike.
        for i in range(args.runs):
            for w in ws:
                native = None
                for r in runners:
                    if r.label in errors[w.name]:
                        continue  # one wrong answer is enough
                    res = run_cmd(r.argv(w, size), args.timeout)
                    if r.kind == "native":
                        native = res
                        if res.status != 0 and not w.third_party:
                            errors[w.name][r.label] = "native run failed: " + first_line(res.err)
                            continue
                    why = check_output(w, size, res, native) if (r.kind != "native" or w.check_fn) else None
                    if why:
                        errors[w.name][r.label] = why
                        failures.append("%s/%s/%s: %s" % (arch, r.label, w.name, why))
                        log("bench: FAIL %s %s %s: %s" % (arch, r.label, w.name, why))
                        continue
                    times[w.name][r.label].append(res.wall)
                    cpu[w.name][r.label].append(res.cpu)
            log("bench: %s: run %d/%d done" % (arch, i + 1, args.runs))
        rows = {}
        for w in ws:
            row = {}
            for r in runners:
                if r.label in errors[w.name]:
                    row[r.label] = {"error": errors[w.name][r.label]}
                elif times[w.name][r.label]:
                    row[r.label] = median_min_max(times[w.name][r.label])
                    row[r.label]["cpu_median"] = statistics.median(cpu[w.name][r.label])
            rows[w.name] = row
        micro = {}
        if "mips" in args.names(arch, special=True) and not args.no_micro:
            micro["interp_mips"] = mips_micro(args, arch, runners)
        if not args.no_micro:
            micro["jit_compile"] = jit_stats_micro(args, arch, runners, ws) or \
                "no JIT engine yet"
        micro.setdefault("jit_compile", "not measured (--no-micro)")
        if args.system and arch == "riscv64" and not args.stand_in:
            micro["system"] = system_bench(args)
            micro["tlb"] = micro["boot"] = "see below"
        else:
            micro["tlb"] = micro["boot"] = ("not run: system mode, riscv64 only: make bench-system "
                                            "(or BENCH_ARGS=--system)")
        report["archs"][arch] = {"runners": [r.label for r in runners],
                                 "vm_engines": [r.label for r in runners if r.kind == "vm"],
                                 "notes": notes, "workloads": rows, "micro": micro}
    print_table(report)
    if not args.no_json:
        os.makedirs(RESULTS, exist_ok=True)
        stamp = datetime.datetime.now().strftime("%Y-%m-%dT%H%M%S")
        path = args.json or os.path.join(RESULTS, "%s-%s.json" % (stamp, report["commit"]))
        with open(path, "w") as f:
            json.dump(report, f, indent=1, sort_keys=True)
            f.write("\n")
        log("bench: results written to %s" % os.path.relpath(path, TOP))
    if failures:
        log("bench: %d wrong or failed run(s):" % len(failures))
        for f in failures:
            log("  " + f)
        return 1
    return 0


def fmt_t(cell):
    if cell is None:
        return "-"
    if "error" in cell:
        return "FAIL"
    return "%.3f [%.3f-%.3f]" % (cell["median"], cell["min"], cell["max"])


def ratio(a, b):
    if not a or not b or "median" not in a or "median" not in b or b["median"] <= 0:
        return None
    return a["median"] / b["median"]


def print_table(report):
    out = []
    out.append("vm benchmarks  size=%s  runs=%d  commit=%s  %s%s" % (
        report["size"], report["runs"], report["commit"], report["date"],
        "  [STAND-IN: qemu runs in place of vm]" if report["stand_in"] else ""))
    out.append("times: median wall seconds [min-max]; ratios of medians "
               "(lower is better for vm/...)")
    for arch, a in report["archs"].items():
        engines = a["vm_engines"]
        has_q = "qemu" in a["runners"]
        head = ["workload", "arch", "native s"] + ["vm:%s s" % e for e in engines]
        if has_q:
            head.append("qemu s")
        for e in engines:
            head.append("%s/native" % e)
            if has_q:
                head.append("%s/qemu" % e)
        if has_q:
            head.append("qemu/native")
        rows = []
        gm = {h: [] for h in head}
        for name, row in a["workloads"].items():
            cells = [name, arch, fmt_t(row.get("native"))]
            cells += [fmt_t(row.get(e)) for e in engines]
            if has_q:
                cells.append(fmt_t(row.get("qemu")))
            for e in engines:
                x = ratio(row.get(e), row.get("native"))
                gm["%s/native" % e].append(x)
                cells.append("%.2f" % x if x else "-")
                if has_q:
                    y = ratio(row.get(e), row.get("qemu"))
                    gm["%s/qemu" % e].append(y)
                    cells.append("%.2f" % y if y else "-")
            if has_q:
                z = ratio(row.get("qemu"), row.get("native"))
                gm["qemu/native"].append(z)
                cells.append("%.2f" % z if z else "-")
            rows.append(cells)
        g = ["geomean", arch, ""] + [""] * len(engines) + ([""] if has_q else [])
        a["geomean"] = {}
        partial = False
        for h in head[len(g):]:
            v = geomean(gm[h])
            k = len([x for x in gm[h] if x])
            a["geomean"][h] = {"value": v, "workloads": k, "of": len(gm[h])}
            # A geomean over fewer workloads than the table is not comparable.
            g.append(("%.2f" % v + ("" if k == len(gm[h]) else " (%d/%d)" % (k, len(gm[h]))))
                     if v else "-")
            partial = partial or (v and k < len(gm[h]))
        rows.append(g)
        widths = [max(len(str(r[i])) for r in [head] + rows) for i in range(len(head))]
        out.append("")
        out.append("  ".join(h.ljust(widths[i]) for i, h in enumerate(head)))
        out.append("  ".join("-" * w for w in widths))
        for r in rows:
            if r[0] == "geomean":
                out.append("  ".join("-" * w for w in widths))
            out.append("  ".join(str(c).ljust(widths[i]) for i, c in enumerate(r)))
        if partial:
            out.append("note: (k/n) geomean over the k workloads that ran correctly, not all n")
        for n in a["notes"]:
            out.append("note: " + n)
        for name, row in a["workloads"].items():
            for lab, c in row.items():
                if "error" in c:
                    out.append("FAIL: %s %s %s: %s" % (arch, lab, name, c["error"]))
        m = a["micro"]
        mips = m.get("interp_mips")
        if mips:
            out.append("")
            out.append("guest MIPS (counted 10-instruction loop, run at two sizes, "
                       "instructions / time difference):")
            if "note" in mips:
                mips = {"-": {"error": mips["note"]}}
            for lab, v in mips.items():
                if v.get("mips"):
                    out.append("  %-14s %8.1f MIPS  (%d guest insns in %.3f s)%s" % (
                        lab, v["mips"], v["guest_insns"], v["seconds"],
                        "  " + v["warning"] if "warning" in v else ""))
                else:
                    out.append("  %-14s %s" % (lab, v.get("error", "no result")))
        jc = m.get("jit_compile") or "not measured"
        out.append("JIT compile time per block: %s" % (
            jc if isinstance(jc, str) else ""))
        if not isinstance(jc, str):
            for lab, lines in jc.items():
                for l in lines:
                    out.append("  %s: %s" % (lab, l))
        if "system" in m:
            print_system(m["system"], out)
        else:
            out.append("TLB hit/miss cost, Linux boot time: %s" % m["tlb"])
    print("\n".join(out), flush=True)


# -- System mode: Linux boot time and TLB cost (riscv64) -------------------------------

SYS_IMG = os.path.join(TOP, "images", "cache", "riscv64")
SYS_FW = "opensbi/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin"
BOOT_MARKER = b"vm-initramfs: boot ok"
# The initramfs (scripts/mkinitrd.sh) prints the marker, runs vm.cmd and powers
# off. Not "quiet": the kernel's own lines give the milestones below.
BOOT_APPEND = "console=ttyS0 vm.cmd=true"
SYS_ENGINES = [("interp", ["-accel", "interp"]), ("jit", ["-accel", "jit"])]
QEMU_SYSTEM = "qemu-system-riscv64"
TLB_RE = re.compile(r"tlb: cpu (\d+): (\d+) lookups, (\d+) hits, (\d+) misses, hit rate ([0-9.]+)%"
                    r"(?:, (\d+) flushes, (\d+) page flushes, (\d+) asid flushes)?")
TICK_NS = 100.0  # virt machine timebase: 10 MHz in vm and QEMU


def sys_images(args):
    """(kernel, firmware, initrd) for the boot benchmark, fetching and building
    them as tests/integration/boot.sh does; or (None, reason)."""
    kernel = os.path.join(SYS_IMG, "linux-kernel", "Image")
    fw = os.path.join(SYS_IMG, SYS_FW)
    bb = os.path.join(SYS_IMG, "busybox-static", "usr", "bin", "busybox")
    initrd = os.path.join(args.build, "images", "initrd-riscv64.cpio.gz")
    if not all(os.path.exists(x) for x in (kernel, fw, bb, os.path.join(SYS_IMG, "linux-modules.ok"))):
        log("bench: fetching the riscv64 kernel, OpenSBI and busybox (scripts/fetch-images.sh)")
        r = run_cmd(["sh", os.path.join(TOP, "scripts", "fetch-images.sh"), "riscv64"], 1800)
        if r.status != 0:
            return None, "scripts/fetch-images.sh riscv64 failed: " + first_line(r.err)
    mods = sorted(glob_dirs(os.path.join(SYS_IMG, "linux-modules", "usr", "lib", "modules")))
    os.makedirs(os.path.dirname(initrd), exist_ok=True)
    r = run_cmd(["sh", os.path.join(TOP, "scripts", "mkinitrd.sh"), bb, initrd] + mods[:1], 300)
    if r.status != 0:
        return None, "scripts/mkinitrd.sh failed: " + first_line(r.err)
    return (kernel, fw, initrd), None


def glob_dirs(d):
    return [os.path.join(d, x) for x in os.listdir(d)] if os.path.isdir(d) else []


def boot_once(argv, timeout):
    """Boots once, timestamping every console line on arrival (host monotonic
    time from just before the exec). Returns a dict of milestones in seconds:
    first (first console byte), linux (first kernel line), init ("Run /init"),
    marker (BOOT_MARKER), exit (process end), and kernel_init, the kernel's own
    printk time stamp on its "Run /init" line."""
    res = {"argv": argv}
    with tempfile.TemporaryFile() as fe:
        t0 = time.perf_counter()
        try:
            p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                 stderr=fe, bufsize=0)
        except OSError as e:
            return {"error": str(e), "status": 127}
        timer, killed = kill_after(p, timeout)
        tail = []
        buf = b""
        while True:
            chunk = p.stdout.read1(65536) if hasattr(p.stdout, "read1") else os.read(p.stdout.fileno(), 65536)
            t = time.perf_counter() - t0
            if not chunk:
                break
            res.setdefault("first", t)
            buf += chunk
            *lines, buf = buf.split(b"\n")
            for line in lines:
                if b"] Linux version" in line or (b"Linux version" in line and "linux" not in res):
                    res.setdefault("linux", t)
                if b"Run /init as init process" in line:
                    res.setdefault("init", t)
                    m = re.search(rb"\[\s*([0-9.]+)\]", line)
                    if m:
                        res["kernel_init"] = float(m.group(1))
                if BOOT_MARKER in line:
                    res.setdefault("marker", t)
                tail = (tail + [line])[-8:]
            if BOOT_MARKER in buf:
                res.setdefault("marker", t)
        _, st, ru = os.wait4(p.pid, 0)
        res["exit"] = time.perf_counter() - t0
        timer.cancel()
        res["cpu"] = ru.ru_utime + ru.ru_stime
        code = os.waitstatus_to_exitcode(st)
        res["status"] = code if code >= 0 else 128 - code
        fe.seek(0)
        err = fe.read().decode("utf-8", "replace")
    res["stderr_tail"] = err.strip().splitlines()[-5:]
    m = TLB_RE.search(err)
    if m:
        res["tlb"] = {"lookups": int(m.group(2)), "hits": int(m.group(3)),
                      "misses": int(m.group(4)), "hit_rate": float(m.group(5))}
        if m.group(6):
            res["tlb"].update(flushes=int(m.group(6)), page_flushes=int(m.group(7)),
                              asid_flushes=int(m.group(8)))
    if killed:
        res["error"] = "timed out after %g s" % timeout
    elif "marker" not in res:
        res["error"] = "no '%s' line; status %d; console ends %r; stderr %r" % (
            BOOT_MARKER.decode(), res["status"],
            b" | ".join(tail[-2:]).decode("utf-8", "replace")[:200], " | ".join(res["stderr_tail"])[:200])
    elif res["status"] != 0:
        res["error"] = "marker seen but status %d at power-off: %s" % (
            res["status"], " | ".join(res["stderr_tail"])[:200])
    return res


def sys_engines(args, elf):
    """[(label, argv prefix)] of the vm engines for system mode, and notes. A JIT
    engine is probed on the bare-metal TLB program: a usage error means "not
    available"; anything else keeps it (a failed boot is then a FAIL)."""
    notes = []
    if not os.access(args.vm, os.X_OK):
        return [], ["%s not built" % args.vm]
    want = set(args.engines.split(",")) if args.engines else None
    out = []
    for name, opts in SYS_ENGINES:
        if want is not None and name not in want:
            continue
        if name != "interp" and elf:
            r = run_cmd([args.vm] + opts + ["-M", "virt", "-bios", "none", "-kernel", elf,
                                            "-nographic"], 120)
            err = first_line(r.err)
            if r.status != 0 and re.search(r"unknown|unsupported|invalid|not (available|supported|"
                                           r"compiled|implemented)|usage", err, re.I):
                notes.append("engine %s not available in system mode (%s)" % (name, err))
                continue
        out.append(("vm:" + name, [args.vm] + opts))
    return out, notes


def boot_bench(args, engines, notes):
    imgs, why = sys_images(args)
    if not imgs:
        return {"error": why}
    kernel, fw, initrd = imgs
    common = ["-M", "virt", "-m", "1G", "-smp", "1", "-bios", fw, "-kernel", kernel,
              "-initrd", initrd, "-append", BOOT_APPEND, "-nographic"]
    runners = [(lab, pre + ["-d", "tlb-stats"] + common) for lab, pre in engines]
    q = shutil.which(QEMU_SYSTEM) if not args.no_qemu else None
    if q:
        runners.append(("qemu", [q] + common))
        ver = run_cmd([q, "--version"], 30)
        qver = first_line(ver.out)
    elif not args.no_qemu:
        notes.append("%s not installed (apt-get install qemu-system-misc): no QEMU column" % QEMU_SYSTEM)
        qver = None
    res = {"kernel": os.path.relpath(kernel, TOP), "firmware": os.path.relpath(fw, TOP),
           "initrd": os.path.relpath(initrd, TOP), "append": BOOT_APPEND,
           "machine": "-M virt -m 1G -smp 1", "qemu_version": qver, "runs": {}}
    runs = {lab: [] for lab, _ in runners}
    failed = {}
    for i in range(args.runs):
        for lab, argv in runners:  # interleaved: vm engines, qemu, then again
            if lab in failed:
                continue
            r = boot_once(argv, args.timeout)
            if "error" in r:
                failed[lab] = r["error"]
                log("bench: boot FAIL %s: %s" % (lab, r["error"]))
                continue
            runs[lab].append(r)
            log("bench: boot %s run %d/%d: marker at %.2f s, exit at %.2f s%s" % (
                lab, i + 1, args.runs, r["marker"], r["exit"],
                ", TLB hit rate %.2f%%" % r["tlb"]["hit_rate"] if "tlb" in r else ""))
    for lab, _ in runners:
        rs = runs[lab]
        cell = {}
        if lab in failed:
            cell["error"] = failed[lab]
        if rs:
            for k in ("first", "linux", "init", "marker", "exit", "cpu", "kernel_init"):
                xs = [r[k] for r in rs if k in r]
                if xs:
                    cell[k] = median_min_max(xs)
            tl = [r["tlb"] for r in rs if "tlb" in r]
            if tl:
                cell["tlb"] = tl
        res["runs"][lab] = cell
    q = res["runs"].get("qemu", {}).get("marker")
    for lab, cell in res["runs"].items():
        if lab != "qemu" and q and "marker" in cell:
            cell["ratio_vs_qemu"] = cell["marker"]["median"] / q["median"]
    return res


def build_tlbbench(args):
    """tests/baremetal/tlbbench.c with the bare-metal tests' crt, helpers and
    linker script (the flags of tests/baremetal/build.sh)."""
    out = os.path.join(args.build, "bench", "baremetal", "tlbbench.elf")
    d = os.path.join(TOP, "tests", "baremetal")
    srcs = [os.path.join(d, f) for f in ("crt.S", "bm.c", "tlbbench.c")]
    deps = srcs + [os.path.join(d, "bm.h"), os.path.join(d, "link.ld")]
    if os.path.exists(out) and all(os.path.getmtime(out) >= os.path.getmtime(x) for x in deps):
        return out, None
    cc = os.environ.get("RV_CC", "riscv64-linux-gnu-gcc")
    if not shutil.which(cc):
        return None, "no %s to build tests/baremetal/tlbbench.c" % cc
    os.makedirs(os.path.dirname(out), exist_ok=True)
    r = run_cmd([cc, "-nostdlib", "-nostartfiles", "-static", "-march=rv64gc", "-mabi=lp64d",
                 "-mcmodel=medany", "-O2", "-ffreestanding", "-fno-pic", "-no-pie", "-Wall", "-Werror",
                 "-T", os.path.join(d, "link.ld"), "-Wl,--build-id=none", "-Wl,--no-warn-rwx-segments",
                 "-o", out] + srcs, 120)
    if r.status != 0:
        return None, "building tlbbench.elf failed: " + first_line(r.err, 300)
    return out, None


def parse_tlbbench(text):
    """{"alu"|"hit"|"miss": [ns per access per repetition]} from the program's lines."""
    per = {}
    for m in re.finditer(r"tlbbench: rep (\d+) (alu|hit|miss) ticks (\d+) accesses (\d+)", text):
        per.setdefault(m.group(2), []).append(int(m.group(3)) * TICK_NS / int(m.group(4)))
    return per


def tlb_bench(args, engines, elf):
    """Hit and miss cost per access from tests/baremetal/tlbbench.c on each vm
    engine and on qemu-system-riscv64 (same ELF, -bios none)."""
    runners = [(lab, pre + ["-d", "tlb-stats"]) for lab, pre in engines]
    q = shutil.which(QEMU_SYSTEM) if not args.no_qemu else None
    if q:
        runners.append(("qemu", [q, "-m", "128M"]))
    out = {"program": "tests/baremetal/tlbbench.c", "results": {}}
    for lab, pre in runners:
        r = run_cmd(pre + ["-M", "virt", "-bios", "none", "-kernel", elf, "-nographic"], args.timeout)
        text = r.out.decode("utf-8", "replace")
        per = parse_tlbbench(text)
        if r.status != 0 or "tlbbench: done" not in text or not all(k in per for k in ("alu", "hit", "miss")):
            out["results"][lab] = {"error": "status %d: %s" % (r.status, first_line(r.err) or first_line(r.out))}
            continue
        med = {k: statistics.median(v) for k, v in per.items()}
        cell = {"ns_per_access": {k: median_min_max(v) for k, v in per.items()},
                "hit_ns": med["hit"] - med["alu"], "miss_ns": med["miss"] - med["hit"],
                "hit_ns_min": min(per["hit"]) - min(per["alu"]),
                "miss_ns_min": min(per["miss"]) - min(per["hit"])}
        m = TLB_RE.search(r.err.decode("utf-8", "replace"))
        if m:
            cell["tlb_stats"] = {"lookups": int(m.group(2)), "hits": int(m.group(3)),
                                 "misses": int(m.group(4)), "hit_rate": float(m.group(5))}
        out["results"][lab] = cell
        log("bench: tlb %s: hit %.1f ns, miss %.1f ns" % (lab, cell["hit_ns"], cell["miss_ns"]))
    return out


def system_bench(args, do_boot=True, do_tlb=True):
    """The system-mode micro-benchmarks for riscv64: {"boot":..., "tlb":..., "notes": [...]}."""
    elf, why = build_tlbbench(args)
    notes = [] if elf else ["TLB benchmark not built: " + why]
    engines, enotes = sys_engines(args, elf)
    notes += enotes
    res = {"notes": notes, "engines": [lab for lab, _ in engines]}
    if do_tlb:
        res["tlb"] = tlb_bench(args, engines, elf) if elf else {"error": why}
    if do_boot:
        res["boot"] = boot_bench(args, engines, notes)
    return res


def fmt_m(cell, k="marker"):
    c = cell.get(k)
    return "%.2f [%.2f-%.2f]" % (c["median"], c["min"], c["max"]) if c else "-"


def print_system(sysr, out):
    """Appends the system-mode tables (boot time, TLB cost) to the lines in out."""
    b = sysr.get("boot")
    if b is not None:
        out.append("")
        if "error" in b:
            out.append("Linux boot time: not measured: " + b["error"])
        else:
            out.append("Linux boot to '%s' (riscv64, %s, %s, -append \"%s\"):" % (
                BOOT_MARKER.decode(), b["machine"], os.path.basename(b["firmware"]), b["append"]))
            out.append("host seconds from exec, median [min-max]; vm/qemu = ratio of marker medians")
            head = ["runner", "marker s", "power-off s", "Run /init s", "kernel clock at /init",
                    "cpu s", "vm/qemu", "boot TLB hit rate"]
            rows = [head]
            for lab, c in b["runs"].items():
                if "marker" not in c:
                    rows.append([lab, "FAIL", "", "", "", "", "", ""])
                    continue
                tl = c.get("tlb")
                hr = ("%.2f%% (%d lookups)" % (statistics.median(t["hit_rate"] for t in tl),
                                               int(statistics.median(t["lookups"] for t in tl)))
                      if tl else ("-" if lab == "qemu" else "not printed"))
                rows.append([lab, fmt_m(c), fmt_m(c, "exit"), fmt_m(c, "init"),
                             ("%.2f" % c["kernel_init"]["median"]) if "kernel_init" in c else "-",
                             "%.1f" % c["cpu"]["median"],
                             ("%.2f" % c["ratio_vs_qemu"]) if "ratio_vs_qemu" in c else "-", hr])
            w = [max(len(r[i]) for r in rows) for i in range(len(head))]
            for j, r in enumerate(rows):
                out.append("  ".join(x.ljust(w[i]) for i, x in enumerate(r)).rstrip())
                if j == 0:
                    out.append("  ".join("-" * x for x in w))
            for lab, c in b["runs"].items():
                if "error" in c:
                    out.append("FAIL: boot %s: %s" % (lab, c["error"]))
    t = sysr.get("tlb")
    if t is not None:
        out.append("")
        if "error" in t:
            out.append("TLB hit/miss cost: not measured: " + t["error"])
        else:
            out.append("TLB cost (%s, Sv39, S-mode; ns per access, median of 5 reps): "
                       "hit = load(16 pages) - addi, miss = load(64 pages, one slot) - hit" % t["program"])
            out.append("  %-12s %8s %8s %8s %9s %9s  %s" % ("runner", "alu", "hit-set", "miss-set",
                                                          "hit ns", "miss ns", "vm tlb-stats"))
            for lab, c in t["results"].items():
                if "error" in c:
                    out.append("  %-12s FAIL: %s" % (lab, c["error"]))
                    continue
                n = c["ns_per_access"]
                ts = c.get("tlb_stats")
                out.append("  %-12s %8.2f %8.2f %8.2f %9.2f %9.2f  %s" % (
                    lab, n["alu"]["median"], n["hit"]["median"], n["miss"]["median"],
                    c["hit_ns"], c["miss_ns"],
                    ("%d lookups, %d misses (%.2f%% hits)" % (ts["lookups"], ts["misses"], ts["hit_rate"]))
                    if ts else ("-" if lab == "qemu" else "not printed")))
    for n in sysr.get("notes", []):
        out.append("note: " + n)


def cmd_system(args):
    snap = snapshot_vm(args)
    try:
        sysr = system_bench(args, not args.no_boot, not args.no_tlb)
    finally:
        if snap:
            shutil.rmtree(snap[0], ignore_errors=True)
    report = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
              "commit": git_commit(), "runs": args.runs, "host": os.uname().nodename,
              "cpus": os.cpu_count(), "vm_sha256": snap[1] if snap else None,
              "load_avg_at_end": os.getloadavg(), "system": sysr}
    out = ["vm system-mode benchmarks  runs=%d  commit=%s  %s  vm sha256 %s" % (
        args.runs, report["commit"], report["date"], report["vm_sha256"])]
    print_system(sysr, out)
    print("\n".join(out), flush=True)
    if not args.no_json:
        os.makedirs(RESULTS, exist_ok=True)
        stamp = datetime.datetime.now().strftime("%Y-%m-%dT%H%M%S")
        path = args.json or os.path.join(RESULTS, "%s-%s-system.json" % (stamp, report["commit"]))
        with open(path, "w") as f:
            json.dump(report, f, indent=1, sort_keys=True)
            f.write("\n")
        log("bench: results written to %s" % os.path.relpath(path, TOP))
    bad = [c for c in sysr.get("boot", {}).get("runs", {}).values() if "error" in c]
    bad += [c for c in sysr.get("tlb", {}).get("results", {}).values() if "error" in c]
    return 1 if bad or "error" in sysr.get("boot", {}) or "error" in sysr.get("tlb", {}) else 0


# -- The gate: callgrind instruction counts ------------------------------------------

def callgrind_count(argv, timeout):
    """Host instructions (Ir) of argv under callgrind, summed over every
    process it execs or forks (wrapper scripts, guest fork), plus the
    command's own result and valgrind's log text."""
    with tempfile.TemporaryDirectory() as d:
        cmd = ["valgrind", "--tool=callgrind", "--trace-children=yes",
               "--callgrind-out-file=/dev/null",
               "--log-file=" + os.path.join(d, "cg.%p")] + argv
        res = run_cmd(cmd, timeout)
        text = ""
        for f in sorted(os.listdir(d)):
            text += open(os.path.join(d, f), errors="replace").read()
    counts = [int(x) for x in re.findall(r"Collected\s*:\s*(\d+)", text)]
    return (sum(counts) if counts else None), res, text


def gate_entries(args):
    """[(key, argv, workload, arch, native)] for the quick sizes."""
    host_bb = shutil.which("busybox")
    items, notes, avail = [], [], {}
    for arch in args.archs:
        ws = c_workloads(args.build, arch, args.names(arch))
        if not args.no_busybox:
            bws, why = busybox_workloads(args.build, arch, host_bb)
            ws += bws
            if why:
                notes.append("%s: busybox workloads skipped: %s" % (arch, why))
        if args.workloads:
            keep = set(args.workloads.split(","))
            ws = [w for w in ws if w.name in keep]
        probe = next((w for w in ws if w.name == "bytecode"), ws[0] if ws else None)
        engines, enotes = probe_engines(args, arch, probe)
        notes += ["%s: %s" % (arch, n) for n in enotes]
        avail[arch] = {e for e, _ in engines}
        for w in ws:
            native = run_cmd(w.native_argv("quick"), args.timeout)
            for ename, pre in engines:
                items.append(("%s/%s/%s" % (arch, ename, w.name),
                              pre + w.guest_argv("quick"), w, native))
    return items, notes, avail


def measure_all(args, items):
    def one(item):
        key, argv, w, native = item
        if not args.stand_in and not os.access(args.vm, os.X_OK):
            return key, None, "%s not built" % args.vm
        n, res, text = callgrind_count(argv, args.timeout)
        if res.status == 127 and not n:
            return key, None, "cannot run valgrind: " + first_line(res.err)
        why = check_output(w, "quick", res, native)
        if why and "cannot reserve the guest address space" in why:
            why += " [under valgrind a process gets ~32 GiB of address space]"
        if why:
            return key, None, why
        if n is None:
            return key, None, "no callgrind count (%s)" % first_line(text.encode())
        return key, n, None
    jobs = max(1, args.jobs)
    with concurrent.futures.ThreadPoolExecutor(jobs) as ex:
        return list(ex.map(one, items))


def cmd_baseline(args):
    if not shutil.which("valgrind"):
        log("bench: valgrind is not installed: cannot record a baseline")
        return 1
    items, notes, _ = gate_entries(args)
    for n in notes:
        log("bench: " + n)
    results = measure_all(args, items)
    entries, bad = {}, []
    for key, n, why in results:
        if why:
            bad.append("%s: %s" % (key, why))
        else:
            entries[key] = {"ir": n}
            log("bench: %-40s %14d host instructions" % (key, n))
    if args.stand_in and args.baseline == BASELINE:
        log("bench: refusing to write %s from the qemu stand-in (use --baseline FILE)"
            % os.path.relpath(BASELINE, TOP))
        return 1
    old = {}
    if os.path.exists(args.baseline) and args.workloads:
        old = json.load(open(args.baseline)).get("entries", {})  # partial refresh keeps the rest
    old.update(entries)
    doc = {"version": 1, "metric": "callgrind Ir of vm on the quick sizes",
           "threshold": GATE_THRESHOLD, "commit": git_commit(),
           "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
           "stand_in": bool(args.stand_in), "entries": dict(sorted(old.items()))}
    with open(args.baseline, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    log("bench: wrote %s (%d entries)" % (os.path.relpath(args.baseline, TOP), len(old)))
    for b in bad:
        log("bench: not recorded (fails): " + b)
    return 1 if bad else 0


def cmd_check(args):
    if not shutil.which("valgrind"):
        log("bench-check: valgrind is not installed: the gate cannot run")
        return 1
    base = {}
    if os.path.exists(args.baseline):
        try:
            base = json.load(open(args.baseline)).get("entries", {})
        except (OSError, ValueError, AttributeError) as e:
            log("bench-check: cannot read %s: %s" % (args.baseline, e))
            return 1
    else:
        log("bench-check: no %s yet: every entry is new (make bench-baseline)" %
            os.path.relpath(args.baseline, TOP))
    items, notes, avail = gate_entries(args)
    for n in notes:
        log("bench-check: " + n)
    t0 = time.time()
    results = measure_all(args, items)
    fails, lines = [], []
    suspects = []
    for key, n, why in results:
        if why:
            fails.append(key)
            lines.append(("FAIL", key, "-", "-", why))
            continue
        b = base.get(key, {}).get("ir")
        if not b:
            lines.append(("new", key, "-", n, "not in the baseline"))
            continue
        d = (n - b) / b
        if d > GATE_THRESHOLD:
            suspects.append((key, n, b))
            continue
        lines.append(("ok" if d >= -GATE_THRESHOLD else "faster", key, b, n, "%+.1f%%" % (100 * d)))
    if suspects:  # confirm once: counts are deterministic, but be sure
        byk = {it[0]: it for it in items}
        again = dict((k, n) for k, n, _ in measure_all(args, [byk[k] for k, _, _ in suspects]))
        for key, n, b in suspects:
            n2 = again.get(key) or n
            n = min(n, n2)
            d = (n - b) / b
            if d > GATE_THRESHOLD:
                fails.append(key)
                lines.append(("FAIL", key, b, n, "%+.1f%% host instructions (> %d%%), confirmed by a re-run"
                              % (100 * d, 100 * GATE_THRESHOLD)))
            else:
                lines.append(("ok", key, b, n, "%+.1f%% (re-run)" % (100 * d)))
    seen = {k for k, *_ in results}
    for key in base:
        if key in seen:
            continue
        arch, eng = key.split("/")[:2]
        if (arch in avail and eng not in avail[arch] and not args.stand_in
                and not (args.engines and eng not in args.engines.split(","))):
            # It ran when the baseline was taken: losing an arch or engine is a regression.
            fails.append(key)
            lines.append(("FAIL", key, base[key].get("ir"), "-",
                          "vm no longer runs %s with %s (see the notes above)" % (arch, eng)))
        else:  # filtered out, or an optional tool (busybox) is missing here
            lines.append(("absent", key, base[key].get("ir"), "-", "in the baseline, not measured here"))
    w = max([len(l[1]) for l in lines] + [8])
    print("bench-check: callgrind host instructions, quick sizes, threshold +%d%%%s" % (
        100 * GATE_THRESHOLD, "  [STAND-IN: qemu, not vm]" if args.stand_in else ""))
    print("%-7s %-*s %14s %14s  %s" % ("result", w, "arch/engine/workload", "baseline", "now", "change"))
    for st, key, b, n, msg in sorted(lines, key=lambda l: l[1]):
        print("%-7s %-*s %14s %14s  %s" % (st, w, key, b, n, msg))
    print("bench-check: %d measured in %.0f s, %d failed%s" % (
        len(results), time.time() - t0, len(fails),
        (": " + ", ".join(sorted(fails))) if fails else ""))
    return 1 if fails else 0


# -- Command line ------------------------------------------------------------------------

def main():
    # SIGTERM unwinds like Ctrl-C, so the vm snapshot's temp dir is removed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("cmd", nargs="?", default="run", choices=["run", "check", "baseline", "system"])
    ap.add_argument("--build", default=os.path.join(TOP, "build"), help="build directory")
    ap.add_argument("--archs", default=None, help="guest archs (default: TARGETS that have workloads)")
    ap.add_argument("--vm", default=None, help="vm binary (default BUILD/vm)")
    ap.add_argument("--size", default=os.environ.get("BENCH_SIZE", "full"),
                    choices=["quick", "medium", "full"], help="workload size (run only)")
    ap.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS", 5)))
    ap.add_argument("--workloads", default=None, help="comma-separated subset")
    ap.add_argument("--engines", default=None, help="comma-separated vm engines (interp,jit,jit-t1..)")
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds per run")
    ap.add_argument("--baseline", default=BASELINE, help="gate baseline file")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="parallel gate jobs")
    ap.add_argument("--stand-in", action="store_true",
                    help="run QEMU user mode in place of vm (harness testing; never a vm number)")
    ap.add_argument("--no-qemu", action="store_true")
    ap.add_argument("--no-busybox", action="store_true")
    ap.add_argument("--no-micro", action="store_true")
    ap.add_argument("--no-json", action="store_true")
    ap.add_argument("--system", action="store_true",
                    help="run: also the system-mode benchmarks (Linux boot vs qemu-system-riscv64, TLB cost)")
    ap.add_argument("--no-boot", action="store_true", help="system: leave out the Linux boot")
    ap.add_argument("--no-tlb", action="store_true", help="system: leave out the TLB micro-benchmark")
    ap.add_argument("--json", default=None, help="result file (default bench/results/DATE-COMMIT.json)")
    args = ap.parse_args()
    args.build = os.path.abspath(args.build)
    args.vm = os.path.abspath(args.vm or os.path.join(args.build, "vm"))
    if args.runs < 1:
        ap.error("--runs must be at least 1")
    if args.archs is None or not args.archs.strip():
        d = os.path.join(args.build, "bench")
        args.archs = sorted(x for x in os.listdir(d) if x not in ("native", "data")
                            and os.path.isdir(os.path.join(d, x))) if os.path.isdir(d) else []
    else:
        args.archs = args.archs.split()

    def names(arch, special=False):
        d = os.path.join(args.build, "bench", arch)
        ns = sorted(os.listdir(d)) if os.path.isdir(d) else []
        return ns if special else [n for n in ns if n not in SPECIAL]
    args.names = names
    if args.cmd == "system":
        return cmd_system(args)
    if not args.archs:
        log("bench: no benchmark binaries under %s/bench (make bench-build)" % args.build)
        return 1
    return {"run": cmd_run, "check": cmd_check, "baseline": cmd_baseline}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
