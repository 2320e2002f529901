"""What wandb accepts, measured on wandb 0.31 (docs/facts.md): the one source of these values.

The shim falls back on them when the running wandb cannot be asked, and flake8-wandb's rules
(WB307) read them as the values of wandb 0.31. The W&B API key formats and the names that hold a
key are here too: the linter's secrets finder (WB302, and the masking of everything wandb-fix
prints) and the shim's ``redact()`` both read them, so they cannot disagree. Plain constants and
two pure functions: importing this imports nothing but ``re``.
"""

import re

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

# -- W&B API keys (docs/facts.md, "W&B API key formats") ---------------------------------------------

#: a legacy key: 40 lowercase hex characters (the shape of a git SHA too: see ``HASH_WORDS``)
LEGACY_KEY = r"[0-9a-f]{40}"
#: a cloud key since wandb 0.22.3: ``wandb_v1_`` and 77 letters, digits and ``_`` (86 in all)
V1_KEY = r"wandb_v1_[A-Za-z0-9_]{77}"
#: an on-prem key: ``<prefix>-<secret>``; the SDK splits once on ``-`` and wants a secret of at
#: least 40 ``[\w-]`` characters. Taken as a key only when the secret is 40 or more letters and
#: digits with a digit among them (``local-<40 hex>``): a long hyphenated name
#: (``baseline-with_a_long_description_of_the_run``) is no key
ONPREM_KEY = r"[A-Za-z0-9_]{1,64}-(?=[A-Za-z]*[0-9])[A-Za-z0-9]{40,}"
#: the whole text of a string is one key, in any format
API_KEY = re.compile(rf"(?:{LEGACY_KEY}|{V1_KEY}|{ONPREM_KEY})")
#: key-shaped runs inside any text, for masking printed output: a 40-hex run (any case, any
#: length from 40), a ``wandb_v1_`` key, an on-prem key
KEY_IN_TEXT = re.compile(
    r"wandb_v1_[A-Za-z0-9_]{20,}|[0-9a-fA-F]{40,}|\b[A-Za-z0-9_]{1,64}-(?=[A-Za-z]*[0-9])[A-Za-z0-9]{40,}"
)

#: words that make a name a secret on their own (``hf_token``, ``db_password``, ``apikey``)
SECRET_WORDS = frozenset(
    ("token", "secret", "password", "passwd", "passphrase", "apikey", "credential")
)
#: words that make a following ``key`` a secret: ``api_key``, ``AWS_SECRET_ACCESS_KEY`` and the
#: services whose keys training code holds (``wandb_key``, ``WB_KEY``, ``openai_key``)
KEY_QUALIFIERS = frozenset(
    "api access private secret auth signing encryption license wandb wb openai hf huggingface"
    " anthropic cohere comet neptune mlflow github gh gitlab aws gcp azure google slack stripe"
    " replicate together groq mistral gemini".split()
)
#: tokenizer settings that hold a token's text, not a credential (``pad_token: "<pad>"``)
TEXT_TOKENS = frozenset(("pad", "eos", "bos", "unk", "sep", "cls", "mask"))
#: names of a W&B key in particular: they contain one of these and ``key`` or ``token``
WANDB_WORDS = frozenset(("wandb", "wb"))
#: names whose 40-hex value is a hash, not a key: a git SHA, a checksum, a run or commit id
HASH_WORDS = frozenset(
    "sha sha1 sha256 hash hashes commit commits revision rev git head digest checksum md5 id"
    " ids uuid version fingerprint etag ref".split()
)
#: environment variables holding a W&B key
KEY_ENV_VARS = ("WANDB_API_KEY",)


def name_words(name: object) -> list:
    """The words of a name, lower case, plurals of secrets singular (``tokens`` stays: it is
    mostly a count): ``wandbApiKeys2`` -> wandb, api, key, 2."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Za-z])(?=[0-9])", " ", str(name))
    words = [w for w in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if w]
    return [w[:-1] if w in ("keys", "secrets", "credentials", "passwords") else w for w in words]


def is_secret_name(name: object) -> bool:
    """A name that holds a credential, by whole words: ``api_key``, ``WANDB_KEY``, ``openai_key``,
    ``api_keys``, ``hf_tokens``, ``api_key2``, ``clientSecret``, ``db_password``; never by a
    substring (``tokenizer``, ``max_new_tokens``, ``num_keypoints``, ``monkey_patch``,
    ``pad_token``, ``sort_key``)."""
    words = name_words(name)
    for i, word in enumerate(words):
        if word in SECRET_WORDS:
            if word == "token" and i > 0 and words[i - 1] in TEXT_TOKENS:
                continue
            return True
        if word in ("key", "tokens") and i > 0 and words[i - 1] in KEY_QUALIFIERS:
            return True  # ``hf_tokens``, but not ``max_new_tokens``
    return False


def is_wandb_key_name(name: object) -> bool:
    """A name for a W&B key in particular: ``WANDB_KEY``, ``wandb_api_key``, ``wb_token``,
    ``WANDB_API_KEY_PROD``."""
    low = str(name).lower()
    if "wb" not in low and "wandb" not in low:  # the cheap question first: no W&B word
        return False
    words = set(name_words(name))
    return bool(words & WANDB_WORDS) and bool(words & {"key", "token", "apikey"})


def is_hash_name(name: object) -> bool:
    """A name for a hash: ``GIT_SHA``, ``revision``, ``commit_id``, ``run_id``."""
    return bool(set(name_words(name)) & HASH_WORDS)


def is_api_key(value: object) -> bool:
    """A string that is, in whole, a W&B API key in one of its formats."""
    return isinstance(value, str) and API_KEY.fullmatch(value) is not None
