"""The accelerator catalogue: which GPU each provider offers, on which machine type, where, at what price.

Plain data (no Pulumi) read from ``data/accelerators.yaml``, so the config layer can validate
accelerators and the cost report and burst ranking can price them from the same source.
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

CloudProvider = Literal["aws", "gcp"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Accelerator(_Strict):
    """A GPU model as the workloads see it."""

    gpu_memory_gib: int = Field(gt=0)
    vendor: Literal["nvidia"]
    product: str = Field(description="Value of the nvidia.com/gpu.product node label.")


class Offer(_Strict):
    """One machine type carrying ``gpus`` accelerators, with hourly USD prices."""

    accelerator: str
    gpus: int = Field(gt=0, le=16)
    machine_type: str
    accelerator_type: str | None = Field(
        default=None, description="The provider's accelerator name (GCP guest_accelerators type)."
    )
    on_demand: float = Field(gt=0)
    spot: float = Field(gt=0)
    regions: tuple[str, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _spot_is_cheaper(self) -> Offer:
        if self.spot >= self.on_demand:
            raise ValueError(f"{self.machine_type}: spot price must be below on-demand")
        return self


class ProviderOffers(_Strict):
    reference_region: str
    offers: tuple[Offer, ...]


class Catalogue(_Strict):
    """The whole catalogue file."""

    version: Literal[1]
    price_date: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")
    accelerators: dict[str, Accelerator]
    providers: dict[CloudProvider, ProviderOffers]

    @model_validator(mode="after")
    def _offers_name_known_accelerators(self) -> Catalogue:
        for provider, offers in self.providers.items():
            for offer in offers.offers:
                if offer.accelerator not in self.accelerators:
                    raise ValueError(f"{provider}: unknown accelerator {offer.accelerator!r}")
                if provider == "gcp" and offer.accelerator_type is None:
                    raise ValueError(f"gcp {offer.machine_type}: accelerator_type is required")
        return self

    def accelerator_names(self) -> list[str]:
        return sorted(self.accelerators)

    def offers_for(self, provider: CloudProvider, accelerator: str) -> list[Offer]:
        return [o for o in self.providers[provider].offers if o.accelerator == accelerator]

    def find(self, provider: CloudProvider, accelerator: str, gpus: int, region: str) -> Offer | None:
        """The offer for exactly this accelerator, GPU count and region, if the provider has one."""
        for offer in self.offers_for(provider, accelerator):
            if offer.gpus == gpus and region in offer.regions:
                return offer
        return None


@functools.cache
def load_catalogue() -> Catalogue:
    text = resources.files("components").joinpath("data/accelerators.yaml").read_text("utf-8")
    return Catalogue.model_validate(yaml.safe_load(text))
