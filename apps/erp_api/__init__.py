"""ERP Shipping Portal: the JSON API (DRF) through which ERP merchants ship, under /api/v1/."""
