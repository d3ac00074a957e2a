"""Accounts: merchants (the tenants), their portal users, and their API keys."""
