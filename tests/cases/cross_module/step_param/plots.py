"""The only call of _log_plots passes the run-wide counter, once per step: WB101's fix passes
step=step."""
import wandb

run = wandb.init(project="p", config={})


def _log_plots(plots, step):
    run.log({"plots": plots})  # WB101


def train(loader):
    global_step = 0
    for epoch in range(3):
        for batch in loader:
            global_step += 1
            if global_step % 50 == 0:
                _log_plots(batch, global_step)


if __name__ == "__main__":
    train([])
