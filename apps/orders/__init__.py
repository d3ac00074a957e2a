"""Logistics Order Center: the merchant-side record of a shipment and its lifecycle."""
