#!/usr/bin/env bash
# The engine's CUDA path on a lent GPU machine (docs/gpu-check.md, shared docs/GPU-CHECK.md), against the machine's own
# PyTorch (/opt/torch/.venv). Run by the device tool from the repository root, with OUT set, as
#   bash CARRY/run-check.sh a   # carry: the .NET runtime, the app (no libtorch), the first part of ResNet18.onnx.xz
#   bash CARRY/run-check.sh b   # carry: the second part of ResNet18.onnx.xz; needs phase a's /tmp/sbgpu (warm machine)
# Two phases because one call carries at most 64 MiB with the working tree, and ResNet18.onnx alone packs to 56 MiB.
# Prepared by deploy/gpu/pack.sh. SB_DEVICE=cpu and SB_TORCHLIB=DIR rehearse it on a machine without a GPU. Every step is guarded so that a failure still leaves its output under $OUT.
set -u
PHASE=${1:?phase a or b}
C=$(cd "$(dirname "$0")" && pwd)
R=/tmp/sbgpu
S=wwwroot-assets/samples
ONNX_SHA=e2552f19db2dfdb01b3669537b6a0f1b44da38d18279535492ed5dfc2ef1ff8f
mkdir -p "$OUT" "$R"

step() { echo; echo "== $* [$(date -u +%T.%N | cut -c1-12)]"; }
now() { date +%s.%N; }

# wall-clock seconds of one stylize run; stdout (the progress jsonl) and stderr to $OUT/NAME.{jsonl,err}
stylize() {
    local name=$1; shift
    local t0 t1 rc
    t0=$(now)
    timeout 240 dotnet "$R/app/StyleBlazor.dll" stylize --device "${SB_DEVICE:-cuda}" --progress-json --seed 0 \
        --content "$S/photo-chelsea-cat.png" --style "$S/art-van-gogh-starry-night.jpg" --out "$OUT/$name.png" "$@" \
        >"$OUT/$name.jsonl" 2>"$R/$name.err"
    rc=$?
    t1=$(now)
    echo "$name: rc=$rc wall=$(python3 -c "print(f'{$t1-$t0:.2f}')") s; args: $*"
    echo "-- stderr (first 60 lines):"; head -n 60 "$R/$name.err"
    echo "-- last progress line:"; tail -n 1 "$OUT/$name.jsonl"
    python3 - "$OUT/$name.jsonl" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
rows = [r for r in rows if "iteration" in r and "elapsed" in r]
if len(rows) >= 12:
    a, b = rows[10], rows[-1]
    print(f"   iterations {a['iteration']}..{b['iteration']}: {(b['elapsed'] - a['elapsed']) / (b['iteration'] - a['iteration']):.4f} s/it; "
          f"elapsed at it 1: {rows[1]['elapsed']:.3f} s, at the end: {b['elapsed']:.3f} s; final J {b['J']}")
else:
    print(f"   {len(rows)} progress rows")
EOF
    return $rc
}

phase_a() {
    step "nvidia-smi"
    nvidia-smi 2>&1 | tee "$OUT/nvidia-smi.txt"
    nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv 2>&1

    step "unpack the .NET runtime and the app into $R"
    rm -rf "$R/dotnet" "$R/app"; mkdir -p "$R/dotnet" "$R/app"
    tar -C "$R/dotnet" -xJf "$C/dotnet-runtime.tar.xz" && tar -C "$R/app" -xJf "$C/app.tar.xz" || { echo "unpack failed"; return 1; }
    cp "$C/onnx.part-a" "$R/onnx.part-a"
    du -sh "$R/dotnet" "$R/app"

    step "the machine's PyTorch"
    TL=${SB_TORCHLIB:-$(python3 -c 'import torch, os; print(os.path.dirname(torch.__file__))')/lib}
    echo "TL=$TL"; ls "$TL" | head -40
    python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available(), "cudnn", torch.backends.cudnn.version(), "cxx11abi", torch.compiled_with_cxx11_abi())'
    echo "$TL" >"$R/torchlib"

    local L=$R/app/runtimes/linux-x64/native/libLibTorchSharp.so
    step "ldd -r libLibTorchSharp.so against PyTorch's libraries"
    LD_LIBRARY_PATH=$TL ldd -r "$L" >"$R/ldd.txt" 2>&1
    grep -v "undefined symbol" "$R/ldd.txt" | head -20
    echo "undefined symbols: $(grep -c 'undefined symbol' "$R/ldd.txt")"
    grep 'undefined symbol' "$R/ldd.txt" | head -40 | c++filt
    step "dlopen libtorch_cuda.so then libLibTorchSharp.so (RTLD_NOW) from Python"
    LD_LIBRARY_PATH=$TL python3 -c "
