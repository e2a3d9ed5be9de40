"""The ``stackyard`` command line.

Exit codes: 0 success, 2 invalid input (config, blueprint, arguments), 1 anything else. Bad input
never shows a traceback: every message names the file, the field path, the value and what is
allowed. Heavy modules (Pulumi, cloud SDKs) load only in the commands that need them.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from stacks.localcluster import LocalCluster

T = TypeVar("T")

app = typer.Typer(
    name="stackyard",
    help="One typed config for a whole AI platform on Kubernetes.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)

INVALID = 2


def fail(message: str, code: int = INVALID) -> NoReturn:
    err.print(message, markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def _load(path: Path):  # type: ignore[no-untyped-def]
    from stacks.loader import ConfigError, load_stack_file

    try:
        return load_stack_file(path)
    except ConfigError as exc:
        fail(exc.render())


@app.command()
def blueprints() -> None:
    """List the blueprints, one line each."""
    from blueprints import all_blueprints

    table = Table(show_header=True, header_style="bold", box=None)
    table.add_column("blueprint")
    table.add_column("description")
    for name, bp in all_blueprints().items():
        table.add_row(name, bp.description)
    out.print(table)


@app.command()
def new(
    blueprint: Annotated[str, typer.Argument(help="Blueprint name (see `stackyard blueprints`).")],
    stack: Annotated[str, typer.Option("--stack", help="Stack (environment) name.")],
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="Blueprint parameter KEY=VALUE (repeatable).")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing stack file.")] = False,
    stacks_dir: Annotated[Path, typer.Option("--dir", help="Directory of stack files.")] = Path("stacks"),
    show: Annotated[bool, typer.Option("--show", help="Print the blueprint's parameters and exit.")] = False,
) -> None:
    """Render a blueprint into stacks/Pulumi.STACK.yaml (validated before it is written)."""
    import yaml

    from blueprints import BlueprintError, get
    from stacks.loader import CONFIG_KEY, ConfigError, parse_platform

    if not stack or not all(c.isalnum() or c in "-_." for c in stack):
        fail(f"--stack: {stack!r} is not a valid stack name (letters, digits, '-', '_', '.')")
    try:
        bp = get(blueprint)
        if show:
            for p in bp.parameters:
                out.print(
                    f"{p.name} = {p.default!r}  # {p.help}", markup=False, highlight=False, soft_wrap=True
                )
            return
        overrides: dict[str, str] = {}
        for item in set_ or []:
            key, sep, value = item.partition("=")
            if not sep:
                fail(f"--set {item!r}: expected KEY=VALUE")
            overrides[key.strip()] = value
        text = bp.render(stack, overrides)
    except BlueprintError as exc:
        fail(str(exc))
    target = stacks_dir / f"Pulumi.{stack}.yaml"
    try:
        data = yaml.safe_load(text)
        parse_platform(data["config"][CONFIG_KEY], f"{target} (from blueprint {blueprint})")
    except ConfigError as exc:
        fail(exc.render())
    if target.exists() and not force:
        fail(f"{target} exists; pass --force to overwrite it")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    out.print(f"wrote {target} from blueprint {blueprint}", markup=False, highlight=False, soft_wrap=True)


@app.command()
def validate(
    paths: Annotated[list[Path], typer.Argument(help="Stack config files.")],
) -> None:
    """Validate stack config files: exit 0 when all are valid, 2 with one message per problem."""
    from stacks.loader import ConfigError, load_stack_file

    bad = 0
    for path in paths:
        try:
            cfg = load_stack_file(path)
        except ConfigError as exc:
            bad += 1
            err.print(exc.render(), markup=False, highlight=False, soft_wrap=True)
            continue
        out.print(
            f"{path}: valid ({len(cfg.clusters)} cluster(s), {len(cfg.teams)} team(s))",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    if bad:
        raise typer.Exit(INVALID)


@app.command()
def synth(
    path: Annotated[Path, typer.Argument(help="Stack config file.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Output directory.")] = Path("out"),
) -> None:
    """Synthesize offline (Pulumi mocks): DIR/inventory.json and DIR/manifests/<cluster>/*.yaml."""
    cfg = _load(path)
    from stacks.synth import synthesize, write_output

    stack = path.name.removeprefix("Pulumi.").removesuffix(".yaml")
    counts = write_output(synthesize(cfg, stack), out_dir)
    out.print(
        f"{path}: {counts['resources']} resources, {counts['manifests']} Kubernetes objects -> {out_dir}",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


@app.command()
def schema() -> None:
    """Print the JSON Schema of the platform config (for editors' YAML language server)."""
    from stacks.config import PlatformConfig

    print(json.dumps(PlatformConfig.model_json_schema(), indent=2, sort_keys=True))


@app.command()
def cost(path: Annotated[Path, typer.Argument(help="Stack config file.")]) -> None:
    """Hourly and monthly GPU cost per cluster and pool, and the burst order with its reasons."""
    cfg = _load(path)
    from stacks.cost import cost_report, render

    out.print(render(cost_report(cfg)), markup=False, highlight=False, soft_wrap=True)


crds_app = typer.Typer(help="Upstream CRDs used to check custom resources.", no_args_is_help=True)
app.add_typer(crds_app, name="crds")


@crds_app.command("fetch")
def crds_fetch(target: Annotated[Path, typer.Argument(help="Directory to write into.")]) -> None:
    """Download the pinned upstream CRDs (needs the internet); then set STACKYARD_CRD_DIR."""
    from stacks.crds import fetch_upstream

    written = fetch_upstream(target)
    out.print(f"wrote {len(written)} CRD files under {target}", markup=False, highlight=False, soft_wrap=True)


cluster_app = typer.Typer(help="A stack's local cluster (kwok, or kind with Docker).", no_args_is_help=True)
app.add_typer(cluster_app, name="cluster")
StackOpt = Annotated[str, typer.Option("--stack", help="Stack name: reads stacks/Pulumi.STACK.yaml.")]
StacksDirOpt = Annotated[Path, typer.Option("--dir", help="Directory of stack files.")]


def _local_cluster(stack: str, stacks_dir: Path) -> LocalCluster:
    from stacks.localcluster import LocalClusterError, plan

    cfg = _load(stacks_dir / f"Pulumi.{stack}.yaml")
    try:
        return plan(cfg, stack)
    except LocalClusterError as exc:
        fail(str(exc))


def _cluster_step(fn: Callable[[LocalCluster], T], lc: LocalCluster) -> T:
    from stacks.localcluster import LocalClusterError

    try:
        return fn(lc)
    except LocalClusterError as exc:
        fail(str(exc), code=1)


@cluster_app.command("up")
def cluster_up(stack: StackOpt, stacks_dir: StacksDirOpt = Path("stacks")) -> None:
    """Create the stack's local cluster and its fake nodes (a no-op when it is up)."""
    from stacks.localcluster import up

    lc = _local_cluster(stack, stacks_dir)
    done = _cluster_step(up, lc) or [f"cluster {lc.name} is up; nothing to do"]
    for line in done:
        out.print(line, markup=False, highlight=False, soft_wrap=True)


@cluster_app.command("down")
def cluster_down(stack: StackOpt, stacks_dir: StacksDirOpt = Path("stacks")) -> None:
    """Delete the stack's local cluster and its kubeconfig."""
    from stacks.localcluster import down

    for line in _cluster_step(down, _local_cluster(stack, stacks_dir)):
        out.print(line, markup=False, highlight=False, soft_wrap=True)


@cluster_app.command("status")
def cluster_status(stack: StackOpt, stacks_dir: StacksDirOpt = Path("stacks")) -> None:
    """Whether the API server answers, and the nodes (exit 1 when it does not answer)."""
    from stacks.localcluster import status

    lc = _local_cluster(stack, stacks_dir)
    answers, nodes = _cluster_step(status, lc)
    if not answers:
        fail(f"cluster {lc.name}: the API server does not answer ({lc.kubeconfig})", code=1)
    out.print(f"cluster {lc.name}: API server answers ({lc.kubeconfig})", markup=False, highlight=False)
    for line in nodes:
        out.print(f"  {line}", markup=False, highlight=False, soft_wrap=True)


@cluster_app.command("kubeconfig")
def cluster_kubeconfig(stack: StackOpt, stacks_dir: StacksDirOpt = Path("stacks")) -> None:
    """Print the path of the kubeconfig the stack's local cluster writes (for kubectl)."""
    kubeconfig = _local_cluster(stack, stacks_dir).kubeconfig
    out.print(str(kubeconfig), markup=False, highlight=False, soft_wrap=True)


@app.command()
def recover(stack: StackOpt) -> None:
    """Make a stack updatable after an interrupted `pulumi up`: remove a stale lock, clear pending
    operations after reading the live state back (run it only when no update is in progress)."""
    from stacks.recover import RecoverError
    from stacks.recover import recover as run_recovery

    try:
        rec = run_recovery(stack)
    except RecoverError as exc:
        fail(str(exc), code=1)
    if rec.pending:
        out.print(f"stack {stack}: {len(rec.pending)} pending operation(s):", markup=False, highlight=False)
        for line in rec.pending:
            out.print(f"  {line}", markup=False, highlight=False, soft_wrap=True)
    for line in rec.actions or [f"stack {stack}: no stale lock and no pending operations; nothing to do"]:
        out.print(line, markup=False, highlight=False, soft_wrap=True)
    if rec.needed:
        out.print("next: `pulumi up` converges the stack", markup=False, highlight=False)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
