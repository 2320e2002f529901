try:
    import wandb
except ImportError:
    wandb = None

run = wandb.init(project="demo", mode="offline", config={})
for step in range(3):
    run.log({"loss": 1.0 / (step + 1)}, step=step)
run.finish()
