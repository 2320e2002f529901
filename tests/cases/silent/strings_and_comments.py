# wandb.log({"loss": loss}) in a comment, and torch.cuda.memory_allocated() too
import wandb

DOC = """
Call wandb.log({"loss": 1.0}) and os.environ["WANDB_MODE"] = "offline" and print(loss).
"""
wandb.log({"x": 1}, step=0)
