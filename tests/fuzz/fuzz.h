/* SPDX-License-Identifier: MIT */
/* Shared by the fuzz harnesses (tests/fuzz/fuzz_*.c): each defines libFuzzer's
 * entry point, LLVMFuzzerTestOneInput, and may define LLVMFuzzerInitialize.
 * The same source builds two ways: with clang -fsanitize=fuzzer (make fuzz),
 * or with replay.c's plain main that feeds it files (make check replays
 * tests/fuzz/corpus-regress/ and the seed corpus). A harness must never exit
 * or abort on bad input: that is the property being tested. */
#ifndef VM_FUZZ_H
#define VM_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Writes data to an anonymous in-memory file and returns a path that opens it
 * ("/proc/self/fd/N"), for loaders that take a file name. The previous
 * call's file is closed. NULL on failure (the input is then skipped). */
const char *fuzz_file(const uint8_t *data, size_t size);

#endif
