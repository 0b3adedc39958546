"""One resolver invocation at a time in a process.

Powertools' event handler keeps the event it is resolving on a class attribute
(`BaseRouter.current_event`) that every resolver in the process shares. Lambda runs one event
per process, so nothing collides there; the local gateway runs requests in threads, where two
resolvers at once answer one request with another's event. Each handler therefore builds its
own resolver (its own routes' closures and context) and resolves under this lock.
"""

from __future__ import annotations

import threading
from typing import Any

from aws_lambda_powertools.event_handler.api_gateway import ApiGatewayResolver
from aws_lambda_powertools.utilities.typing import LambdaContext

_RESOLVING = threading.Lock()


def resolve(
    app: ApiGatewayResolver, event: dict[str, Any], context: LambdaContext
) -> dict[str, Any]:
    """`app.resolve`, alone: uncontended on Lambda, serialised beside concurrent requests."""
    with _RESOLVING:
        response: dict[str, Any] = app.resolve(event, context)
    return response
