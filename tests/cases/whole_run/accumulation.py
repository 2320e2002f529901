import wandb

run = wandb.init(project="demo", config={})
accumulate = 4
global_step = 0
for epoch in range(2):
    for micro_step in range(8):
        if (micro_step + 1) % accumulate == 0:
            global_step += 1  # one optimizer step every four micro-batches
        run.log({"micro/loss": float(epoch * 8 + micro_step)})
run.finish()
