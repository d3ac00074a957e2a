"""Order Scheduling Center: per-downstream lanes that admit work at the pace each carrier or
warehouse allows, highest priority first, and hold it while a downstream is unavailable."""
