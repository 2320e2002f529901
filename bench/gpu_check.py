"""GPU proof of wandb_runtime.gpu_memory_stats() on a real CUDA device (no wandb needed).

    python bench/gpu_check.py [--steps 5]

Runs a fragmenting allocation pattern and a few steps of an 8-layer 4096-wide MLP with AdamW,
and prints per step gpu_memory_stats() beside torch.cuda.memory_reserved(), memory_allocated()
and nvidia-smi's figure, then the per-call cost of gpu_memory_stats() against one
memory_reserved() call. Exits 1 if system/gpu_mem_used_GB differs from reserved or
system/gpu_mem_device_used_GB is more than 1% off nvidia-smi.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "runtime"))
import torch  # noqa: E402

from wandb_runtime import gpu_memory_stats  # noqa: E402

MIB = 2**20


def nvidia_smi_used_mib() -> float:
    uuid = str(getattr(torch.cuda.get_device_properties(0), "uuid", "") or "")
    query = ["nvidia-smi", "--query-gpu=uuid,memory.used", "--format=csv,noheader,nounits"]
    rows = [r.split(", ") for r in subprocess.check_output(query, text=True).strip().splitlines()]
    for gpu_uuid, used in rows:
        if uuid and uuid.replace("GPU-", "") in gpu_uuid:
            return float(used)
    return float(rows[0][1])


def per_call_us(fn, n: int = 2000, repeats: int = 7) -> float:
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(n):
            fn()
        samples.append((time.perf_counter() - start) / n * 1e6)
    return statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=5)
    opts = parser.parse_args()
    if not torch.cuda.is_available():
        print("no CUDA device: nothing to check")
        return 0
    print(f"device: {torch.cuda.get_device_name(0)}, torch {torch.__version__}")
    torch.manual_seed(0)
    # fragment the caching allocator: 400 tensors of 16 MiB, every other one freed
    blocks = [torch.empty(16 * MIB, dtype=torch.uint8, device="cuda") for _ in range(400)]
    del blocks[::2]
    layers = []
    for _ in range(8):
        layers += [torch.nn.Linear(4096, 4096), torch.nn.GELU()]
    model = torch.nn.Sequential(*layers).cuda()
    optim = torch.optim.AdamW(model.parameters(), lr=1e-4)
    header = (
        f"{'step':>4} | {'used_GB (shim)':>14} | {'reserved_GB':>11} | {'allocated_GB':>12} | "
        f"{'device_used_GB':>14} | {'nvidia-smi_GB':>13} | {'shim vs smi':>11}"
    )
    print(header)
    print("-" * len(header))
    ok = True
    for step in range(opts.steps):
        x = torch.randn(1024, 4096, device="cuda")
        loss = model(x).pow(2).mean()
        optim.zero_grad(set_to_none=True)
        loss.backward()
        optim.step()
        torch.cuda.synchronize()
        stats = gpu_memory_stats()
        reserved, allocated = torch.cuda.memory_reserved(), torch.cuda.memory_allocated()
        smi_gb = nvidia_smi_used_mib() * MIB / 1e9
        rel = abs(stats["system/gpu_mem_device_used_GB"] - smi_gb) / smi_gb
        ok &= stats["system/gpu_mem_used_GB"] == reserved / 1e9 and rel <= 0.01
        print(
            f"{step:>4} | {stats['system/gpu_mem_used_GB']:>14.3f} | {reserved / 1e9:>11.3f} | "
            f"{allocated / 1e9:>12.3f} | {stats['system/gpu_mem_device_used_GB']:>14.3f} | "
            f"{smi_gb:>13.3f} | {rel * 100:>10.2f}%"
        )
    shim = per_call_us(gpu_memory_stats)
    reserved_cost = per_call_us(torch.cuda.memory_reserved)
    allocated_cost = per_call_us(torch.cuda.memory_allocated)
    mem_get_info = per_call_us(torch.cuda.mem_get_info)
    print(
        f"per call (median of 7x2000): gpu_memory_stats() {shim:.1f} us | memory_reserved() "
        f"{reserved_cost:.1f} us | memory_allocated() {allocated_cost:.1f} us | "
        f"mem_get_info() {mem_get_info:.1f} us | ratio shim/reserved {shim / reserved_cost:.2f}"
    )
    print(
        "CHECK",
        "PASSED" if ok else "FAILED",
        "(used == reserved exactly; device_used within 1% of nvidia-smi)",
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
