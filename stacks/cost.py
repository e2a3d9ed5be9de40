"""What the GPU pools cost, and in which order federation bursts onto clusters.

Plain Python over the validated config and the accelerator catalogue: no Pulumi, no network.
Cloud pools are priced from the catalogue (per node, on-demand and spot, in USD per hour); on-prem
pools from the provider's amortised ``gpu_hourly_cost`` times the GPUs per node. A month is 730
hours. :func:`burst_ranking` is the one ordering the federation policies use.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from components.catalog import load_catalogue
from components.federation import RankedCluster
from components.settings import AwsProvider, Cluster, GcpProvider, NodePool, OnPremProvider
from stacks.config import PlatformConfig

HOURS_PER_MONTH = 730
Capacity = Literal["on-demand", "spot", "owned"]


@dataclass(frozen=True)
class PriceRange:
    """Hourly cost of a pool at its minimum and maximum size, in USD."""

    hourly_min: float
    hourly_max: float

    @property
    def monthly_min(self) -> float:
        return self.hourly_min * HOURS_PER_MONTH

    @property
    def monthly_max(self) -> float:
        return self.hourly_max * HOURS_PER_MONTH


@dataclass(frozen=True)
class PoolCost:
    """One GPU pool: its machine, node count range and prices (the pool's own capacity marked)."""

    cluster: str
    pool: str
    kind: str
    machine_type: str
    accelerator: str
    gpus_per_node: int
    min_nodes: int
    max_nodes: int
    node_on_demand: float
    node_spot: float | None
    capacity: Capacity

    @property
    def on_demand(self) -> PriceRange:
        return PriceRange(self.min_nodes * self.node_on_demand, self.max_nodes * self.node_on_demand)

    @property
    def spot(self) -> PriceRange | None:
        if self.node_spot is None:
            return None
        return PriceRange(self.min_nodes * self.node_spot, self.max_nodes * self.node_spot)

    @property
    def chosen(self) -> PriceRange:
        """The range at the capacity the pool actually uses."""
        spot = self.spot
        return spot if self.capacity == "spot" and spot is not None else self.on_demand

    @property
    def gpu_hour(self) -> float:
        """Price of one GPU-hour at the pool's own capacity."""
        node = (
            self.node_spot if self.capacity == "spot" and self.node_spot is not None else self.node_on_demand
        )
        return node / self.gpus_per_node


@dataclass(frozen=True)
class ClusterCost:
    cluster: str
    kind: str
    pools: tuple[PoolCost, ...]

    @property
    def total(self) -> PriceRange:
        return PriceRange(
            sum(p.chosen.hourly_min for p in self.pools), sum(p.chosen.hourly_max for p in self.pools)
        )


@dataclass(frozen=True)
class CostReport:
    price_date: str
    clusters: tuple[ClusterCost, ...]

    @property
    def total(self) -> PriceRange:
        return PriceRange(
            sum(c.total.hourly_min for c in self.clusters), sum(c.total.hourly_max for c in self.clusters)
        )

    def pool(self, cluster: str, pool: str) -> PoolCost:
        return next(p for c in self.clusters for p in c.pools if c.cluster == cluster and p.pool == pool)


def pool_cost(cluster: Cluster, pool: NodePool) -> PoolCost:
    """Price one GPU pool (the config is validated, so the catalogue has its offer)."""
    gpu = pool.gpu
    if gpu is None:
        raise ValueError(f"{cluster.name}/{pool.name} is not a GPU pool")
    provider = cluster.provider
    common = {
        "cluster": cluster.name,
        "pool": pool.name,
        "kind": provider.kind,
        "accelerator": gpu.accelerator,
        "gpus_per_node": gpu.count,
        "min_nodes": pool.min_size,
        "max_nodes": pool.max_size,
    }
    if isinstance(provider, OnPremProvider):
        return PoolCost(
            machine_type=pool.machine_type or "owned",
            node_on_demand=provider.gpu_hourly_cost * gpu.count,
            node_spot=None,
            capacity="owned",
            **common,  # type: ignore[arg-type]
        )
    assert isinstance(provider, AwsProvider | GcpProvider)
    offer = load_catalogue().find(provider.kind, gpu.accelerator, gpu.count, provider.region)
    if offer is None:
        raise ValueError(
            f"{cluster.name}/{pool.name}: {provider.kind} {provider.region} has no "
            f"{gpu.count} x {gpu.accelerator} offer in the catalogue"
        )
    return PoolCost(
        machine_type=offer.machine_type,
        node_on_demand=offer.on_demand,
        node_spot=offer.spot,
        capacity="spot" if pool.spot else "on-demand",
        **common,  # type: ignore[arg-type]
    )


def cost_report(cfg: PlatformConfig) -> CostReport:
    """Hourly and monthly cost of every GPU pool, per cluster, from min_size to max_size nodes."""
    clusters = tuple(
        ClusterCost(c.name, c.kind, tuple(pool_cost(c, p) for p in c.gpu_pools())) for c in cfg.clusters
    )
    return CostReport(load_catalogue().price_date, clusters)


def _cheapest_gpu_hour(cluster: Cluster) -> float:
    prices = [pool_cost(cluster, p).gpu_hour for p in cluster.gpu_pools()]
    return min(prices) if prices else math.inf


def burst_ranking(cfg: PlatformConfig) -> list[RankedCluster]:
    """Where federated GPU work goes first: on-prem members, then cloud members, cheapest GPU-hour first.

    Members are the federation's (every cluster but the host's when no federation is declared).
    On-prem clusters are already paid for, so they lead whatever their amortised price; cloud
    clusters follow by the cheapest GPU-hour among their GPU pools (the spot price where the pool
    is spot). Clusters without GPU pools come last. Ties break on the cluster name.
    """
    if cfg.federation is not None:
        names = [m.cluster for m in cfg.federation.members]
    else:
        names = [c.name for c in cfg.clusters]
    clusters = [cfg.cluster(n) for n in names]

    def key(c: Cluster) -> tuple[int, float, str]:
        return (0 if c.kind == "onprem" else 1, _cheapest_gpu_hour(c), c.name)

    ranked = []
    for rank, cluster in enumerate(sorted(clusters, key=key), start=1):
        price = _cheapest_gpu_hour(cluster)
        gpu_hour = None if math.isinf(price) else price
        if cluster.kind == "onprem":
            reason = "on-prem capacity is used first"
            if gpu_hour is not None:
                reason += f" (amortised ${gpu_hour:.4f}/GPU-hour)"
        elif gpu_hour is None:
            reason = "no GPU node pool: ranked last"
        else:
            best = min(
                (pool_cost(cluster, p) for p in cluster.gpu_pools()), key=lambda p: (p.gpu_hour, p.pool)
            )
            reason = (
                f"cheapest GPU-hour ${gpu_hour:.4f} ({best.capacity} {best.machine_type}, "
                f"pool {best.pool}, {best.accelerator})"
            )
        ranked.append(
            RankedCluster(
                cluster=cluster.name, kind=cluster.kind, rank=rank, gpu_hour=gpu_hour, reason=reason
            )
        )
    return ranked


def _money(value: float) -> str:
    return f"{value:,.2f}"


def render(report: CostReport) -> str:
    """A plain-text table: one row per GPU pool, the pool's own capacity marked with '*'."""
    header = (
        "cluster",
        "pool",
        "machine",
        "gpus",
        "nodes",
        "on-demand $/h",
        "spot $/h",
        "$/month (chosen)",
    )
    rows: list[tuple[str, ...]] = []
    for cluster in report.clusters:
        for p in cluster.pools:
            od = f"{_money(p.on_demand.hourly_min)}-{_money(p.on_demand.hourly_max)}"
            spot = p.spot
            sp = "-" if spot is None else f"{_money(spot.hourly_min)}-{_money(spot.hourly_max)}"
            if p.capacity == "spot":
                sp += " *"
            else:
                od += " *"
            rows.append(
                (
                    p.cluster,
                    p.pool,
                    p.machine_type,
                    f"{p.gpus_per_node} x {p.accelerator}",
                    f"{p.min_nodes}-{p.max_nodes}",
                    od,
                    sp,
                    f"{_money(p.chosen.monthly_min)}-{_money(p.chosen.monthly_max)}",
                )
            )
    total = report.total
    footer = (
        "total",
        "",
        "",
        "",
        "",
        f"{_money(total.hourly_min)}-{_money(total.hourly_max)} (chosen)",
        "",
        f"{_money(total.monthly_min)}-{_money(total.monthly_max)}",
    )
    table = [header, *rows, footer]
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in table]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.insert(len(lines) - 1, "  ".join("-" * w for w in widths))
    lines.append(
        f"Prices in USD from the accelerator catalogue of {report.price_date}; "
        f"{HOURS_PER_MONTH} hours a month; * marks the pool's own capacity (spot prices move daily)."
    )
    return "\n".join(lines) + "\n"
