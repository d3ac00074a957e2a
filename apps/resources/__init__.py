"""Resource Center: carriers, services, coverage, prices, limits and warehouses; eligibility
and ranking of routes for an order."""
