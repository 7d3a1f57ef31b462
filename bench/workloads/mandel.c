/* SPDX-License-Identifier: MIT */
/* Double-precision FP: Mandelbrot set, counting iterations per pixel (mul,
 * add, compare-and-branch). Size = image width and height. */
#include "bench.h"

int main(int argc, char **argv)
{
    long n = bench_size(argc, argv, 48, 980, 3100);
    const int maxit = 100;
    uint64_t total = 0;
    uint32_t h = 0;
    for (long y = 0; y < n; y++) {
        double ci = 2.0 * y / n - 1.0;
        for (long x = 0; x < n; x++) {
            double cr = 2.5 * x / n - 2.0;
            double zr = 0, zi = 0, zr2 = 0, zi2 = 0;
            int it = 0;
            while (it < maxit && zr2 + zi2 <= 4.0) {
                zi = 2.0 * zr * zi + ci;
                zr = zr2 - zi2 + cr;
                zr2 = zr * zr;
                zi2 = zi * zi;
                it++;
            }
            total += it;
            h = h * 31 + it;
        }
    }
    printf("mandel n=%ld iterations=%llu checksum=%08x\n", n,
           (unsigned long long)total, h);
    return 0;
}
