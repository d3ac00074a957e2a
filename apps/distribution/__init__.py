"""Distribution Center: one distribution order per real-world delivery by one carrier service,
the carrier gateway that books and tracks it, labels and tracking events."""
