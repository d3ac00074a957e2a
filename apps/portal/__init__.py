"""Express Shipping Portal: server-rendered pages where small merchants create, list and follow
their orders."""
