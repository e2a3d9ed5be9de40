"""Validation of synthesized custom resources against the upstream CRD schemas (test data)."""

from stacks.crds import has_crd, schema_for, validate_custom_resource

__all__ = ["has_crd", "schema_for", "validate_custom_resource"]
