import wandb

run = wandb.init(project="demo", config={})
run.log({"model/params_M": 1.2})
for global_step in range(5):
    run.log({"train/loss": 1.0 / (global_step + 1)})
