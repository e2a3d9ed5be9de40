"""Generated credentials that stay Pulumi secrets from creation to the Kubernetes Secret.

``GeneratedSecret`` plays the role of ``pulumi_random.RandomPassword`` with no provider plugin to
download: it is a Pulumi dynamic resource run by the Python SDK itself, so air-gapped platforms
and our offline end-to-end tests use exactly the same path as everyone else. The value is drawn
once, at create, from the operating system's CSPRNG (:mod:`secrets`), kept in state only as a
secret, and never changes on later updates; changing the length or alphabet replaces it.
"""

from __future__ import annotations

import secrets
import string
from typing import Any, Literal

import pulumi
import pulumi.dynamic

Alphabet = Literal["alphanumeric", "hex"]
ALPHABETS: dict[str, str] = {
    "alphanumeric": string.ascii_letters + string.digits,
    "hex": "0123456789abcdef",
}


class _Provider(pulumi.dynamic.ResourceProvider):
    """Creates the value once; a change of length or alphabet means a new value."""

    def create(self, props: Any) -> pulumi.dynamic.CreateResult:
        alphabet = ALPHABETS[str(props["alphabet"])]
        length = int(props["length"])
        value = "".join(secrets.choice(alphabet) for _ in range(length))
        return pulumi.dynamic.CreateResult(
            id_=secrets.token_hex(8),
            outs={"length": length, "alphabet": props["alphabet"], "result": value},
        )

    def diff(self, _id: str, olds: Any, news: Any) -> pulumi.dynamic.DiffResult:
        changed = [k for k in ("length", "alphabet") if olds.get(k) != news.get(k)]
        return pulumi.dynamic.DiffResult(changes=bool(changed), replaces=changed, delete_before_replace=False)

    def read(self, id_: str, props: Any) -> pulumi.dynamic.ReadResult:
        # Nothing exists outside the state: refresh keeps what was created.
        return pulumi.dynamic.ReadResult(id_=id_, outs=props)


class GeneratedSecret(pulumi.dynamic.Resource):
    """A random credential (default 40 letters and digits), exposed only as a secret Output."""

    result: pulumi.Output[str]
    """The generated value (secret)."""

    def __init__(
        self,
        name: str,
        length: int = 40,
        alphabet: Alphabet = "alphanumeric",
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        if not 16 <= length <= 256:
            raise ValueError(f"{name}: length must be between 16 and 256, got {length}")
        super().__init__(
            _Provider(),
            name,
            {"length": length, "alphabet": alphabet, "result": None},
            pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(additional_secret_outputs=["result"])),
        )
