"""Order Fulfillment Center: the fulfilment plan of an order (its warehouse and distribution
legs), following the legs' events and reporting the order's progress back to the order center."""
