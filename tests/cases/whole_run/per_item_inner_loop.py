import wandb

run = wandb.init(project="demo", config={})
global_step = 0
for epoch in range(3):
    global_step += 1
    for sample in range(3):
        run.log({"sample/score": float(epoch * 3 + sample)})  # every sample at one step
run.finish()
