"""Migrate the suite's template database and seed it: the demo catalogue (sandbox carriers on
this platform's own `SITE_URL`) and two merchants with an API key each: the load's, and another
one whose orders arrive beside it. Prints both as one JSON object."""

import io
import json

import django


def main() -> None:
    django.setup()
    from django.core.management import call_command

    call_command("migrate", "--noinput", verbosity=0)
    call_command("seed_demo", stdout=io.StringIO())
    merchants = {}
    for role, name in (("merchant", "Chaos Imports"), ("other_merchant", "Chaos Boutique")):
        out = io.StringIO()
        call_command("create_merchant", name, "--json", stdout=out)
        merchants[role] = json.loads(out.getvalue())
    print(json.dumps(merchants))


if __name__ == "__main__":
    main()
