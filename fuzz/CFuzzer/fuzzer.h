#ifndef GANTRY_CFUZZER_H
#define GANTRY_CFUZZER_H
// libFuzzer's mutation entry point, callable from a custom mutator (its runtime, linked by
// swiftc -sanitize=fuzzer, defines it).
#include <stddef.h>
#include <stdint.h>
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t maxSize);
#endif
