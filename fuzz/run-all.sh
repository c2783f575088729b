#!/usr/bin/env bash
# Run the fuzz targets one after another, each for SECONDS (default 600), at nice 19, with
# libFuzzer's final statistics; logs go to fuzz/logs/<target>.log. A target stops early at
# its first crash (the input is saved under fuzz/artifacts/<target>/).
#   fuzz/run-all.sh [SECONDS] [TARGET...]
set -uo pipefail
cd "$(dirname "$0")"
seconds=${1:-600}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(image_ref sanitize manifest audit_log kubeconfig)
mkdir -p logs
for t in "${targets[@]}"; do
    echo "$(date -u +%FT%TZ) start $t" >> logs/summary
    nice -n 19 cargo +nightly fuzz run -s none "$t" -- \
        -max_total_time="$seconds" -print_final_stats=1 -timeout=10 > "logs/$t.log" 2>&1
    rc=$?
    echo "$(date -u +%FT%TZ) end $t rc=$rc" >> logs/summary
done
