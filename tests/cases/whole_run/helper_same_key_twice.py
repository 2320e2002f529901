import wandb

run = wandb.init(project="demo", config={})


def log_plots(plots, step):
    run.log({"plots": plots})


def train(loader):
    global_step = 0
    for epoch in range(3):
        for batch in loader:
            global_step += 1
            if global_step % 5 == 0:
                log_plots(batch, global_step)  # the batch loop's last one lands on an epoch end
        log_plots(-epoch - 1, global_step)


if __name__ == "__main__":
    train(list(range(10)))
    run.finish()
