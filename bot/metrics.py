"""Prometheus metrics (prometheus-client): this process's counters plus database gauges, at GET /metrics."""

from __future__ import annotations

import logging

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily

from dialogs.clock import utcnow
from storage.gauges import Snapshot, snapshot

log = logging.getLogger(__name__)
PREFIX = "assistant"


class _DatabaseGauges:
    """A collector that reports the snapshot taken just before each scrape."""

    def __init__(self) -> None:
        self.last: Snapshot | None = None

    def collect(self):
        s = self.last
        if s is None:
            return
        g = GaugeMetricFamily(f"{PREFIX}_conversations", "Applicant drafts by phase", labels=["phase"])
        for phase, n in sorted(s.conversations.items()):
            g.add_metric([phase], n)
        yield g
        depth = GaugeMetricFamily(f"{PREFIX}_outbox_depth", "Deliveries due per department", labels=["channel"])
        age = GaugeMetricFamily(
            f"{PREFIX}_outbox_oldest_age_seconds", "Age of the oldest due delivery", labels=["channel"]
        )
        for dept, (n, oldest) in sorted(s.outbox.items()):
            depth.add_metric([dept], n)
            age.add_metric([dept], oldest)
        yield depth
        yield age
        d = GaugeMetricFamily(
            f"{PREFIX}_deliveries", "Deliveries by status (delivered, retry, dead, ...)", labels=["status"]
        )
        for status, n in sorted(s.deliveries.items()):
            d.add_metric([status], n)
        yield d
        p = GaugeMetricFamily(f"{PREFIX}_notifications_pending", "Messages waiting to be sent", labels=["channel"])
        for channel, n in sorted(s.notifications_pending.items()):
            p.add_metric([channel], n)
        yield p
        f = GaugeMetricFamily(f"{PREFIX}_faq_questions", "Help-desk questions by outcome", labels=["outcome"])
        f.add_metric(["answered"], s.faq_answered)
        f.add_metric(["handed_off"], s.faq_handed_off)
        yield f
        yield GaugeMetricFamily(f"{PREFIX}_inbox_depth", "Telegram updates stored, not yet handled", value=s.inbox[0])
        yield GaugeMetricFamily(
            f"{PREFIX}_inbox_oldest_age_seconds", "Age of the oldest waiting update", value=s.inbox[1]
        )


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.handled = Counter(
            f"{PREFIX}_updates_handled", "Telegram updates handled", ["kind"], registry=self.registry
        )
        self.duplicates = Counter(
            f"{PREFIX}_updates_duplicate",
            "Telegram updates ignored as re-deliveries of ones handled before",
            ["kind"],
            registry=self.registry,
        )
        self.failed = Counter(
            f"{PREFIX}_updates_failed", "Telegram updates whose handling raised", ["kind"], registry=self.registry
        )
        self.latency = Histogram(
            f"{PREFIX}_handler_seconds",
            "Time to handle one update",
            ["kind"],
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=self.registry,
        )
        self._db = _DatabaseGauges()
        self.registry.register(self._db)

    def observe(self, kind: str, seconds: float, failed: bool, duplicate: bool = False) -> None:
        """One update's end: a re-delivery of an update handled before counts apart, not as handled."""
        if duplicate and not failed:
            self.duplicates.labels(kind).inc()
            return
        (self.failed if failed else self.handled).labels(kind).inc()
        self.latency.labels(kind).observe(seconds)

    async def render(self, sessionmaker) -> bytes:
        try:
            async with sessionmaker() as db:
                self._db.last = await snapshot(db, utcnow())
        except Exception:
            log.exception("metrics: database gauges unavailable")
            self._db.last = None
        return generate_latest(self.registry)


def add_metrics_routes(app: web.Application, metrics: Metrics, sessionmaker) -> None:
    async def scrape(_request: web.Request) -> web.Response:
        body = await metrics.render(sessionmaker)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    app.router.add_get("/metrics", scrape)
