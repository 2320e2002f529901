"""A LoRA-style training script in two phases on one W&B run (issue 17, WB101's fix judged for
the whole run). Written for this test in the shape of the real script the issue reports (a
search of the public-code corpus did not find that script): ``pretrain()`` trains the base
model, ``finetune()`` freezes it and trains low-rank adapters, each counting its own
``global_step`` from 0, and ``main()`` calls both. Logging ``step=global_step`` in both phases
drops the second phase's rows (wandb refuses a step lower than the current one).
"""

import torch
import torch.nn as nn

import wandb

EPOCHS = 2
BATCHES = 4


class LoRALinear(nn.Module):
    def __init__(self, base: nn.Linear, rank: int = 2, alpha: float = 4.0):
        super().__init__()
        self.base = base
        self.lora_a = nn.Parameter(torch.randn(rank, base.in_features) * 0.01)
        self.lora_b = nn.Parameter(torch.zeros(base.out_features, rank))
        self.scale = alpha / rank

    def forward(self, x):
        return self.base(x) + (x @ self.lora_a.T @ self.lora_b.T) * self.scale


def batches(seed):
    g = torch.Generator().manual_seed(seed)
    for _ in range(BATCHES):
        x = torch.randn(8, 16, generator=g)
        yield x, x.sum(dim=1, keepdim=True)


def pretrain(model):
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2)
    global_step = 0
    for epoch in range(EPOCHS):
        for x, y in batches(epoch):
            loss = nn.functional.mse_loss(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            global_step += 1
            wandb.log({"pretrain/loss": loss.item(), "pretrain/epoch": epoch})
    return model


def finetune(model):
    for p in model.parameters():
        p.requires_grad_(False)
    lora = LoRALinear(model)
    opt = torch.optim.AdamW([lora.lora_a, lora.lora_b], lr=5e-3)
    global_step = 0
    for epoch in range(EPOCHS):
        for x, y in batches(100 + epoch):
            loss = nn.functional.mse_loss(lora(x), 2 * y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            global_step += 1
            wandb.log({"finetune/loss": loss.item(), "finetune/epoch": epoch})
    return lora


def main():
    torch.manual_seed(0)
    wandb.init(project="lora-two-phase", config={"epochs": EPOCHS, "rank": 2})
    model = pretrain(nn.Linear(16, 1))
    finetune(model)
    wandb.finish()


if __name__ == "__main__":
    main()
