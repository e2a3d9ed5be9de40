"""Blueprints: Jinja2 templates of whole platforms, rendered into a stack config file.

Each ``<name>.yaml.j2`` starts with a Jinja comment holding YAML front matter: a one-line
``description`` and its ``parameters`` (each with a default and help). Rendering is deterministic
(strict undefined variables, no clock, no randomness) and the result is validated by the same
model as any hand-written stack file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

import jinja2
import yaml

_FRONT_MATTER = re.compile(r"\A\{#(.*?)#\}\n", re.S)


@dataclass(frozen=True)
class Parameter:
    name: str
    default: Any
    help: str

    def parse(self, text: str) -> Any:
        """Turn a ``--set`` string into the parameter's type (that of its default)."""
        if isinstance(self.default, bool):
            if text.lower() in ("true", "yes", "1", "on"):
                return True
            if text.lower() in ("false", "no", "0", "off"):
                return False
            raise BlueprintError(f"parameter {self.name}: expected true or false, got {text!r}")
        if isinstance(self.default, int):
            try:
                return int(text)
            except ValueError:
                raise BlueprintError(
                    f"parameter {self.name}: expected a whole number, got {text!r}"
                ) from None
        return text


@dataclass(frozen=True)
class Blueprint:
    name: str
    description: str
    parameters: tuple[Parameter, ...]
    template: str

    def parameter(self, name: str) -> Parameter:
        for p in self.parameters:
            if p.name == name:
                return p
        allowed = ", ".join(p.name for p in self.parameters)
        raise BlueprintError(f"blueprint {self.name} has no parameter {name!r}; parameters: {allowed}")

    def render(self, stack: str, overrides: dict[str, str] | None = None) -> str:
        values: dict[str, Any] = {p.name: p.default for p in self.parameters}
        for key, text in (overrides or {}).items():
            values[key] = self.parameter(key).parse(text)
        env = jinja2.Environment(
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
            autoescape=False,
        )
        body = _FRONT_MATTER.sub("", self.template, count=1)
        return env.from_string(body).render(stack=stack, **values)


class BlueprintError(Exception):
    pass


def _load(name: str, text: str) -> Blueprint:
    match = _FRONT_MATTER.match(text)
    if match is None:
        raise BlueprintError(f"blueprint {name}: missing front matter comment")
    meta = yaml.safe_load(match.group(1))
    params = tuple(
        Parameter(key, spec["default"], spec["help"]) for key, spec in (meta.get("parameters") or {}).items()
    )
    return Blueprint(name, meta["description"], params, text)


def all_blueprints() -> dict[str, Blueprint]:
    found = {}
    for entry in sorted(resources.files("blueprints").iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml.j2"):
            name = entry.name.removesuffix(".yaml.j2")
            found[name] = _load(name, entry.read_text("utf-8"))
    return found


def get(name: str) -> Blueprint:
    blueprints = all_blueprints()
    if name not in blueprints:
        raise BlueprintError(f"no blueprint {name!r}; blueprints: {', '.join(blueprints)}")
    return blueprints[name]
