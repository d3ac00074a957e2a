from django.apps import AppConfig


class SandboxConfig(AppConfig):
    """Owns the sandbox carriers' shipments and their behaviour knobs. Its only interface is HTTP:
    `POST shipments/`, `POST shipments/<tn>/cancel/`, `GET shipments/<tn>/label.pdf`,
    `GET tracking/?numbers=` under `/sandbox/carriers/<code>/`, each for a caller with
    `SANDBOX_API_KEY` as bearer token or a staff session (`views.credential_required`). How its shipments move and how
    their signed webhooks go out is `simulation` (beat runs `tasks.send_webhooks`).

    It also plays warehouses' WMS under `/sandbox/wms/<code>/` (`wms_views`, same credential):
    orders by external reference, `changes/` since a cursor, paged `stock/` snapshots, ASNs and
    receipts; `wms` does the work, `wms_simulation` moves orders on, drifts stock and sends signed
    webhooks (beat runs `tasks.run_wms`); `SandboxWarehouse` holds the knobs. Seed its stock with
    `manage.py sandbox_wms_stock`."""

    name = "apps.sandbox"
    label = "sandbox"
