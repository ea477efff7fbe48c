// Datasets, the global sampler and the counter-based random generator.
