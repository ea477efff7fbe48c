#include "CWorkerPool.h"

// The function of a Swift closure `(Range<Int>, Int) -> Void`: the range's bounds and the
// worker, with the closure's context in the Swift context register.
typedef __attribute__((swiftcall)) void (*GantryPartFunction)(intptr_t lower, intptr_t upper, intptr_t worker,
                                                              __attribute__((swift_context)) void *context);

__attribute__((swiftcall)) void gantry_part_body_store(GantryPartBody *slot, void *function, void *context) {
    slot->function = function;
    slot->context = context;
}

__attribute__((swiftcall)) void gantry_part_body_call(const GantryPartBody *slot, intptr_t lower, intptr_t upper,
                                                      intptr_t worker) {
    ((GantryPartFunction)slot->function)(lower, upper, worker, slot->context);
}
