import psycopg
from django.core.management.base import BaseCommand
from django.db import connection


class Command(BaseCommand):
    help = "Create the configured PostgreSQL database if it does not exist yet."

    def handle(self, *args, **options):
        params = connection.get_connection_params()
        name = params.pop("dbname")
        for key in ("cursor_factory", "context", "prepare_threshold"):
            params.pop(key, None)
        with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
            exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
            if exists:
                self.stdout.write(f"database {name} exists")
                return
            admin.execute(f'CREATE DATABASE "{name}"')
            self.stdout.write(self.style.SUCCESS(f"created database {name}"))
