#!/usr/bin/env bash
# Installs the PyTorch peer for the benchmark from Debian packages (no pip: PyPI is unreachable here) and makes
# OpenBLAS (OpenMP build) the active BLAS. Without it Debian's python3-torch falls back to the reference BLAS and
# is about 4x slower, which would flatter the app. Also jemalloc, which the Docker image preloads for the app and the
# bench preloads for both sides (the malloc=jemalloc rows), and the MKL library the image preloads for the app. Idempotent; run as root (or with sudo).
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

export DEBIAN_FRONTEND=noninteractive
if ! dpkg -s python3-torch libopenblas0-openmp libjemalloc2 gcc libc6-dev >/dev/null 2>&1; then
  $SUDO apt-get update
  $SUDO apt-get install -y --no-install-recommends python3-torch libopenblas0-openmp libjemalloc2 gcc libc6-dev
fi

# The MKL vendor-check answer the Docker image preloads for the app (build/native/mkl_intel_code_paths.c).
mkdir -p bench/out
gcc -shared -fPIC -O2 -o bench/out/libmkl_intel_code_paths.so build/native/mkl_intel_code_paths.c

# The OpenMP variant must be the libblas.so.3 / liblapack.so.3 alternative (Debian may pick pthread or the reference).
arch_dir=/usr/lib/x86_64-linux-gnu
for lib in libblas.so.3 liblapack.so.3; do
  name="${lib}-x86_64-linux-gnu"
  want="$arch_dir/openblas-openmp/$lib"
  if [ -e "$want" ]; then
    $SUDO update-alternatives --set "$name" "$want"
  else
    echo "warning: $want not found; $name stays as it is" >&2
  fi
done

echo "== BLAS alternatives =="
update-alternatives --query libblas.so.3-x86_64-linux-gnu | grep -E '^(Value|Best):' || true
update-alternatives --query liblapack.so.3-x86_64-linux-gnu | grep -E '^(Value|Best):' || true

echo "== what the peer's Python uses =="
/usr/bin/python3 - <<'PY'
import os, re
import numpy, torch
print("torch", torch.__version__, "numpy", numpy.__version__)
print("torch threads (default)", torch.get_num_threads(), "interop", torch.get_num_interop_threads())
# The BLAS library the process actually mapped (the alternative resolves to one of these).
libs = set()
with open("/proc/self/maps") as maps:
    for line in maps:
        m = re.search(r"(/\S*(blas|lapack|gomp|mkl)\S*)", line)
        if m: libs.add(os.path.realpath(m.group(1)))
for lib in sorted(libs): print("mapped:", lib)
cfg = torch.__config__.show()
for line in cfg.splitlines():
    if "BLAS" in line or "LAPACK" in line or "OpenMP" in line: print("torch config:", line.strip())
# numpy links libblas.so.3, i.e. the alternative above: the "mapped:" lines show which BLAS that resolves to.
numpy.dot(numpy.ones((64, 64)), numpy.ones((64, 64)))
PY
