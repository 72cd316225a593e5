"""The mock's ASGI app: connexion 3 reads routes, parameter validation and response validation from the spec; the
behaviour the spec cannot state (the catalog, the one project, paging, Huawei's error body) is the engine's that the
wheel's fake CPH answers from too (cph_client.testing.engine), with the mock's fault, if any, as its hooks."""

from __future__ import annotations

import copy
import json
import logging
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

import connexion.decorators.parameter
import connexion.security
from connexion import AsyncApp
from connexion import request as connexion_request
from connexion.exceptions import ProblemException
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from connexion.middleware import ConnexionMiddleware
from connexion.middleware.swagger_ui import SwaggerUIMiddleware
from connexion.resolver import Resolver
from connexion.security import NO_VALUE, ApiKeySecurityHandler
from connexion.spec import OpenAPISpecification
from cph_client.testing.engine import Answer, Call, Credentials, Engine, the_token
from starlette.exceptions import HTTPException

from cph_conformance import spec
from cph_conformance.mock import aksk, catalog, faults, misplaced
from cph_conformance.mock.validation import VALIDATORS

log = logging.getLogger("cph_conformance.mock")


@dataclass(frozen=True)
class Settings:
    project_id: str
    token: str
    images: int = catalog.DEFAULT_SIZE
    fault: str | None = None
    ak: str = ""  # with sk: requests signed with them pass as the token does (cph_conformance/mock/aksk.py)
    sk: str = field(default="", repr=False)


def huawei_error(
    engine: Engine, status: int, detail: str | None = None, headers: dict[str, str] | None = None
) -> ConnexionResponse:
    """Huawei's error body for a status (the engine's: the spec's example for it, with a fresh request_id)."""
    return _response(engine.error(status, detail, headers, _received_token()))


def _response(answer: Answer) -> ConnexionResponse:
    # Bytes, encoded by the engine: connexion passes them on as they are (and validates them, in the clean mock).
    return ConnexionResponse(
        status_code=answer.status, body=answer.body, headers={**answer.headers, "Content-Type": answer.content_type}
    )


def _received_token() -> str:
    try:
        return str(connexion_request.headers.get(spec.auth_header(), ""))
    except (LookupError, RuntimeError):  # outside a request
        return ""


def _token_checker(credentials: Credentials, fault: faults.Fault | None) -> type[ApiKeySecurityHandler]:
    """connexion's API-key handler, with the key taken and checked as the engine takes and checks it (the_token: one
    X-Auth-Token header, nothing else; or as loosely as a fault checks it)."""

    def key_info(api_key: str, *_: Any, **__: Any) -> dict[str, str] | None:
        if fault is not None and fault.accepts_token is not None:
            return {"sub": "mock-user"} if fault.accepts_token(api_key, credentials.token) else None
        return {"sub": "mock-user"} if credentials.accepts_token(api_key) else None

    class TokenHandler(ApiKeySecurityHandler):
        def _resolve_func(self, security_scheme: dict[str, Any]) -> Any:
            return key_info

        def _get_verify_func(self, api_key_info_func: Any, loc: str, name: str, required_scopes: Any) -> Any:
            verify = super()._get_verify_func(api_key_info_func, loc, name, required_scopes)

            def once(request: ConnexionRequest) -> Any:
                sent = request.headers.getlist(name)
                return verify(request) if the_token(sent) is not None or not sent else NO_VALUE

            return once

    return TokenHandler


def _handler(engine: Engine) -> Any:
    default_limit = int(spec.parameter_default(spec.page_size()))

    async def list_cloud_phone_images(
        project_id: str, image_type: str | None = None, marker: str | None = None, limit: int | None = None
    ) -> ConnexionResponse:
        call = Call(
            project_id,
            image_type,
            marker or None,
            default_limit if limit is None else limit,
            _received_token(),
            limit_given=spec.page_size() in connexion_request.query_params,  # connexion fills in the default
        )
        return _response(engine.listing(call))

    return list_cloud_phone_images


def _validate_each_spec_once() -> None:
    """connexion checks the spec against OpenAPI's schema each time an app is made (40 ms: a quarter of a run in
    process, where each run makes a fresh app); a spec it accepted once is not checked again in this process. One
    it refuses is checked, and refused, every time."""
    check = OpenAPISpecification._validate_spec
    accepted: set[str] = set()

    def once(_cls: type, raw: dict[str, Any]) -> None:
        key = json.dumps(raw, sort_keys=True, default=str)
        if key not in accepted:
            check(raw)
            accepted.add(key)

    OpenAPISpecification._validate_spec = classmethod(once)


