// The trainer: phases, logging, checkpoints, sample grids, metrics.
