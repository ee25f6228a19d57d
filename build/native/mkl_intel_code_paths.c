/*
 * Intel MKL, linked into libtorch, uses its AVX-512 kernels only on CPUs whose vendor string is "GenuineIntel"; on
 * AMD EPYC and Ryzen it falls back to a generic AVX2 path, and every matrix product (the Gram matrices of (3)-(4) and
 * their gradients) runs at half speed on CPUs that have AVX-512 (docs/performance.md). Preloaded (LD_PRELOAD), this
 * answers MKL's vendor check with "Intel". MKL still picks among its kernels by the instruction sets the CPU reports
 * (cpuid), so it only runs instructions the CPU has. The Docker image builds and preloads it; elsewhere:
 *
 *   gcc -shared -fPIC -O2 -o libmkl_intel_code_paths.so build/native/mkl_intel_code_paths.c
 *   LD_PRELOAD=$PWD/libmkl_intel_code_paths.so dotnet run --project StyleBlazor
 */
int mkl_serv_intel_cpu_true(void) { return 1; }
