#!/usr/bin/env python3
"""Benchmark: `aigov audit --watch --format jsonl` on `aigov sim serve --scale N`.

Measures, in one run on one simulator:
- how long after a watch event reaches aigov its finding delta is printed: for each of
  --events pod creations (image `:latest`) and deletions, the time from the line's `seen_at`
  (when aigov saw the batch's first event) to the moment this script reads the line, median
  and p99 (same machine, same clock);
- beside it, in the same run, a full evaluation of the same snapshot: the `evaluated_in_ms`
  aigov reports at `synced` (the evaluator's first, full pass), and the ratio;
- the watching process's memory (VmRSS, VmHWM) once synced and at the end.

Targets (issue 14): median under 100 ms, p99 under 250 ms at --scale 150000.

Usage: benches/watch_at_scale.py [--scale 150000] [--events 100]
       (build first: cargo build --release; needs kubectl on PATH)
"""
import argparse
import json
import os
import queue
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime

AIGOV = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "target", "release", "aigov"))


def memory(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = int(value.split()[0]) // 1024
    return fields


def seen_at(line):
    return datetime.fromisoformat(line["seen_at"].replace("Z", "+00:00")).timestamp()


def pod(namespace, name):
    return json.dumps({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"containers": [{"name": "main", "image": "pytorch/pytorch:latest"}]},
    })


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=int, default=150000)
    parser.add_argument("--events", type=int, default=100, help="creations + deletions")
    args = parser.parse_args()
    if not shutil.which("kubectl"):
        sys.exit("kubectl is not on PATH")
    work = tempfile.mkdtemp(prefix="aigov-watch-bench-")
    kubeconfig = os.path.join(work, "kubeconfig")
    env = dict(os.environ, KUBECONFIG=kubeconfig, AIGOV_DATA_DIR=work, AIGOV_CONFIG_DIR=work)
    sim = subprocess.Popen([AIGOV, "sim", "serve", "--scale", str(args.scale),
                            "--kubeconfig-out", kubeconfig],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    watcher = None
    try:
        deadline = time.time() + 600
        while not (os.path.exists(kubeconfig) and os.path.getsize(kubeconfig) > 0):
            if time.time() > deadline:
                sys.exit("the simulator did not start")
            time.sleep(0.5)
        started = time.perf_counter()
        watcher = subprocess.Popen([AIGOV, "--kubeconfig", kubeconfig, "audit", "--watch",
                                    "--format", "jsonl", "--offline"], env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        lines = queue.Queue()

        def read():
            for text in watcher.stdout:
                lines.put((time.time(), json.loads(text)))

        threading.Thread(target=read, daemon=True).start()

        def next_line(wanted, timeout):
            end = time.time() + timeout
            while time.time() < end:
                try:
                    arrived, line = lines.get(timeout=max(0.01, end - time.time()))
                except queue.Empty:
                    break
                if wanted(line):
                    return arrived, line
            return None, None

        _, synced = next_line(lambda l: l["event"] == "synced", 900)
        if synced is None:
            sys.exit("audit --watch never synced")
        to_synced = time.perf_counter() - started
        full_ms = synced["evaluated_in_ms"]
        at_sync = memory(watcher.pid)

        namespaces = subprocess.run(["kubectl", "get", "namespaces", "-o", "name"], env=env,
                                    capture_output=True, text=True, check=True).stdout.split()
        namespace = next(n.split("/", 1)[1] for n in namespaces if "kube-" not in n)
        latencies = []
        missing = 0
        for i in range(args.events // 2):
            name = f"watch-bench-{i}"
            for verb, event in (("create", "new"), ("delete", "resolved")):
                if verb == "create":
                    subprocess.run(["kubectl", "create", "-f", "-"], input=pod(namespace, name),
                                   env=env, text=True, stdout=subprocess.DEVNULL, check=True)
                else:
                    subprocess.run(["kubectl", "delete", "pod", name, "-n", namespace,
                                    "--wait=false"], env=env, stdout=subprocess.DEVNULL, check=True)
                arrived, line = next_line(
                    lambda l: l["event"] == event and f"/{name}#" in l["finding"]["key"], 60)
                if line is None:
                    missing += 1
                    continue
                latencies.append((arrived - seen_at(line)) * 1000)
                # The other findings of the same batch (IMG-002, namespace counts) are read too.
                time.sleep(0.05)
        at_end = memory(watcher.pid)
        latencies.sort()
        median = statistics.median(latencies)
        p99 = latencies[min(len(latencies) - 1, int(round(0.99 * (len(latencies) - 1))))]
        print(f"scale {args.scale} pods; {synced['findings']} findings at the start; "
              f"synced {to_synced:.1f} s after start")
        print(f"full evaluation of the snapshot (evaluated_in_ms at synced): {full_ms} ms")
        print(f"finding delta after the event reached aigov, {len(latencies)} events "
              f"({missing} not seen): median {median:.1f} ms, p99 {p99:.1f} ms, "
              f"max {latencies[-1]:.1f} ms; targets 100 ms and 250 ms")
        print(f"ratio to a full evaluation: median {median / full_ms:.3f}, p99 {p99 / full_ms:.3f}")
        print(f"memory: {at_sync['VmRSS']} MiB at synced, {at_end['VmRSS']} MiB at the end, "
              f"peak {at_end['VmHWM']} MiB")
    finally:
        if watcher is not None:
            watcher.terminate()
            watcher.wait()
        sim.terminate()
        sim.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
