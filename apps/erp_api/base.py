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

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        refuse_unknown_query_parameters(request, self.query_parameters)


def refuse_unknown_query_parameters(request, known: frozenset[str]) -> None:
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        raise ValidationError({name or "query": ["Unknown query parameter."] for name in unknown})
