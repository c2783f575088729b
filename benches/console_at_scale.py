#!/usr/bin/env python3
"""Benchmark: the real console (`aigov --kubeconfig ...` in tmux) on `aigov sim serve --scale N`.

Measures, in one run on one simulator:
- time from start to the first evaluated data on screen ("refreshed" in the header), with
  `kubectl get pods -A -o name` on the same simulator as the baseline (ratio printed);
- the console's resident memory once the data is shown and after the watchers have started
  (VmRSS and the peak VmHWM from /proc), against the 1.5 GiB target. "After the watchers
  started" is when the peak has not grown for 10 s (at least 15 s after the first data), so
  a watcher that lists its kind again is counted however long that list takes;
- live updates: `kubectl create namespace` three times, and the time until the Namespaces
  view counts it, against the 2 s target, with kubectl's own create time as the baseline;
  then the memory again (each update copies the snapshot while the UI holds the old one).

Usage: benches/console_at_scale.py [--scale 100000] [--aigov PATH]
(build first: cargo build --release; the binary is PATH, else $AIGOV_BIN, else
$CARGO_TARGET_DIR/release/aigov, else target/release/aigov.) Needs tmux and kubectl on PATH.
The tmux server is private to the run, so two runs on one machine do not disturb each other.
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

SOCKET = f"aigov-bench-{os.getpid()}"


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


def settle(pid, least=15, quiet=10, most=240):
    """Sample memory until the peak has not grown for `quiet` s (after at least `least` s)."""
    start = time.perf_counter()
    peak, grown = memory(pid)["VmHWM"], start
    while True:
        time.sleep(0.5)
        now = time.perf_counter()
        current = memory(pid)
        if current["VmHWM"] > peak:
            peak, grown = current["VmHWM"], now
        if (now - start >= least and now - grown >= quiet) or now - start >= most:
            return current, grown - start


def namespace_count():
    match = re.search(r"Namespaces \[(\d+)\]", screen())
    return int(match.group(1)) if match else None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=int, default=100000)
    parser.add_argument("--aigov", default=default_aigov(), help="the aigov binary to measure")
    args = parser.parse_args()
    global AIGOV
    AIGOV = os.path.abspath(args.aigov)
    if not os.access(AIGOV, os.X_OK):
        sys.exit(f"{AIGOV} is not an executable: build it with cargo build --release -p aigov")
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
        settled, last_growth = settle(pid)

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
        after_live = memory(pid)
        tmux("send-keys", "-t", "bench", "q")

        print(f"scale {args.scale} pods; {AIGOV}")
        print(f"first data on screen: {first_data:.2f} s; kubectl get pods -A -o name: "
              f"{kubectl_pods:.2f} s; ratio {first_data / kubectl_pods:.2f}")
        print(f"memory with the data shown: {at_data['VmRSS']} MiB; after the watchers started: "
              f"{settled['VmRSS']} MiB, peak {settled['VmHWM']} MiB (last grew {last_growth:.1f} s "
              f"after the first data); target < 1536 MiB")
        print(f"memory after the live updates: {after_live['VmRSS']} MiB, peak {after_live['VmHWM']} MiB")
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


def default_aigov():
    if os.environ.get("AIGOV_BIN"):
        return os.environ["AIGOV_BIN"]
    target = os.environ.get("CARGO_TARGET_DIR") or os.path.join(os.path.dirname(__file__), "..", "target")
    return os.path.join(target, "release", "aigov")


AIGOV = default_aigov()

if __name__ == "__main__":
    main()
