"""Reading stack files into a PlatformConfig, with one precise message per problem.

Every problem names the file, the line, the field path (``clusters[1].node_pools[0].gpu.count``),
the value given and what is allowed. Nothing here raises anything but :class:`ConfigError`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path as FilePath
from typing import Any

import yaml
from pydantic import ValidationError

from components.settings import DNS1123_LABEL, LABEL_KEY, LABEL_VALUE, QUANTITY
from stacks.config import Path, PlatformConfig, Problem, check_platform

CONFIG_KEY = "stackyard:platform"

_PATTERN_HELP = {
    DNS1123_LABEL: "lowercase letters, digits and '-', starting and ending with a letter or digit",
    QUANTITY: "a Kubernetes quantity such as 500m, 4, 16Gi",
    LABEL_KEY: "a Kubernetes label key such as team or example.com/tier",
    LABEL_VALUE: "a Kubernetes label value: up to 63 letters, digits, '-', '_' or '.'",
    r"^[0-9]+(s|m|h|d|w|y)$": "a duration such as 30s, 15d",
    r"^1\.[0-9]{2}$": "a Kubernetes minor version such as 1.34",
}

_MESSAGES = {
    "greater_than_equal": "must be >= {ge}",
    "greater_than": "must be > {gt}",
    "less_than_equal": "must be <= {le}",
    "less_than": "must be < {lt}",
    "int_parsing": "must be a whole number",
    "int_type": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_parsing": "must be a number",
    "float_type": "must be a number",
    "bool_parsing": "must be true or false",
    "bool_type": "must be true or false",
    "string_type": "must be a string",
    "string_too_long": "must be at most {max_length} characters",
    "string_too_short": "must be at least {min_length} characters",
    "too_short": "must have at least {min_length} item(s)",
    "list_type": "must be a list",
    "dict_type": "must be a mapping",
    "model_type": "must be a mapping of settings",
    "model_attributes_type": "must be a mapping of settings",
}


@dataclass(frozen=True)
class Located:
    """A problem placed in its file."""

    file: str
    line: int | None
    problem: Problem

    def render(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        path = format_path(self.problem.path)
        text = f"{where}: {path}: {self.problem.message}" if path else f"{where}: {self.problem.message}"
        if self.problem.has_value:
            text += f" (got {_show(self.problem.value)})"
        return text


class ConfigError(Exception):
    """The config cannot be used; ``problems`` holds every reason found."""

    def __init__(self, problems: Sequence[Located]) -> None:
        self.problems = list(problems)
        super().__init__(self.render())

    def render(self) -> str:
        return "\n".join(p.render() for p in self.problems)


def format_path(path: Path) -> str:
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def _show(value: Any) -> str:
    if value is None:
        return "nothing"
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= 80 else text[:77] + "..."


def _yaml_loader() -> type[yaml.SafeLoader]:
    class Loader(yaml.SafeLoader):
        pass

    # A bare '=' is a plain string in YAML 1.2; PyYAML (1.1) would choke on it.
    Loader.add_constructor("tag:yaml.org,2002:value", lambda loader, node: loader.construct_scalar(node))  # type: ignore[arg-type]
    return Loader


def _line_of(root: yaml.Node | None, path: Sequence[str | int]) -> int | None:
    """The 1-based line of the deepest node the path reaches."""
    node = root
    line = None if node is None else node.start_mark.line + 1
    for part in path:
        nxt: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                    nxt = value
                    line = key.start_mark.line + 1
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            nxt = node.value[part]
            line = nxt.start_mark.line + 1
        if nxt is None:
            break
        node = nxt
    return line


def _clean_loc(loc: Sequence[str | int], data: Any) -> Path:
    """Drop the union tags pydantic puts in locations (provider.aws.region -> provider.region)."""
    out: list[str | int] = []
    node = data
    for part in loc:
        is_tag = isinstance(node, Mapping) and isinstance(part, str) and part not in node
        if is_tag and (part in (node.get("kind"), node.get("type")) or str(part).startswith("function-")):
            continue
        out.append(part)
        if isinstance(node, Mapping):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            node = None
    return tuple(out)


def _child(node: Any, part: str | int) -> tuple[Any, bool]:
    if isinstance(node, Mapping) and part in node:
        return node[part], True
    if isinstance(node, list) and isinstance(part, int) and part < len(node):
        return node[part], True
    return None, False


def _value_at(data: Any, path: Path) -> tuple[Any, bool]:
    node = data
    for part in path:
        node, found = _child(node, part)
        if not found:
            return None, False
    return node, True


def problems_from_validation(exc: ValidationError, data: Any) -> list[Problem]:
    problems = []
    for err in exc.errors(include_url=False):
        path = _clean_loc(err["loc"], data)
        ctx = err.get("ctx") or {}
        message = err["msg"]
        if err["type"] == "unknown_setting":
            path = (*path, str(ctx["key"]))
            value, has_value = None, False
            if len(ctx.get("keys", [])) > 1:
                message += f" (also unknown: {', '.join(ctx['keys'][1:])})"
        elif err["type"] == "missing":
            message, value, has_value = "required setting is missing", None, False
        else:
            value, has_value = _value_at(data, path)
            if err["type"] == "string_pattern_mismatch":
                pattern = str(ctx.get("pattern", ""))
                message = "must be " + _PATTERN_HELP.get(pattern, f"a string matching {pattern}")
            elif err["type"] in _MESSAGES:
                message = _MESSAGES[err["type"]].format(**ctx)
            elif message.startswith("Value error, "):
                message = message[len("Value error, ") :]
        problems.append(Problem(path, message, value, has_value))
    return problems


def parse_platform(
    data: Any, source: str, root: yaml.Node | None = None, prefix: Path = ()
) -> PlatformConfig:
    """Validate plain data into a PlatformConfig or raise ConfigError naming every problem."""

    def locate(problems: list[Problem]) -> ConfigError:
        return ConfigError([Located(source, _line_of(root, (*prefix, *p.path)), p) for p in problems])

    try:
        cfg = PlatformConfig.model_validate(data)
    except ValidationError as exc:
        raise locate(problems_from_validation(exc, data)) from None
    problems = check_platform(cfg)
    if problems:
        raise locate(problems)
    return cfg


def read_stack_data(path: FilePath) -> tuple[Any, yaml.Node | None]:
    """The raw ``stackyard:platform`` value of a stack file, and the YAML node tree for lines."""
    name = str(path)
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise ConfigError(
            [Located(name, None, Problem((), f"cannot read: {exc.strerror}", has_value=False))]
        ) from None
    loader = _yaml_loader()
    try:
        document = yaml.load(text, Loader=loader)
        root = yaml.compose(text, Loader=loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(
            [Located(name, line, Problem((), f"invalid YAML: {reason}", has_value=False))]
        ) from None
    config = document.get("config") if isinstance(document, dict) else None
    if not isinstance(config, dict) or CONFIG_KEY not in config:
        raise ConfigError(
            [
                Located(
                    name,
                    1,
                    Problem(
                        (),
                        f"no `config: {{{CONFIG_KEY}: ...}}` section; a stack file keeps the "
                        "platform under that key",
                        has_value=False,
                    ),
                )
            ]
        )
    return config[CONFIG_KEY], root


def load_stack_file(path: FilePath) -> PlatformConfig:
    data, root = read_stack_data(path)
    return parse_platform(data, str(path), root, ("config", CONFIG_KEY))
