#ifndef GANTRY_CWORKERPOOL_H
#define GANTRY_CWORKERPOOL_H
#include <stdint.h>

// WorkerPool (GantryNN) hands the body of a parallel loop, a non-escaping Swift closure
// `(Range<Int>, Int) -> Void`, to its helper threads without copying it to the heap. Swift
// itself only lets a non-escaping closure out through `withoutActuallyEscaping`, which
// allocates a checking wrapper on every call; these two functions instead keep the
// closure's two words (its function and its context) and call it from them. They use the
// Swift calling convention and are declared in Swift with `@_silgen_name`; the caller keeps
// the closure alive until every call has returned.

/// A Swift closure's function and context.
typedef struct {
    void *function;
    void *context;
} GantryPartBody;

/// Stores the closure passed (as its function and context) into `slot`.
__attribute__((swiftcall)) void gantry_part_body_store(GantryPartBody *slot, void *function, void *context);

/// Calls the closure in `slot` with the part `lower..<upper` and the worker's number.
__attribute__((swiftcall)) void gantry_part_body_call(const GantryPartBody *slot, intptr_t lower, intptr_t upper,
                                                      intptr_t worker);

#endif
