"""Imports: spreadsheets of orders made into orders through intake (see apps.py)."""
