"""One configuration loader for every command: typed dataclass trees, YAML, ``--set``, shortcuts.

A command's settings are a dataclass whose fields are values or sections (fields whose type is
itself a dataclass), as cramming's Hydra trees. Each has an ``impl`` section for what changes
only speed or logging; everything outside ``impl`` changes the science. A run is configured, in
increasing precedence, by the defaults, a YAML file (``--config FILE`` or the name of a shipped
config), the command's shortcut flags (``--model``, ``--epochs``, ...), and ``--set key=value``::

    cfg = load(ProbeConfig, "probe.yaml", ["impl.batch_size=8"], {"model": "bert-base-cased"})

Values are typed from the dataclass annotations (``int``, ``float``, ``str``, ``bool``,
``Literal``, ``X | None``, ``list[X]``, ``tuple[X, ...]``, mappings). Every key is checked: an
unknown key gets an error listing the known keys of its section (and the closest one); a value
of the wrong type names the key, the expected type, and the file and line it came from. A key
that moved (``train.grad_accum`` -> ``impl.grad_accum``) is still read, with a warning naming
its new place. :func:`to_dict` gives the YAML written as a run's ``config.yaml``, which
follow-up commands read back through :func:`from_dict`.
"""

from __future__ import annotations

from bertology.config.coerce import coerce, type_name
from bertology.config.sources import (
    PACKAGE_CONFIGS_DIR,
    apply_moved,
    merge,
    parse_overrides,
    pop_dotted,
    read_yaml,
    resolve_config_path,
    set_dotted,
    warn,
)
from bertology.config.tree import (
    Origins,
    field_type,
    from_dict,
    is_section,
    key_of,
    known_keys,
    load,
    to_dict,
    unknown_key,
    without,
)

__all__ = [
    "PACKAGE_CONFIGS_DIR",
    "Origins",
    "apply_moved",
    "coerce",
    "field_type",
    "from_dict",
    "is_section",
    "key_of",
    "known_keys",
    "load",
    "merge",
    "parse_overrides",
    "pop_dotted",
    "read_yaml",
    "resolve_config_path",
    "set_dotted",
    "to_dict",
    "type_name",
    "unknown_key",
    "warn",
    "without",
]
