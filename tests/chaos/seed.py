"""Migrate the suite's template database and seed it: the demo catalogue (sandbox carriers on
this platform's own `SITE_URL`) and a merchant with an API key. Prints the merchant as JSON."""

import io
import json

import django


def main() -> None:
    django.setup()
    from django.core.management import call_command

    call_command("migrate", "--noinput", verbosity=0)
    call_command("seed_demo", stdout=io.StringIO())
    out = io.StringIO()
    call_command("create_merchant", "Chaos Imports", "--json", stdout=out)
    print(json.dumps(json.loads(out.getvalue())))


if __name__ == "__main__":
    main()
