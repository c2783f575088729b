#!/usr/bin/env python3
"""Benchmark: the real console (`aigov --kubeconfig ...` in tmux) on `aigov sim serve --scale N`.

Measures, in one run on one simulator:
- time from start to the first evaluated data on screen ("refreshed" in the header), with
  `kubectl get pods -A -o name` on the same simulator as the baseline (ratio printed);
- the console's resident memory once the data is shown and after the watchers have started
  (VmRSS and the peak VmHWM from /proc), against the 1.5 GiB target;
- live updates: `kubectl create namespace` three times, and the time until the Namespaces
  view counts it, against the 2 s target, with kubectl's own create time as the baseline.

Usage: benches/console_at_scale.py [--scale 100000]   (build first: cargo build --release)
Needs tmux and kubectl on PATH.
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

SOCKET = "aigov-bench"


def tmux(*args):
    return subprocess.run(["tmux", "-L", SOCKET, *args], capture_output=True, text=True).stdout


def screen():
    return tmux("capture-pane", "-p", "-t", "bench")


def wait_for(predicate, timeout, step=0.05):
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        if predicate():
            return time.perf_counter() - start
        time.sleep(step)
    return None


def memory(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = int(value.split()[0]) // 1024
    return fields


def console_pid(kubeconfig):
    out = subprocess.run(["pgrep", "-f", f"^{re.escape(AIGOV)} --kubeconfig {re.escape(kubeconfig)}"],
                         capture_output=True, text=True).stdout.split()
    return int(out[0]) if out else None


def namespace_count():
    match = re.search(r"Namespaces \[(\d+)\]", screen())
    return int(match.group(1)) if match else None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=int, default=100000)
    args = parser.parse_args()
    for tool in ("tmux", "kubectl"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is not on PATH")
    work = tempfile.mkdtemp(prefix="aigov-bench-")
    kubeconfig = os.path.join(work, "kubeconfig")
    env = dict(os.environ, KUBECONFIG=kubeconfig, AIGOV_DATA_DIR=work, AIGOV_CONFIG_DIR=work)
    sim = subprocess.Popen([AIGOV, "sim", "serve", "--scale", str(args.scale),
                            "--kubeconfig-out", kubeconfig],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        if wait_for(lambda: os.path.exists(kubeconfig) and os.path.getsize(kubeconfig) > 0, 300, 0.5) is None:
            sys.exit("the simulator did not start")
        start = time.perf_counter()
        subprocess.run(["kubectl", "get", "pods", "-A", "-o", "name"], env=env,
                       stdout=subprocess.DEVNULL, check=True)
        kubectl_pods = time.perf_counter() - start

        tmux("kill-server")
        tmux("new-session", "-d", "-s", "bench", "-x", "160", "-y", "48",
             f"AIGOV_DATA_DIR={work} AIGOV_CONFIG_DIR={work} {AIGOV} --kubeconfig {kubeconfig}")
        first_data = wait_for(lambda: "refreshed" in screen(), 300)
        if first_data is None:
            sys.exit("the console showed no data within 300 s:\n" + screen())
        pid = console_pid(kubeconfig)
        at_data = memory(pid)
        time.sleep(15)  # the watchers list every kind again as they start
        settled = memory(pid)

        tmux("send-keys", "-t", "bench", "2")
        wait_for(lambda: namespace_count() is not None, 10)
        live, creates = [], []
        for i in range(3):
            before = namespace_count()
            start = time.perf_counter()
            subprocess.run(["kubectl", "create", "namespace", f"bench-live-{i}"], env=env,
                           stdout=subprocess.DEVNULL, check=True)
            created = time.perf_counter()
            creates.append(created - start)
            shown = wait_for(lambda: (namespace_count() or 0) > before, 30, 0.02)
            live.append(None if shown is None else shown)
            time.sleep(1)
        tmux("send-keys", "-t", "bench", "q")

        print(f"scale {args.scale} pods")
        print(f"first data on screen: {first_data:.2f} s; kubectl get pods -A -o name: "
              f"{kubectl_pods:.2f} s; ratio {first_data / kubectl_pods:.2f}")
        print(f"memory with the data shown: {at_data['VmRSS']} MiB; after the watchers started: "
              f"{settled['VmRSS']} MiB, peak {settled['VmHWM']} MiB; target < 1536 MiB")
        shown = [s for s in live if s is not None]
        print("live update after kubectl create returned: "
              + ", ".join("not shown" if s is None else f"{s:.2f} s" for s in live)
              + (f" (median {statistics.median(shown):.2f} s)" if shown else "")
              + f"; kubectl create itself: median {statistics.median(creates):.2f} s; target 2 s")
    finally:
        tmux("kill-server")
        sim.terminate()
        sim.wait()
        shutil.rmtree(work, ignore_errors=True)


AIGOV = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "target", "release", "aigov"))

if __name__ == "__main__":
    main()
