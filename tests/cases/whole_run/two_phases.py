import wandb

run = wandb.init(project="demo", config={})


def pretrain():
    global_step = 0
    for epoch in range(1):
        for batch in range(5):
            global_step += 1
            run.log({"pretrain/loss": 1.0 / global_step})


def finetune():
    global_step = 0
    for epoch in range(1):
        for batch in range(5):
            global_step += 1
            run.log({"finetune/loss": 0.5 / global_step})


def main():
    pretrain()
    finetune()


main()