_validate_each_spec_once()


def _inspect_each_function_once() -> None:
    """connexion reads the signature of the operation's function and of the security check's on every request, three
    times (0.11 of 0.7 ms per request in process, measured); a function's signature does not change, so each is read
    once. Functions that cannot be weakly referenced (or hashed) are read every time."""
    modules = (connexion.security, connexion.decorators.parameter)
    given = {getattr(module, "inspect_function_arguments", None) for module in modules}
    if len(given) != 1 or None in given:
        raise RuntimeError(
            "connexion.security and connexion.decorators.parameter no longer share inspect_function_arguments: "
            "cph_conformance/mock/app.py's _inspect_each_function_once() must follow connexion, or go"
        )
    inspect = cast(Callable[[Callable[..., Any]], tuple[list[str], bool]], given.pop())
    read: weakref.WeakKeyDictionary[Callable[..., Any], tuple[list[str], bool]] = weakref.WeakKeyDictionary()

    def once(function: Callable[..., Any]) -> tuple[list[str], bool]:
        try:
            found = read.get(function)
        except TypeError:  # not weakly referenceable, or not hashable
            return inspect(function)
        if found is None:
            found = inspect(function)
            read[function] = found
        return list(found[0]), found[1]  # a list of its own for each caller, as connexion's gives

    for module in modules:
        module.inspect_function_arguments = once


_inspect_each_function_once()


def create_app(settings: Settings) -> AsyncApp:
    fault = faults.get(settings.fault)
    credentials = Credentials(settings.project_id, settings.token, settings.ak, settings.sk)
    engine = Engine(catalog.build(settings.images), settings.project_id, catalog.contract(), hooks=fault)
    handler = _handler(engine)
    security_map = {"apiKey": _token_checker(credentials, fault)} if fault is None or fault.authenticates else {}
    app = AsyncApp(__name__, security_map=security_map, middlewares=list(_MIDDLEWARES))
    if settings.ak and settings.sk and security_map:
        lets_in = fault.signature_lets_in if fault is not None else None
        aksk.install(app, ak=settings.ak, sk=settings.sk, token=settings.token, lets_in=lets_in)
    if fault is not None and fault.token_from is not None:
        misplaced.install(app, fault.token_from)
    app.add_api(
        _served_spec(fault),
        resolver=Resolver(function_resolver=lambda _operation_id: handler),
        validator_map=VALIDATORS,
        # Self-validation keeps the clean mock honest; in fault mode the drift must reach the wire.
        validate_responses=fault is None,
        strict_validation=False,  # like the live gateway, unknown query parameters are ignored
    )

    # Async, so connexion calls them in the event loop rather than a thread. on_crash stays sync: starlette's
    # ServerErrorMiddleware, which serves it, does not await connexion's wrapper.
    async def on_problem(_request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
        assert isinstance(exc, ProblemException)
        return huawei_error(engine, exc.status, exc.detail, dict(exc.headers or {}))

    async def on_http(_request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
        assert isinstance(exc, HTTPException)
        return huawei_error(engine, exc.status_code, None, dict(exc.headers or {}))

    def on_crash(_request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
        # A 500 from the clean mock is a bug in the mock: say where, on its stderr.
        log.error("answering 500 for %s", exc, exc_info=exc)
        return huawei_error(engine, 500)

    app.add_error_handler(ProblemException, on_problem)
    app.add_error_handler(HTTPException, on_http)
    app.add_error_handler(Exception, on_crash)
    return app


# connexion's defaults less the Swagger UI: the live service serves no spec, so neither does the mock.
_MIDDLEWARES = [m for m in ConnexionMiddleware.default_middlewares if m is not SwaggerUIMiddleware]


def _served_spec(fault: faults.Fault | None) -> dict[str, Any]:
    """The spec connexion serves: the one spec, loosened where a fault must get past connexion's checks."""
    if fault is None or fault.loosen is None:
        return spec.load()
    operation = copy.deepcopy(spec.operation())
    fault.loosen(operation)
    return {**spec.load(), "security": [], "paths": {spec.OPERATION_PATH: {"get": operation}}}
