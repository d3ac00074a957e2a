from django.apps import AppConfig


class SandboxConfig(AppConfig):
    """Owns the sandbox carriers' shipments and their behaviour knobs. Its only interface is HTTP:
    `POST shipments/`, `POST shipments/<tn>/cancel/`, `GET shipments/<tn>/label.pdf`,
    `GET tracking/?numbers=` under `/sandbox/carriers/<code>/`. How its shipments move and how
    their signed webhooks go out is `simulation` (beat runs `tasks.send_webhooks`)."""

    name = "apps.sandbox"
    label = "sandbox"
