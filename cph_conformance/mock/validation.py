"""connexion's parameter validation and JSON response self-validation, with the same schemas compiled once
by fastjsonschema.

connexion builds a jsonschema validator anew for every parameter and every response it checks: about 5 ms of
a 10-image answer, most of the mock's cost in a conformance run (BENCHMARKS.md). The schemas are still the
ones connexion resolved from openapi/cph.yaml, checked with draft 4 semantics as connexion does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import fastjsonschema
from connexion.datastructures import MediaTypeDict
from connexion.exceptions import NonConformingResponseBody
from connexion.utils import is_null, is_nullable
from connexion.validators import VALIDATOR_MAP, JSONResponseBodyValidator, ParameterValidator
from cph_client.testing.contract import integer
from starlette.datastructures import QueryParams

DRAFT4 = "http://json-schema.org/draft-04/schema#"
# id(schema) -> (schema, compiled); the schema is kept so its id is never reused.
_COMPILED: dict[int, tuple[dict[str, Any], Callable[[Any], Any]]] = {}


def compiled(schema: dict[str, Any]) -> Callable[[Any], Any]:
    entry = _COMPILED.get(id(schema))
    if entry is None:
        # connexion has resolved every $ref already and appends `components` for any it missed; that copy can
        # contain the schema itself (ErrorBody, through components/responses), a cycle fastjsonschema cannot walk.
        resolved = {k: v for k, v in schema.items() if k != "components"}
        entry = (schema, fastjsonschema.compile({"$schema": DRAFT4, **resolved}))
        _COMPILED[id(schema)] = entry
    return entry[1]


class CompiledParameterValidator(ParameterValidator):  # type: ignore[misc]
    def validate_query_parameter(self, param: dict[str, Any], request: Any) -> str | None:
        """connexion's, with an integer read as the spec writes one: its ASCII digits, a sign at most (connexion
        coerces with int(), which takes white space around it and any script's digits)."""
        if param.get("schema", {}).get("type") == "integer":
            raw = QueryParams(request.scope.get("query_string", b"")).getlist(param["name"])
            wrong = [why for value in raw if (why := integer(param["name"], value)[1])]
            if wrong:
                return wrong[0]
        return super().validate_query_parameter(param, request)  # type: ignore[no-any-return]

    @staticmethod
    def validate_parameter(
        parameter_type: str, value: Any, param: dict[str, Any], param_name: str | None = None
    ) -> str | None:
        """connexion's ParameterValidator.validate_parameter, with a compiled schema."""
        if is_nullable(param) and is_null(value):
            return None
        if value is not None:
            try:
                compiled(param.get("schema", param))(value)
            except fastjsonschema.JsonSchemaValueException as exc:
                return f"{param['name']}{exc.message.removeprefix(exc.name or 'data')}: {value!r}"
            return None
        if param.get("required"):
            return f"Missing {parameter_type} parameter '{param['name']}'"
        return None


class CompiledJSONResponseValidator(JSONResponseBodyValidator):  # type: ignore[misc]
    def _validate(self, body: Any) -> None:
        try:
            compiled(self._schema)(body)
        except fastjsonschema.JsonSchemaValueException as exc:
            raise NonConformingResponseBody(
                detail=f"Response body does not conform to specification. {exc.message} at {exc.name}"
            ) from None


VALIDATORS = {
    **VALIDATOR_MAP,
    "parameter": CompiledParameterValidator,
    "response": MediaTypeDict({**VALIDATOR_MAP["response"], "*/*json": CompiledJSONResponseValidator}),
}
