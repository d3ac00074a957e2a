"""What every ERP API view shares: key authentication (settings), scopes, JSON-only answers."""

from rest_framework.exceptions import ValidationError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from apps.erp_api.authentication import HasScope


class JsonAnswers(DefaultContentNegotiation):
    """The API answers JSON whatever the client's Accept header asks for (never 406); downloads
    (the label PDF, the CSV export) are whole responses of their own and skip renderers."""

    def select_renderer(self, request, renderers, format_suffix=None):
        renderer = renderers[0]
        return renderer, renderer.media_type


class ErpApiView(APIView):
    # Subclasses set `required_scopes = {"GET": ..., "POST": ...}` and decorate each `post` with
    # `apps.erp_api.idempotency.idempotent`. (No docstring here: the schema would show it on
    # every operation.)

    permission_classes = [IsAuthenticated, HasScope]
    content_negotiation_class = JsonAnswers
    required_scopes: dict[str, str] = {}
    # Query parameters the view reads; any other is refused, so that a misspelt filter
    # (`?stat=cancelled`) is a 400 rather than a silently unfiltered list.
    query_parameters: frozenset[str] = frozenset()

    # Of those, the ones that may be given more than once (`?state=booked&state=in_transit`).
    repeatable_query_parameters: frozenset[str] = frozenset()

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        refuse_unknown_query_parameters(request, self.query_parameters, self.repeatable_query_parameters)


def refuse_unknown_query_parameters(request, known: frozenset[str], repeatable: frozenset[str] = frozenset()) -> None:
    """400 for a parameter the view does not read, or one given twice that takes one value: the
    list would otherwise be filtered by whichever came last."""
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        raise ValidationError({name or "query": ["Unknown query parameter."] for name in unknown})
    repeated = sorted(
        name for name, values in request.query_params.lists() if len(values) > 1 and name not in repeatable
    )
    if repeated:
        raise ValidationError({name: ["Give this parameter once."] for name in repeated})
