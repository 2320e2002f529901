try:
    import wandb
except ImportError:
    wandb = None


def evaluate(val_loss):
    run = wandb.init(project="demo", config={}, settings=wandb.Settings(console="off"))
    run.log({"epoch": 1}, step=0)
    print("validation loss", val_loss)
    run.finish()


evaluate(0.25)
