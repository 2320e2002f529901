# The corpus is real training code to lint, never tests to collect (some files are named *_test.py).
collect_ignore_glob = ["dev/*", "holdout/*", "newrules/*", "evaluate.py"]