import ctypes, os
ctypes.CDLL('$TL/libtorch_cuda.so', os.RTLD_NOW | os.RTLD_GLOBAL); print('libtorch_cuda.so loaded')
ctypes.CDLL('$L', os.RTLD_NOW | os.RTLD_GLOBAL); print('libLibTorchSharp.so loaded')
" 2>&1 | c++filt

    export DOTNET_ROOT=$R/dotnet PATH=$R/dotnet:$PATH LD_LIBRARY_PATH=$TL DOTNET_CLI_TELEMETRY_OPTOUT=1
    step "dotnet"
    dotnet --list-runtimes

    step "VGG19, the article's loop: random weights, 512 px, 100 iterations, CUDA"
    if stylize vgg19-512 --backbone vgg19 --random-weights --size 512 --iterations 100; then
        step "the same, bfloat16"
        stylize vgg19-512-bf16 --backbone vgg19 --random-weights --size 512 --iterations 100 --precision bfloat16
        nvidia-smi --query-gpu=memory.used,memory.total --format=csv
    else
        step "failed: the loader's view (LD_DEBUG=libs, torch/cuda lines)"
        LD_DEBUG=libs timeout 120 dotnet "$R/app/StyleBlazor.dll" stylize --device cuda --backbone vgg19 --random-weights \
            --size 64 --iterations 1 --content "$S/photo-chelsea-cat.png" --style "$S/art-van-gogh-starry-night.jpg" \
            --out "$R/x.png" >"$R/lddebug.txt" 2>&1
        grep -E -i "torch|cuda|c10|error|undefined|fatal" "$R/lddebug.txt" | grep -v -E "search path|trying file" | head -c 8000000 >"$OUT/lddebug-torch.txt"
        grep -E -i "error|undefined|fatal|warning" "$R/lddebug.txt" | head -40
        tail -n 20 "$R/lddebug.txt"
    fi
}

phase_b() {
    step "still warm?"
    if [ ! -x "$R/dotnet/dotnet" ] || [ ! -f "$R/onnx.part-a" ]; then echo "cold machine: phase a's $R is gone"; return 1; fi
    TL=$(cat "$R/torchlib")
    export DOTNET_ROOT=$R/dotnet PATH=$R/dotnet:$PATH LD_LIBRARY_PATH=$TL DOTNET_CLI_TELEMETRY_OPTOUT=1
    step "ResNet18.onnx"
    mkdir -p "$R/app/models"
    cat "$R/onnx.part-a" "$C/onnx.part-b" | xz -d >"$R/app/models/ResNet18.onnx"
    echo "sha256 $(sha256sum "$R/app/models/ResNet18.onnx" | cut -c1-64) (expected $ONNX_SHA)"
    step "ResNet18, the default recipe at 512 px, CUDA (first run: a fresh process, as the CLI runs)"
    stylize default-512 --size 512
    step "the same again (a second fresh process)"
    stylize default-512-run2 --size 512
    nvidia-smi --query-gpu=memory.used,memory.total --format=csv
}

set -o pipefail
"phase_$PHASE" 2>&1 | tee "$OUT/log-$PHASE.txt"
