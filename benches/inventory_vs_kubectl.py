#!/usr/bin/env python3
"""Benchmark: `aigov inventory` against `kubectl get KIND -A -o json` for the same kinds,
both on one `aigov sim serve --scale N` started by this script, measured in the same run.

Prints wall times, the ratio aigov/kubectl (must be <= 1.0) and aigov's peak RSS
(must stay under 1 GiB). Usage: benches/inventory_vs_kubectl.py [--scale 50000] [--runs 3]
Build first: cargo build --release
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

KINDS = [
    "namespaces", "pods", "persistentvolumeclaims", "persistentvolumes", "serviceaccounts",
    "configmaps", "secrets", "services", "events", "deployments", "statefulsets", "daemonsets",
    "replicasets", "jobs", "cronjobs", "roles", "rolebindings", "clusterroles",
    "clusterrolebindings", "storageclasses", "networkpolicies", "validatingadmissionpolicies",
    "validatingadmissionpolicybindings", "notebooks", "pytorchjobs", "inferenceservices",
    "rayclusters",
]


def run_measured(argv, env):
    """Run a command; return (seconds, peak RSS in KiB, exit status)."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(argv)} failed: {stderr.strip()}")
    return elapsed, usage.ru_maxrss


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=int, default=50000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--binary", default="target/release/aigov")
    args = parser.parse_args()
    if not shutil.which("kubectl"):
        sys.exit("kubectl is not on PATH")
    workdir = tempfile.mkdtemp(prefix="aigov-bench-")
    kubeconfig = os.path.join(workdir, "kubeconfig")
    env = dict(os.environ, KUBECONFIG=kubeconfig, HOME=workdir)
    started = time.perf_counter()
    sim = subprocess.Popen(
        [args.binary, "sim", "serve", "--scale", str(args.scale), "--kubeconfig-out", kubeconfig],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    try:
        first = sim.stdout.readline().strip()
        if not first.startswith("listening on"):
            sys.exit(f"the simulator did not start: {first!r}")
        print(f"simulator with --scale {args.scale} ready in {time.perf_counter() - started:.1f}s ({first})")
        # Warm-up: kubectl's discovery cache and the server's first connections.
        subprocess.run(["kubectl", "get", "namespaces"], env=env, stdout=subprocess.DEVNULL, check=True)
        run_measured([args.binary, "inventory"], env)

        aigov_times, aigov_rss, kubectl_times = [], [], []
        for run in range(args.runs):
            seconds, rss = run_measured([args.binary, "inventory", "--format", "json"], env)
            aigov_times.append(seconds)
            aigov_rss.append(rss)
            total = 0.0
            for kind in KINDS:
                seconds, _ = run_measured(["kubectl", "get", kind, "-A", "-o", "json"], env)
                total += seconds
            kubectl_times.append(total)
            print(f"run {run + 1}: aigov inventory {aigov_times[-1]:.2f}s (peak {rss / 1024:.0f} MiB), "
                  f"kubectl get x{len(KINDS)} kinds {total:.2f}s")
        aigov = statistics.median(aigov_times)
        kubectl = statistics.median(kubectl_times)
        peak = max(aigov_rss) / 1024
        print()
        print(f"median aigov inventory:           {aigov:.2f}s")
        print(f"median kubectl (same kinds, -A):  {kubectl:.2f}s")
        print(f"ratio aigov/kubectl:              {aigov / kubectl:.3f}  (target <= 1.0)")
        print(f"aigov peak RSS:                   {peak:.0f} MiB  (target < 1024 MiB)")
        ok = aigov <= kubectl and peak < 1024
        print("PASS" if ok else "FAIL")
        return 0 if ok else 1
    finally:
        sim.terminate()
        sim.wait()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
