"""What the load balancer and Prometheus read, as plain routes (no page, no session): /healthz, /readyz, /metrics;
and the middleware that counts and times every HTTP request for /metrics."""

from __future__ import annotations

import time

from fastapi import Request
from fastapi.responses import JSONResponse, PlainTextResponse
from nicegui import Client, app
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pages.shell.errors import not_found_response
from services import config, metrics, readiness

#: a probe's answer is about this instant: no proxy or client may keep it
NO_STORE = {'Cache-Control': 'no-store'}


def bind_probes() -> None:
    metrics.CLIENTS.set_function(lambda: len(Client.instances))
    metrics.watch_gc()
    for path, endpoint in (('/healthz', healthz), ('/readyz', readyz), ('/metrics', metrics_text)):
        app.add_api_route(path, endpoint, methods=['GET', 'HEAD'], include_in_schema=False)


async def healthz() -> Response:
    """The process answers: nothing else is asked (a database outage must not get every process restarted)."""
    return PlainTextResponse('ok', headers=NO_STORE)


async def readyz() -> Response:
    result = await readiness.readiness()
    body = {'ready': result.ready, 'checks': {check.name: 'ok' if check.ok else 'failed' for check in result.checks}}
    return JSONResponse(body, status_code=200 if result.ready else 503, headers=NO_STORE)


async def metrics_text(request: Request) -> Response:
    # the IP ClientAddressMiddleware decided: an X-Forwarded-For from an untrusted peer names nobody here
    if not config.settings.metrics_allowed(request.client.host if request.client else None):
        return not_found_response(request)  # as any unknown path: it does not say that it exists
    body, content_type = await metrics.exposition()
    return Response(body, media_type=content_type, headers=NO_STORE)


class RequestMetricsMiddleware:
    """Counts every HTTP request by method and status class, times it, and times the GETs of pages (their build)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._pages: frozenset[str] = frozenset()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # the page socket's long-polling requests last as long as a page stays open: not a request to time
        if scope['type'] != 'http' or scope['path'].startswith('/_nicegui_ws'):
            await self.app(scope, receive, send)
            return
        status = 500  # what the client gets when the app raised before answering

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message['type'] == 'http.response.start':
                status = message['status']
            await send(message)

        started = time.perf_counter()
        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            self._observe(scope, status, time.perf_counter() - started)

    def _observe(self, scope: Scope, status: int, elapsed: float) -> None:
        method = metrics.method_label(scope['method'])
        metrics.HTTP_REQUESTS.labels(method, metrics.status_label(status)).inc()
        metrics.HTTP_LATENCY.labels(method).observe(elapsed)
        if scope['method'] == 'GET' and scope['path'] in self._page_paths():
            metrics.PAGE_BUILD.labels(scope['path']).observe(elapsed)

    def _page_paths(self) -> frozenset[str]:
        # the pages are bound before the first request; read once they are (our pages take no path parameters)
        if not self._pages:
            self._pages = frozenset(path for path in Client.page_routes.values() if path)
        return self._pages
