def portal_permissions(request) -> dict:
    """What the member's role may do (set by `merchant_required`), so that templates show only
    the links and buttons it can use; empty outside the merchant's pages."""
    return {"portal_permissions": getattr(request, "portal_permissions", frozenset())}
