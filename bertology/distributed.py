"""DDP set-up from ``torchrun``'s environment, in a few lines (as nanoGPT does).

Run on 2 CPU processes (gloo) or 8 GPUs (NCCL) with the same command::

    torchrun --nproc_per_node 2 -m bertology.cli pretrain --config configs/world-tiny.yaml --out RUN

Without ``RANK``/``WORLD_SIZE`` in the environment everything here is a no-op single process.
Only rank 0 writes files; the others wait at barriers where rank 0 builds shared state
(the tokenizer, the token cache, checkpoints).
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass

import torch
import torch.distributed as dist

from bertology.models import resolve_device


@dataclass
class DistContext:
    """This process's place in the job."""

    rank: int = 0
    world: int = 1
    local_rank: int = 0
    device: torch.device = torch.device("cpu")  # noqa: RUF009
    started_here: bool = False  # whether this module created the process group

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def enabled(self) -> bool:
        return self.world > 1

    def barrier(self) -> None:
        if self.enabled:
            dist.barrier()

    def all_reduce_sum(self, t: torch.Tensor) -> torch.Tensor:
        """Sum of ``t`` over ranks (in place; returns it)."""
        if self.enabled:
            dist.all_reduce(t, op=dist.ReduceOp.SUM)
        return t

    def gather_tensors(self, t: torch.Tensor) -> list[torch.Tensor]:
        """Every rank's ``t`` (same shape and dtype on all ranks), on every rank."""
        if not self.enabled:
            return [t]
        out = [torch.empty_like(t) for _ in range(self.world)]
        dist.all_gather(out, t)
        return out

    def broadcast_flag(self, flag: bool) -> bool:
        """Rank 0's ``flag`` on every rank."""
        if not self.enabled:
            return flag
        t = torch.tensor([int(flag)], device=self.device if self.device.type == "cuda" else "cpu")
        dist.broadcast(t, 0)
        return bool(t.item())

    def close(self, sync: bool = True) -> None:
        """Tear the process group down.

        With ``sync`` (the normal path) all ranks meet at a barrier first, so no rank tears
        down while a peer still talks to it (gloo can abort a process whose peer vanished).
        Pass ``sync=False`` when leaving on an error, where the other ranks may never arrive.
        """
        if self.started_here and dist.is_initialized():
            if sync:
                dist.barrier()
            dist.destroy_process_group()


def init_distributed(device: str = "auto") -> DistContext:
    """A :class:`DistContext` from ``RANK``/``WORLD_SIZE``/``LOCAL_RANK`` (set by ``torchrun``).

    The backend is NCCL when the job runs on CUDA, gloo otherwise. ``device="auto"`` picks
    ``cuda:LOCAL_RANK`` when CUDA is there.
    """
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local = int(os.environ.get("LOCAL_RANK", "0"))
    dev = resolve_device(device)
    if dev.type == "cuda" and dev.index is None:
        dev = torch.device("cuda", local if world > 1 else 0)
    if dev.type == "cuda":
        torch.cuda.set_device(dev)
    if world <= 1:
        return DistContext(device=dev)
    started = False
    if not dist.is_initialized():
        backend = "nccl" if dev.type == "cuda" else "gloo"
        dist.init_process_group(backend=backend, timeout=datetime.timedelta(minutes=60))
        started = True
    return DistContext(rank=rank, world=world, local_rank=local, device=dev, started_here=started)


def gather_bytes(data: bytes) -> list[bytes]:
    """Every rank's ``data`` (any length), on every rank, in rank order.

    A pickle-free ``all_gather_object``: lengths are gathered first, then the zero-padded byte
    buffers. Without an initialised process group it returns ``[data]``.
    """
    if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() == 1:
        return [data]
    world = dist.get_world_size()
    nccl = dist.get_backend() == "nccl"
    dev = torch.device("cuda", torch.cuda.current_device()) if nccl else torch.device("cpu")
    n = torch.tensor([len(data)], dtype=torch.int64, device=dev)
    lengths = [torch.empty_like(n) for _ in range(world)]
    dist.all_gather(lengths, n)
    sizes = [int(t.item()) for t in lengths]
    buf = torch.zeros(max(sizes), dtype=torch.uint8, device=dev)
    if data:
        buf[: len(data)] = torch.frombuffer(bytearray(data), dtype=torch.uint8).to(dev)
    parts = [torch.empty_like(buf) for _ in range(world)]
    dist.all_gather(parts, buf)
    return [t[:k].cpu().numpy().tobytes() for t, k in zip(parts, sizes, strict=True)]
