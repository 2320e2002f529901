"""What wandb accepts, measured on wandb 0.31 (docs/facts.md): the one source of these values.

The shim falls back on them when the running wandb cannot be asked, and flake8-wandb's rules
(WB307) read them as the values of wandb 0.31. Plain constants: importing this imports nothing.
"""

#: ``wandb.Settings.mode`` values of wandb 0.31
WANDB_MODES = ("online", "offline", "shared", "disabled", "dryrun", "run")
#: ``wandb.Settings.console`` values of wandb 0.31; ``wrap_pty`` is *not* one of them
#: (``ValidationError`` at ``wandb.init``)
CONSOLE_VALUES = ("auto", "off", "wrap", "redirect", "wrap_raw", "wrap_emu")
#: ``reinit`` string values (booleans deprecated since they exist)
REINIT_VALUES = ("default", "return_previous", "finish_previous", "create_new")
#: the first wandb release whose ``reinit`` takes the string values
REINIT_STRINGS_SINCE = (0, 19, 10)
#: the wandb version these facts were measured on
MEASURED_ON = "0.31.0"
