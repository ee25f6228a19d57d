# StyleBlazor container. CPU by default; a GPU image with:
#   docker build --build-arg TORCH_BACKEND=cuda -t styleblazor:cuda .
#   docker run --gpus all -p 8080:8080 -v styleblazor-data:/app/data styleblazor:cuda
# The cuda build restores TorchSharp-cuda-linux from nuget.org (not served on the project's own machines).
ARG TORCH_BACKEND=cpu

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
ARG TORCH_BACKEND
WORKDIR /src
COPY Directory.Build.props Directory.Build.targets Directory.Packages.props StyleBlazor.sln ./
COPY build/ build/
COPY StyleBlazor.Engine/StyleBlazor.Engine.csproj StyleBlazor.Engine/
COPY StyleBlazor/StyleBlazor.csproj StyleBlazor/
RUN dotnet restore StyleBlazor/StyleBlazor.csproj -r linux-x64 -p:PublishReadyToRun=true -p:TorchBackend=${TORCH_BACKEND}
COPY StyleBlazor.Engine/ StyleBlazor.Engine/
COPY StyleBlazor/ StyleBlazor/
COPY wwwroot-assets/ wwwroot-assets/
# ReadyToRun: precompiled code, so the first job after a (re)start does not pay for JIT compilation (its first frame
# came 610-641 ms after submission instead of 671-1155 ms; docs/performance.md).
RUN dotnet publish StyleBlazor/StyleBlazor.csproj -c Release --no-restore -r linux-x64 --self-contained false \
    -p:PublishReadyToRun=true -p:TorchBackend=${TORCH_BACKEND} -o /app

# MKL (libtorch's BLAS) keeps its AVX-512 kernels for Intel CPUs; this answers its vendor check on AMD too, where the
# Gram matrices then take half the time and the engine's Winograd convolutions pay (build/native/mkl_intel_code_paths.c).
# Built on the runtime image's own libc.
FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS native
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc libc6-dev \
    && rm -rf /var/lib/apt/lists/*
COPY build/native/mkl_intel_code_paths.c /native/
RUN gcc -shared -fPIC -O2 -o /native/libmkl_intel_code_paths.so /native/mkl_intel_code_paths.c

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
# jemalloc serves libtorch's tensors: the engine keeps freed memory for reuse (no page faulted twice) and with jemalloc
# its peak is steady and the lowest measured (VGG19 512²: 992 MiB with Winograd, 805 without, in every run, against
# 974-1336 with glibc; docs/performance.md).
RUN apt-get update \
    && apt-get install -y --no-install-recommends libjemalloc2 \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app ./
COPY --from=native /native/libmkl_intel_code_paths.so /usr/local/lib/
ENV LD_PRELOAD="/usr/lib/x86_64-linux-gnu/libjemalloc.so.2 /usr/local/lib/libmkl_intel_code_paths.so" \
    ASPNETCORE_URLS=http://+:8080 \
    Results__DataDirectory=/app/data \
    Backbones__ModelsDirectory=/app/models
VOLUME ["/app/data", "/app/models"]
EXPOSE 8080
USER $APP_UID
ENTRYPOINT ["dotnet", "StyleBlazor.dll"]
