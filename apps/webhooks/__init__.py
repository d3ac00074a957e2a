"""Merchant webhooks: the endpoints merchants register, and the signed deliveries of their orders' news."""
