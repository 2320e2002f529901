from .auto_init import (
    instantiate_from_cls_name,
    instantiate,
    get_w_prefix,
)
from .savenload import (
    save_file,
    load_file,
    load_callable,
    atomic_write,
    finish_all_writes,
    atomic_write_group,
)
from .config import Config
from .output import Output
from .modules import find_first_of_type
from .misc import dtype_to_name, dtype_from_name, torch_default_dtype, format_type_vals
from .file_utils import download_url, extract_zip

__all__ = [
    instantiate_from_cls_name,
    instantiate,
    get_w_prefix,
    save_file,
    load_file,
    load_callable,
    atomic_write,
    finish_all_writes,
    atomic_write_group,
    Config,
    Output,
    find_first_of_type,
    dtype_to_name,
    dtype_from_name,
    torch_default_dtype,
    format_type_vals,
    download_url,
    extract_zip,
]
