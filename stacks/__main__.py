"""Pulumi entry point: read ``stackyard:platform`` from the stack config and build the platform."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pulumi

from stacks.loader import CONFIG_KEY, ConfigError, parse_platform, read_stack_data
from stacks.program import build_platform


def quiet_monitor_shutdown() -> None:
    """Report the engine stopping an update as what it is, not as a crash of this program.

    When a provider fails (an unreachable cluster, say), the engine shuts the resource monitor down
    while this program still has registrations in flight. The engine answers those with UNKNOWN
    "resource monitor shut down", which the SDK only recognises as UNAVAILABLE; it would print a
    Python traceback after the real error. Mapped to a RunError, it is one line instead.
    """
    from pulumi.runtime import settings

    convert = settings.grpc_error_to_exception

    def grpc_error_to_exception(exn: Any) -> Exception:
        details = exn.details() if callable(getattr(exn, "details", None)) else None
        if "resource monitor shut down" in str(details or ""):
            return pulumi.RunError("the engine stopped the update (see the error above)")
        return convert(exn)

    settings.grpc_error_to_exception = grpc_error_to_exception


def main() -> None:
    quiet_monitor_shutdown()
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
