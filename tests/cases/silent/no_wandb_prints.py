# prints of metrics in a module that never uses wandb
import torch


def train(loss, lr, grad_norm):
    print(f"loss {loss} lr {lr} grad_norm {grad_norm}")
    print(torch.cuda.memory_allocated() < 10)
