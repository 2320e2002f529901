import wandb

run = wandb.init(project="demo", config={})
global_step = 0
for epoch in range(3):
    for batch in range(4):
        global_step += 1
        run.log({"train/loss": 1.0 / global_step})
    run.log({"eval/acc": 0.1 * epoch})
run.finish()
