"""The mock's ASGI app: connexion 3 reads routes, parameter validation and response validation from the spec;
this module adds only the behaviour the spec cannot state (the catalog, the one project, Huawei's error body)."""

from __future__ import annotations

import copy
import hmac
import json
import logging
import secrets
from dataclasses import dataclass, field
from typing import Any

from connexion import AsyncApp
from connexion import request as connexion_request
from connexion.exceptions import ProblemException
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from connexion.middleware import ConnexionMiddleware
from connexion.middleware.swagger_ui import SwaggerUIMiddleware
from connexion.resolver import Resolver
from connexion.security import ApiKeySecurityHandler
from connexion.spec import OpenAPISpecification
from starlette.exceptions import HTTPException

from cph_conformance import spec
from cph_conformance.mock import aksk, catalog, faults
from cph_conformance.mock.validation import VALIDATORS

JSON = "application/json"
log = logging.getLogger("cph_conformance.mock")
# Huawei's error body for statuses the operation does not declare itself.
UNDECLARED_ERRORS = {
    405: {"error_code": "APIGW.0102", "error_msg": "The method is not allowed for this API."},
}


@dataclass(frozen=True)
class Settings:
    project_id: str
    token: str
    images: int = catalog.DEFAULT_SIZE
    fault: str | None = None
    ak: str = ""  # with sk: requests signed with them pass as the token does (cph_conformance/mock/aksk.py)
    sk: str = field(default="", repr=False)


def request_id() -> str:
    return secrets.token_hex(16)


def huawei_error(
    status: int, detail: str | None = None, headers: dict[str, str] | None = None, fault: faults.Fault | None = None
) -> ConnexionResponse:
    """Huawei's error body for a status, taken from the spec's example for it, with a fresh request_id."""
    documented = status in spec.documented_statuses()
    example = spec.error_example(status) if documented else UNDECLARED_ERRORS.get(status, spec.error_example(500))
    rid = request_id()
    body = {"request_id": rid, "error_code": example["error_code"], "error_msg": example["error_msg"]}
    if detail and status == 400:  # say which parameter, in one line, as Huawei's messages do
        body["error_msg"] = f"{example['error_msg']} {detail.splitlines()[0]}"
    status = status if documented or status in UNDECLARED_ERRORS else 500
    if fault is not None and fault.error is not None:
        answer = fault.error(status, body, _received_token())
        if answer is not None:
            return _response(answer)
    return ConnexionResponse(
        status_code=status,
        mimetype=JSON,
        body=json.dumps(body),  # error handlers' bodies reach starlette unencoded
        headers={**(headers or {}), "Content-Type": JSON, spec.request_id_header(): rid},
    )


def _response(answer: faults.Answer) -> ConnexionResponse:
    return ConnexionResponse(
        status_code=answer.status, body=answer.body, headers={**answer.headers, "Content-Type": answer.content_type}
    )


def _received_token() -> str:
    try:
        return str(connexion_request.headers.get(spec.auth_header(), ""))
    except (LookupError, RuntimeError):  # outside a request
        return ""


def _token_checker(expected: str, fault: faults.Fault | None) -> type[ApiKeySecurityHandler]:
    """connexion's API-key handler, with the key checked against the mock's token instead of a named function (or as
    loosely as a fault checks it)."""

    def key_info(api_key: str, *_: Any, **__: Any) -> dict[str, str] | None:
        if fault is not None and fault.accepts_token is not None:
            return {"sub": "mock-user"} if fault.accepts_token(api_key, expected) else None
        return {"sub": "mock-user"} if hmac.compare_digest(api_key.encode(), expected.encode()) else None

    class TokenHandler(ApiKeySecurityHandler):
        def _resolve_func(self, security_scheme: dict[str, Any]) -> Any:
            return key_info

    return TokenHandler


def _handler(settings: Settings, images: catalog.Catalog) -> Any:
    fault = faults.get(settings.fault)
    default_limit = int(spec.parameter_default("limit"))
    known_types = set(spec.enum("ImageType"))

    async def list_cloud_phone_images(
        project_id: str, image_type: str | None = None, marker: str | None = None, limit: int | None = None
    ) -> ConnexionResponse:
        call = faults.Call(
            project_id,
            image_type,
            marker or None,
            default_limit if limit is None else limit,
            _received_token(),
            limit_given=spec.page_size() in connexion_request.query_params,  # connexion fills in the default
        )
        if project_id != settings.project_id and not (fault and fault.any_project and fault.any_project(call)):
            return huawei_error(403, fault=fault)
        failure = fault.fail_with(call) if fault and fault.fail_with else None
        if failure is not None:
            return huawei_error(failure, fault=fault)
        # Only a fault that loosens image_type lets an unknown type through validation: it lists everything.
        selection_type = fault.select(image_type) if fault and fault.select else image_type
        if selection_type not in known_types:
            selection_type = "all"
        if fault and fault.pager:
            page, next_marker = fault.pager(images.select(selection_type), call)
        else:
            page, next_marker = images.page(selection_type, call.marker, call.limit)
        rid = request_id()
        body: dict[str, Any] = {
            "request_id": rid,
            "phone_images": list(page),
            "page_info": {"next_marker": next_marker} if next_marker else {},
        }
        if fault and fault.page:
            body = fault.page(body, call)
        if fault and fault.answer:
            answer = fault.answer(body, call)
            if answer is not None:
                return _response(answer)
        return ConnexionResponse(status_code=200, mimetype=JSON, body=body, headers={spec.request_id_header(): rid})

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


def create_app(settings: Settings) -> AsyncApp:
    fault = faults.get(settings.fault)
    images = catalog.build(settings.images)
    handler = _handler(settings, images)
    security_map = {"apiKey": _token_checker(settings.token, fault)} if fault is None or fault.authenticates else {}
    app = AsyncApp(__name__, security_map=security_map, middlewares=list(_MIDDLEWARES))
    if settings.ak and settings.sk and security_map:
        aksk.install(app, ak=settings.ak, sk=settings.sk, token=settings.token)
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
        return huawei_error(exc.status, exc.detail, dict(exc.headers or {}), fault)

    async def on_http(_request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
        assert isinstance(exc, HTTPException)
        return huawei_error(exc.status_code, None, dict(exc.headers or {}), fault)

    def on_crash(_request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
        # A 500 from the clean mock is a bug in the mock: say where, on its stderr.
        log.error("answering 500 for %s", exc, exc_info=exc)
        return huawei_error(500, fault=fault)

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
