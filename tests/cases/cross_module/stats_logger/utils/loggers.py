"""A project logger module: one class writes to wandb, one only buffers."""
import wandb


class WandbLogger:
    def __init__(self, args):
        self._wandb = wandb
        self.run = wandb.init(project=args.project, config=vars(args))

    def log(self, logs, step=None, commit=None):
        wandb.log(logs, step=step, commit=commit)

    def log_stats(self, stats):
        for k, v in stats.items():
            self.run.summary[k] = v

    def log_scaled(self, stats):
        for k, v in stats.items():
            self.run.summary[k] = v / 1e6  # scaled on the way: not a raw count


class WandbBuffer:
    """Named like a logger, only buffers: its log is not wandb."""

    def __init__(self):
        self.rows = []

    def log(self, logs, step=None):
        self.rows.append((step, logs))


def log_metrics(metrics, step):
    """A log helper whose step parameter is required."""
    wandb.log(metrics, step=step)


def get_num_params(m):
    return sum(p.numel() for p in m.parameters())


def model_info_for_loggers(m):
    return {"model/parameters": get_num_params(m)}


def model_info_scaled(m):
    return {"model/parameters_M": get_num_params(m) / 1e6}


def profile_model(m):
    return {"model/speed_ms": 1.0}


def model_info_profiled(m, profile):
    """The count on one branch, a dict made elsewhere on the other (ultralytics' shape)."""
    if profile:
        results = profile_model(m)
    else:
        results = {"model/parameters": get_num_params(m), "model/layers": len(list(m.children()))}
    results["model/name"] = type(m).__name__
    return results


def model_info_branches(m, profile):
    """Neither branch's dict holds a count."""
    if profile:
        results = {"model/name": type(m).__name__}
    else:
        results = {"model/parameters_M": get_num_params(m) / 1e6}
    return results


def model_info_names(m):
    return {"model/name": type(m).__name__, "model/layers": len(list(m.children()))}
