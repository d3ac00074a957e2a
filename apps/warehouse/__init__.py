"""Warehouse Center: warehouse orders and their state machine, merchants' stock per warehouse,
and (later) the gateway to external warehouse systems."""
