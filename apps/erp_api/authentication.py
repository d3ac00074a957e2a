from rest_framework import authentication, exceptions, permissions

from apps.merchants.services import api_key_authenticate


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer lgk_...`: the merchant is whoever owns the key."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        scheme, _, token = header.partition(" ")
        if scheme.lower() != self.keyword.lower() or not token.strip():  # schemes are case-insensitive
            raise exceptions.AuthenticationFailed("Send the API key as 'Authorization: Bearer <key>'.")
        principal = api_key_authenticate(plaintext=token.strip())
        if principal is None:
            raise exceptions.AuthenticationFailed("The API key is unknown, revoked or expired.")
        return principal, principal

    def authenticate_header(self, request):
        return self.keyword


class HasScope(permissions.BasePermission):
    """The key must carry the scope the view names for the request's method."""

    message = "This API key lacks the scope for this operation."

    def has_permission(self, request, view):
        # HEAD runs the GET handler, so it needs the GET scope.
        method = "GET" if request.method == "HEAD" else request.method
        needed = view.required_scopes.get(method)
        return needed is None or needed in request.auth.scopes
