"""Stackyard stacks: the typed config, the Pulumi program that composes the platform, and the CLI."""
