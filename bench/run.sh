#!/usr/bin/env bash
# One command for the whole comparison on a quiet machine:  bench/run.sh  [extra bench flags]
#   e.g. bench/run.sh --sizes 256,512 --iterations 10 --repeats 3
# Installs the peer (Debian python3-torch + OpenBLAS/OpenMP) and jemalloc if needed, builds the bench in Release, runs app and
# peer interleaved, and writes the report to bench/out/bench-<UTC time>.md (raw JSON alongside).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! /usr/bin/python3 -c "import torch" 2>/dev/null || [ ! -e /usr/lib/x86_64-linux-gnu/libjemalloc.so.2 ] \
   || [ ! -e bench/out/libmkl_intel_code_paths.so ]; then
  bash bench/setup.sh
fi

dotnet build -c Release bench/StyleBlazor.Bench -nologo -v q
# The end-to-end section starts the app and drives it with the load command.
dotnet build -c Release StyleBlazor -nologo -v q
dotnet build -c Release tools/LoadTest -nologo -v q
mkdir -p bench/out
stamp=$(date -u +%Y%m%d-%H%M)
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
dotnet run -c Release --no-build --project bench/StyleBlazor.Bench -- "$@" --out "bench/out/bench-$stamp.json" \
  | tee "bench/out/bench-$stamp.md"
