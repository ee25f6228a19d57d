#!/usr/bin/env bash
# Builds the two carried folders for deploy/gpu/run-check.sh (docs/gpu-check.md) under DEST (default .gpucarry, which
# must be git-ignored: echo /.gpucarry/ >> .git/info/exclude). c1: the shared .NET runtime (trimmed of the debugger,
# alternative-GC and XML/VB/Data assemblies the CLI never loads), the framework-dependent app without libtorch, and the
# first part of ResNet18.onnx.xz; c2: the rest of it.
set -euo pipefail
DEST=${1:-.gpucarry}
SPLIT=${SPLIT:-12200000}
W=$(mktemp -d)
dotnet publish StyleBlazor/StyleBlazor.csproj -c Release -o "$W/pub" --self-contained false
mkdir -p "$W/app/runtimes/linux-x64/native" "$W/app/models" "$W/dotnet" "$DEST/c1" "$DEST/c2"
(cd "$W/pub" && tar -cf - --exclude=./runtimes --exclude=./models --exclude=./wwwroot --exclude=./wwwroot-assets \
    --exclude=./ru --exclude=./web.config --exclude=./StyleBlazor.staticwebassets.endpoints.json .) | tar -xf - -C "$W/app"
cp "$W/pub/runtimes/linux-x64/native/libLibTorchSharp.so" "$W/pub/runtimes/linux-x64/native/libe_sqlite3.so" "$W/app/runtimes/linux-x64/native/"
ROOT=$(dirname "$(readlink -f "$(command -v dotnet)")")
(cd "$ROOT" && tar -cf - dotnet host/fxr shared/Microsoft.NETCore.App shared/Microsoft.AspNetCore.App) | tar -xf - -C "$W/dotnet"
(cd "$W/dotnet"/shared/Microsoft.NETCore.App/* && rm -f libmscordaccore.so libmscordbi.so libclrgcexp.so libclrgc.so \
    libcoreclrtraceptprovider.so createdump System.Private.Xml.dll System.Private.Xml.Linq.dll Microsoft.VisualBasic.Core.dll \
    Microsoft.VisualBasic.dll System.Data.Common.dll System.Private.DataContractSerialization.dll System.Linq.Parallel.dll System.Xml*.dll)
(cd "$W/dotnet" && tar -cf - dotnet host shared) | xz -9 -T0 >"$DEST/c1/dotnet-runtime.tar.xz"
(cd "$W/app" && tar -cf - .) | xz -9 -T0 >"$DEST/c1/app.tar.xz"
xz -9 -T0 -c "$W/pub/models/ResNet18.onnx" >"$W/onnx.xz"
head -c "$SPLIT" "$W/onnx.xz" >"$DEST/c1/onnx.part-a"
tail -c +"$((SPLIT + 1))" "$W/onnx.xz" >"$DEST/c2/onnx.part-b"
cp deploy/gpu/run-check.sh "$DEST/c1/"; cp deploy/gpu/run-check.sh "$DEST/c2/"
rm -rf "$W"
du -b "$DEST"/c1/* "$DEST"/c2/*
