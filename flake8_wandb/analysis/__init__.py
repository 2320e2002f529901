"""The analysis layer: positions, names, flow, counters, the wandb model, secrets, project summaries."""
