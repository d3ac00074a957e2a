"""Shipping Center: intake for every channel (portal, ERP API): validation, quotes, the routing
decision and submission of the order to the order center."""
