#!/usr/bin/env bash
# Seed fuzz/corpus/<target>/ from real inputs (the corpora are not committed; see
# docs/fuzzing.md). Run it after a root `cargo build`: the audit log and kubeconfig seeds come
# from target/debug/aigov (without it they are skipped). Running it again is harmless.
#
# - every target: the tricky inputs checked in under tests/fixtures/fuzz/<target>/;
# - image_ref: every image reference in the demo platform's manifests;
# - manifest: each document of the demo platform's manifests and the RBAC rule fixtures, and
#   the files of at most 16 KiB whole; sanitize: those whole files (at most
#   16 KiB each, so executions stay fast);
# - audit_log: the audit log `aigov --demo baseline save` writes, whole and as a torn tail;
# - kubeconfig: the kubeconfig `aigov sim serve` hands out.
#
# The manifest and audit_log targets read their first byte as a mode (manifest: even = YAML,
# odd = JSON; audit_log: even = raw log bytes, odd = JSON lines to re-chain), so seeds get
# that byte prepended.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
corpus=$root/fuzz/corpus
bin=$root/target/debug/aigov
targets=(image_ref manifest audit_log kubeconfig sanitize)
for t in "${targets[@]}"; do
    mkdir -p "$corpus/$t"
    cp "$root/tests/fixtures/fuzz/$t/"* "$corpus/$t/"
done

grep -ho 'image: *[^ ]*' "$root"/src/sim/demo/*.yaml | sed "s/image: *//; s/[\"']//g" | sort -u |
    while read -r image; do
        printf '%s' "$image" > "$corpus/image_ref/demo-$(printf '%s' "$image" | sha256sum | cut -c1-12)"
    done

for f in "$root"/src/sim/demo/*.yaml "$root"/src/rules/rbac/fixtures.yaml; do
    name=$(basename "$(dirname "$f")")-$(basename "$f" .yaml)
    if [ "$(wc -c < "$f")" -le 16384 ]; then
        { printf '\0'; cat "$f"; } > "$corpus/manifest/$name"
        cp "$f" "$corpus/sanitize/$name"
    fi
    # And each document on its own.
    awk -v out="$corpus/manifest/$name-doc" 'BEGIN { n = 0; file = out n; printf "%c", 0 > file }
        /^---/ { close(file); n++; file = out n; printf "%c", 0 > file; next }
        { print > file }' "$f"
done

if [ ! -x "$bin" ]; then
    echo "no $bin: skipping the audit log and kubeconfig made by aigov (run cargo build, then this again)" >&2
    exit 0
fi
scratch=$(mktemp -d)
trap 'kill "${sim_pid:-}" 2>/dev/null || true; rm -rf "$scratch"' EXIT
AIGOV_DATA_DIR=$scratch AIGOV_CONFIG_DIR=$scratch "$bin" --demo baseline save > /dev/null
log=$scratch/audit/audit.jsonl
{ printf '\0'; cat "$log"; } > "$corpus/audit_log/demo-baseline-save"
{ printf '\0'; head -c -40 "$log"; } > "$corpus/audit_log/demo-baseline-save-torn"
{ printf '\1'; cat "$log"; } > "$corpus/audit_log/demo-baseline-save-rechained"

"$bin" sim serve --demo --kubeconfig-out "$scratch/kubeconfig" > /dev/null 2>&1 &
sim_pid=$!
for _ in $(seq 100); do [ -s "$scratch/kubeconfig" ] && break; sleep 0.1; done
cp "$scratch/kubeconfig" "$corpus/kubeconfig/simulator"
kill "$sim_pid"

for t in "${targets[@]}"; do
    echo "$t: $(ls "$corpus/$t" | wc -l) seeds"
done
