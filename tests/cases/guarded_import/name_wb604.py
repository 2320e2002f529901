try:
    import wandb
except ImportError:
    wandb = None


def main():
    run = wandb.init(project="demo", name="baseline", config={})
    for step in range(3):
        run.log({"loss": 1.0 / (step + 1)}, step=step)
    run.finish()


main()
