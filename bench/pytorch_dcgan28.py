"""Gantry's dcgan28 training iteration in PyTorch, timed like `gantry bench step`.

The same networks as Sources/GantryTrain/Training/ModelKind.swift and ConvStack.swift (no
biases before BatchNorm, none at the ends either), the same iteration as Trainer: G forward
on noise; D forward and backward on the real batch and on the detached fake one; then D on
the fake batch with the labels flipped and backward through D into G; Adam (lr 2e-4, betas
0.5, 0.999) on D, then on G. Synthetic images in memory, batch 64 per process.

One process:   python bench/pytorch_dcgan28.py --threads T
Several (DDP): python -m torch.distributed.run --nproc_per_node N bench/pytorch_dcgan28.py
               (gloo; each process bound to one core, like mpirun's default for Gantry)

Prints one JSON object (rank 0): images_per_s per process, global_images_per_s, the median
iteration, and the largest peak resident set over the processes. Run by
launch/bench-vs-pytorch.sh.
"""
import argparse
import contextlib
import json
import os
import resource
import statistics
import time

import torch
import torch.distributed as dist
import torch.nn as nn


def generator():
    # 1 → 4 → 7 → 14 → 28
    return nn.Sequential(
        nn.ConvTranspose2d(100, 256, 4, 1, 0, bias=False), nn.BatchNorm2d(256), nn.ReLU(True),
        nn.ConvTranspose2d(256, 128, 3, 2, 1, bias=False), nn.BatchNorm2d(128), nn.ReLU(True),
        nn.ConvTranspose2d(128, 64, 4, 2, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU(True),
        nn.ConvTranspose2d(64, 1, 4, 2, 1, bias=False), nn.Tanh())


def discriminator():
    # 28 → 14 → 7 → 4 → 1
    return nn.Sequential(
        nn.Conv2d(1, 64, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, True),
        nn.Conv2d(64, 128, 4, 2, 1, bias=False), nn.BatchNorm2d(128), nn.LeakyReLU(0.2, True),
        nn.Conv2d(128, 256, 3, 2, 1, bias=False), nn.BatchNorm2d(256), nn.LeakyReLU(0.2, True),
        nn.Conv2d(256, 1, 4, 1, 0, bias=False))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=1, help="torch threads per process")
    parser.add_argument("--batch", type=int, default=64, help="samples per process")
    parser.add_argument("--steps", type=int, default=20, help="timed iterations")
    parser.add_argument("--warmup", type=int, default=3, help="untimed iterations first")
    args = parser.parse_args()

    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    if world > 1:
        # One core per process, as mpirun binds Gantry's ranks.
        cpus = sorted(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpus[int(os.environ.get("LOCAL_RANK", "0")) % len(cpus)]})
        dist.init_process_group("gloo")
    torch.set_num_threads(args.threads)
    torch.manual_seed(rank)

    G, D = generator(), discriminator()
    if world > 1:
        G, D = nn.parallel.DistributedDataParallel(G), nn.parallel.DistributedDataParallel(D)
    optimizer_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    optimizer_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    loss = nn.BCEWithLogitsLoss()
    n = args.batch
    bank = torch.rand(2 * n, 1, 28, 28) * 2 - 1
    ones, zeros = torch.ones(n), torch.zeros(n)

    def iteration(step):
        real = bank[(step % 2) * n:(step % 2 + 1) * n]
        noise = torch.randn(n, 100, 1, 1)
        fake = G(noise)
        optimizer_d.zero_grad(set_to_none=False)
        loss_d = loss(D(real).view(-1), ones) + loss(D(fake.detach()).view(-1), zeros)
        loss_d.backward()
        optimizer_d.step()
        optimizer_g.zero_grad(set_to_none=False)
        # As in Gantry, the G phase takes no D parameter gradients (and DDP reduces none).
        for p in D.parameters():
            p.requires_grad_(False)
        with D.no_sync() if world > 1 else contextlib.nullcontext():
            loss_g = loss(D(fake).view(-1), ones)
            loss_g.backward()
        for p in D.parameters():
            p.requires_grad_(True)
        optimizer_g.step()

    for step in range(args.warmup):
        iteration(step)
    if world > 1:
        dist.barrier()
    seconds = []
    for step in range(args.steps):
        start = time.perf_counter()
        iteration(args.warmup + step)
        seconds.append(time.perf_counter() - start)
    median = statistics.median(seconds)
    resident = torch.tensor([resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1000.0])  # kB → MB
    if world > 1:
        dist.all_reduce(resident, op=dist.ReduceOp.MAX)
    if rank == 0:
        print(json.dumps({"framework": "pytorch", "torch": torch.__version__, "world_size": world,
                          "threads": args.threads, "batch": n, "ms_per_iteration": 1000 * median,
                          "images_per_s": n / median, "global_images_per_s": world * n / median,
                          "peak_resident_mb": resident.item()}))
    if world > 1:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
