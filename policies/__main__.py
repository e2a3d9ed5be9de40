"""Stackyard policy pack: ``pulumi preview --policy-pack policies``. The rules live in rules.py."""

import sys
from pathlib import Path

from pulumi_policy import PolicyPack

sys.path.insert(0, str(Path(__file__).resolve().parent))

from rules import all_policies  # the pack directory is not a package

PolicyPack(name="stackyard", policies=all_policies())
