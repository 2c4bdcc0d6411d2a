"""The server's Prometheus metrics, in a registry of their own (one per app: in-process servers, as the
tests start them, do not share counters). Every request is observed once, when it ends; the gauges
(requests running and waiting, loaded models) are read from the scheduler when /metrics is scraped.
The counters are this process's own: with several processes each one counts what it served."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from pollama.inference.events import Metrics as Timings
    from pollama.sched import Scheduler

__all__ = ["Metrics"]

_NS = 1e-9
_REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)
_TTFT_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)
_TPOT_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 1, 2.5)
_LOAD_BUCKETS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300)


class Metrics:
    """What the server counts. `registry` holds them all; `watch` adds the scheduler's gauges."""

    def __init__(self) -> None:
        self.registry = r = CollectorRegistry(auto_describe=True)
        self.requests = Counter("pollama_requests", "HTTP requests answered, by route and status",
                                ["method", "route", "status"], registry=r)
        self.request_seconds = Histogram("pollama_request_duration_seconds",
                                         "HTTP request duration, to the end of the response body",
                                         ["method", "route"], buckets=_REQUEST_BUCKETS, registry=r)
        self.ttft = Histogram("pollama_time_to_first_token_seconds",
                              "From a generation's arrival to its first token (queue, load and prompt)",
                              ["model"], buckets=_TTFT_BUCKETS, registry=r)
        self.tpot = Histogram("pollama_time_per_output_token_seconds",
                              "A generation's mean decode time per output token after the first",
                              ["model"], buckets=_TPOT_BUCKETS, registry=r)
        self.prompt_tokens = Counter("pollama_prompt_tokens", "Prompt tokens evaluated", ["model"], registry=r)
        self.cached_tokens = Counter("pollama_prompt_cached_tokens", "Prompt tokens served from the prefix cache",
                                     ["model"], registry=r)
        self.generated_tokens = Counter("pollama_generation_tokens", "Tokens generated", ["model"], registry=r)
        self.draft_tokens = Counter("pollama_draft_tokens", "Tokens speculative decoding proposed", ["model"],
                                    registry=r)
        self.draft_accepted = Counter("pollama_draft_accepted_tokens",
                                      "Proposed tokens the model confirmed (speculative decoding)", ["model"], registry=r)
        self.rejected = Counter("pollama_queue_rejections", "Requests refused with 503: the queue was full",
                                registry=r)
        self.loads = Counter("pollama_model_loads", "Runners started", ["model"], registry=r)
        self.unloads = Counter("pollama_model_unloads", "Runners stopped (unloaded, evicted or replaced)", ["model"], registry=r)
        self.load_seconds = Histogram("pollama_model_load_duration_seconds", "Time to start a runner",
                                      ["model"], buckets=_LOAD_BUCKETS, registry=r)
        self.crashes = Counter("pollama_runner_crashes", "Runners that failed to start or exited on their own",
                               ["model"], registry=r)

    def watch(self, scheduler: Scheduler) -> None:
        self.registry.register(_SchedulerGauges(scheduler))

    def generation(self, model: str, timings: Timings, cached: int | None) -> None:
        """One generation, from its Done's metrics and the prompt tokens it found cached; `cached` None: it
        was cut short (its client left, its runner failed), and only its tokens so far are counted."""
        self.prompt_tokens.labels(model).inc(timings.prompt_eval_count)
        self.generated_tokens.labels(model).inc(timings.eval_count)
        if timings.draft_tokens:
            self.draft_tokens.labels(model).inc(timings.draft_tokens)
            self.draft_accepted.labels(model).inc(timings.draft_accepted_tokens)
        if cached is None:
            return
        self.cached_tokens.labels(model).inc(cached)
        self.ttft.labels(model).observe((timings.total_duration - timings.eval_duration) * _NS)
        if timings.eval_count > 1:
            self.tpot.labels(model).observe(timings.eval_duration * _NS / (timings.eval_count - 1))

    def request(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.request_seconds.labels(method, route).observe(seconds)


class _SchedulerGauges(Collector):
    """Requests running and waiting, and the loaded models with their memory, as the scheduler has them."""

    def __init__(self, scheduler: Scheduler) -> None:
        self.scheduler = scheduler

    def collect(self) -> Iterator[Metric]:
        s = self.scheduler
        loaded = s.running()
        running = sum(min(lo.active, lo.parallel) for lo in loaded)
        yield _gauge("pollama_requests_running", "Requests generating or embedding now", running)
        yield _gauge("pollama_requests_waiting", "Requests waiting for a load or a free slot", s.waiting())
        yield _gauge("pollama_models_loaded", "Models loaded", len(loaded))
        memory = GaugeMetricFamily("pollama_model_memory_bytes", "A loaded model's estimated memory "
                                   "(weights and KV cache)", labels=["model"])
        for lo in loaded:
            memory.add_metric([lo.name.display], lo.size)
        yield memory


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)

