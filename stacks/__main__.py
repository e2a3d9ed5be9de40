"""Pulumi entry point: read ``stackyard:platform`` from the stack config and build the platform."""

from __future__ import annotations

from pathlib import Path

import pulumi

from stacks.loader import CONFIG_KEY, ConfigError, parse_platform, read_stack_data
from stacks.program import build_platform


def main() -> None:
    stack_file = Path("stacks") / f"Pulumi.{pulumi.get_stack()}.yaml"
    data = pulumi.Config("stackyard").get_object("platform")
    root = None
    if stack_file.exists():
        try:
            _, root = read_stack_data(stack_file)
        except ConfigError:
            root = None  # line numbers are a nicety; the config itself comes from Pulumi
    if data is None:
        raise pulumi.RunError(f"{stack_file}: no `{CONFIG_KEY}` in this stack's config")
    try:
        cfg = parse_platform(data, str(stack_file), root, ("config", CONFIG_KEY))
    except ConfigError as exc:
        for problem in exc.problems:
            pulumi.log.error(problem.render())
        raise pulumi.RunError(f"{len(exc.problems)} problem(s) in the platform config") from None
    build_platform(cfg)


main()
