/* SPDX-License-Identifier: MIT */
/* Guest RAM from anonymous memory, NUMA-aware: each -numa node's share is bound
 * to the host node of that number when the host has it, otherwise the whole
 * range is interleaved over the host's nodes; transparent huge pages asked for. */
#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>

#include "config.h"
#include "vm/log.h"
#include "vm/mem.h"

#ifdef HAVE_LIBNUMA
#include <numa.h>
#endif

#ifdef HAVE_LIBNUMA
/* Applies the placement policy; every failure here only costs locality. */
static void ram_place(uint8_t *p, uint64_t size, const VmNuma *nodes, int nnodes)
{
    if (numa_available() < 0) return;
    int maxnode = numa_max_node();
    if (maxnode < 1) return; /* one host node: nothing to choose */
    uint64_t off = 0;
    bool bound = false;
    for (int i = 0; i < nnodes && off < size; i++) {
        int node = nodes[i].nodeid >= 0 ? nodes[i].nodeid : i;
        uint64_t len = nodes[i].mem ? nodes[i].mem : (size - off) / (uint64_t)(nnodes - i);
        if (len > size - off) len = size - off;
        if (node <= maxnode && numa_bitmask_isbitset(numa_all_nodes_ptr, (unsigned)node)) {
            numa_tonode_memory(p + off, len, node);
            bound = true;
        } else {
            numa_interleave_memory(p + off, len, numa_all_nodes_ptr);
        }
        off += len;
    }
    if (!bound) {
        numa_interleave_memory(p, size, numa_all_nodes_ptr);
        vm_log(LOG_MMU, LOG_INFO, "ram: %llu MiB interleaved over %d host nodes",
               (unsigned long long)(size >> 20), maxnode + 1);
    } else if (off < size) {
        numa_interleave_memory(p + off, size - off, numa_all_nodes_ptr);
    }
}
#endif

uint8_t *ram_alloc(uint64_t size, const VmNuma *nodes, int nnodes)
{
    if (!size) {
        errno = EINVAL;
        return NULL;
    }
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
    if (p == MAP_FAILED) return NULL;
#ifdef MADV_HUGEPAGE
    madvise(p, size, MADV_HUGEPAGE); /* advisory: THP may be disabled on the host */
#endif
#ifdef HAVE_LIBNUMA
    ram_place(p, size, nodes, nnodes);
#else
    (void)nodes;
    (void)nnodes;
#endif
    return p;
}

void ram_free(uint8_t *p, uint64_t size)
{
    if (p) munmap(p, size);
}
