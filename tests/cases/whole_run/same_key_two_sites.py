import wandb

run = wandb.init(project="demo", config={})
global_step = 0
for epoch in range(3):
    for batch in range(4):
        global_step += 1
        if global_step % 2 == 0:
            run.log({"loss": float(global_step)})
    run.log({"loss": -1.0 - epoch})  # the epoch's mean, at the step of the batch loop's last log
run.finish()
