"""Stackyard's reusable Pulumi components. Each module holds one component family."""
