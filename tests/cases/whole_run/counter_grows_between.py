import wandb

run = wandb.init(project="demo", config={})
global_step = 0
for epoch in range(3):
    for batch in range(4):
        global_step += 1
        run.log({"train/loss": float(global_step)})
        if global_step % 2 == 0:
            run.log({"train/grad_norm": float(-global_step)})
    run.log({"eval/loss": float(epoch)})
run.finish()
