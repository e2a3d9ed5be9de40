"""The stackyard CLI: new, validate, schema, and refusals."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from blueprints import all_blueprints
from stacks.cli import app

runner = CliRunner()


def test_blueprints_lists_each_with_a_description() -> None:
    result = runner.invoke(app, ["blueprints"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for name, bp in all_blueprints().items():
        assert name in result.output
        assert bp.description[:30] in result.output
    assert set(all_blueprints()) == {"local", "onprem-gpu", "aws-training", "gcp-serving", "hybrid-burst"}


def test_new_writes_validates_and_refuses_to_overwrite(tmp_path: Path) -> None:
    args = ["new", "local", "--stack", "dev", "--dir", str(tmp_path), "--set", "gpu_nodes=2"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    target = tmp_path / "Pulumi.dev.yaml"
    assert "nodes: [gpu-0, gpu-1]" in target.read_text()
    again = runner.invoke(app, args)
    assert again.exit_code == 2
    assert "pass --force" in again.output
    assert runner.invoke(app, [*args, "--force"]).exit_code == 0
    assert runner.invoke(app, ["validate", str(target)]).exit_code == 0


def test_new_rejects_unknown_parameters_and_bad_values(tmp_path: Path) -> None:
    bad_key = runner.invoke(app, ["new", "local", "--stack", "x", "--dir", str(tmp_path), "--set", "gpus=1"])
    assert bad_key.exit_code == 2
    assert "no parameter 'gpus'" in bad_key.output and "gpu_nodes" in bad_key.output
    bad_value = runner.invoke(
        app, ["new", "aws-training", "--stack", "x", "--dir", str(tmp_path), "--set", "gpus_per_node=3"]
    )
    assert bad_value.exit_code == 2
    assert "gpu.count: aws us-east-1 offers nvidia-h100 with 1, 8 GPUs per node (got 3)" in bad_value.output
    assert not (tmp_path / "Pulumi.x.yaml").exists()
    unknown = runner.invoke(app, ["new", "nope", "--stack", "x", "--dir", str(tmp_path)])
    assert unknown.exit_code == 2 and "blueprints: aws-training" in unknown.output


def test_schema_is_json_schema_of_the_config() -> None:
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    schema = json.loads(result.output)
    assert schema["title"] == "PlatformConfig"
    assert "clusters" in schema["required"]
    assert schema["additionalProperties"] is False


def test_cluster_kubeconfig_prints_the_path_cluster_up_writes(tmp_path: Path) -> None:
    assert runner.invoke(app, ["new", "local", "--stack", "dev", "--dir", str(tmp_path)]).exit_code == 0
    result = runner.invoke(app, ["cluster", "kubeconfig", "--stack", "dev", "--dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    printed = Path(result.output.strip())
    assert printed.is_absolute()
    assert printed.parts[-2:] == (".stackyard", "kubeconfig")
    missing = runner.invoke(app, ["cluster", "kubeconfig", "--stack", "nope", "--dir", str(tmp_path)])
    assert missing.exit_code == 2
    assert "Pulumi.nope.yaml" in missing.output
