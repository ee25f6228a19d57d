/*
 * Counts libtorch's OpenMP parallel regions and the time spent inside them, for docs/performance.md ("OpenMP's
 * waits"): with OMP_WAIT_POLICY=PASSIVE (the app's Engine:OpenMpWait Sleep) every region wakes its sleeping workers,
 * so the region count times the wake-up cost is what sleeping adds to a run. Preloaded beside the Docker image's
 * preloads, it prints one line to stderr when the process exits:
 *
 *   gcc -shared -fPIC -O2 -o bench/out/openmp_regions.so bench/native/openmp_regions.c -ldl
 *   LD_PRELOAD="... $PWD/bench/out/openmp_regions.so" dotnet StyleBlazor.dll stylize --content C --style S --out o.png
 *
 * libtorch loads its own libgomp (libgomp-<hash>.so.1, the hash changing with each libtorch) with dlopen, outside the
 * global scope, so the real GOMP_parallel is looked up in whichever loaded library has "/libgomp" in its path (as
 * OpenMpWaits.LibgompLoaded tells whether it is loaded).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef void (*gomp_parallel_fn)(void (*)(void *), void *, unsigned, unsigned);

static gomp_parallel_fn real_parallel;
static atomic_long regions;
static atomic_long nanoseconds_inside;

static long now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000L + t.tv_nsec;
}

static int find_libgomp(struct dl_phdr_info *info, size_t size, void *path)
{
    (void)size;
    if (info->dlpi_name && strstr(info->dlpi_name, "/libgomp"))
    {
        *(const char **)path = info->dlpi_name;
        return 1;
    }
    return 0;
}

void GOMP_parallel(void (*fn)(void *), void *data, unsigned num_threads, unsigned flags)
{
    if (!real_parallel)
    {
        const char *path = NULL;
        dl_iterate_phdr(find_libgomp, &path);
        void *libgomp = path ? dlopen(path, RTLD_NOW | RTLD_NOLOAD) : NULL;
        real_parallel = (gomp_parallel_fn)dlsym(libgomp ? libgomp : RTLD_NEXT, "GOMP_parallel");
        if (!real_parallel)
        {
            fprintf(stderr, "openmp_regions: GOMP_parallel was called, but no loaded libgomp has it\n");
            abort();
        }
    }
    long start = now_ns();
    real_parallel(fn, data, num_threads, flags);
    atomic_fetch_add(&nanoseconds_inside, now_ns() - start);
    atomic_fetch_add(&regions, 1);
}

__attribute__((destructor)) static void report(void)
{
    if (regions > 0)
        fprintf(stderr, "OpenMP parallel regions: %ld, %.3f s inside them\n", (long)regions, nanoseconds_inside / 1e9);
}
