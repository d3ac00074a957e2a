"""Inbound shipments (ASNs): announced by a merchant, told to the WMS, received in one or more
receipts. Only accepted units become stock; damaged, over, unexpected and (on closing) short
units are recorded as discrepancies. A receipt counts once however often it is reported, and
backordered orders are allocated once the receipt's stock is in."""

from collections import defaultdict
from collections.abc import Sequence
from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from apps.warehouse import events
from apps.warehouse.exceptions import AsnNotFound, InvalidAsn
from apps.warehouse.models import Asn, AsnDiscrepancy, AsnLine, AsnReceipt
from apps.warehouse.services.orders import warehouse_backorders_allocate
from apps.warehouse.services.shared import ACTOR, gateway
from apps.warehouse.services.stock import stock_receive
from apps.warehouse.wms.types import AsnLine as WmsAsnLine
from apps.warehouse.wms.types import AsnRequest, Receipt

_REFERENCE_PREFIX = "ASN-"


def asn_create(
    *,
    merchant_id: int,
    warehouse_code: str,
    lines: Sequence[tuple[str, int]],
    expected_at: date | None = None,
    actor: str = ACTOR,
) -> Asn:
    """Record a merchant's notice of goods on their way; the same SKU twice is summed. Its
    `warehouse.asn.created` event has it announced to the WMS through the warehouse's lane."""
    expected: dict[str, int] = defaultdict(int)
    problems = []
    for index, (sku, quantity) in enumerate(lines):
        if not isinstance(sku, str) or not sku.strip() or len(sku) > 64:
            problems.append(gettext("line %(n)s: SKU must be 1 to 64 characters") % {"n": index + 1})
        elif not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
            problems.append(gettext("line %(n)s: quantity must be a whole number of at least 1") % {"n": index + 1})
        else:
            expected[sku.strip()] += quantity
    if problems or not expected:
        raise InvalidAsn(
            gettext("The notice's lines are not valid."), extra={"problems": problems or [gettext("no lines")]}
        )
    with transaction.atomic():
        asn = Asn.objects.create(merchant_id=merchant_id, warehouse_code=warehouse_code, expected_at=expected_at)
        AsnLine.objects.bulk_create(AsnLine(asn=asn, sku=sku, expected=qty) for sku, qty in sorted(expected.items()))
        events.asn_created(asn, actor=actor)
    return asn


def asn_announce(*, asn_id: int) -> Asn:
    """Tell the WMS what is coming (idempotent by reference at the WMS; raises WmsUnavailable)."""
    asn = Asn.objects.get(pk=asn_id)
    if asn.status != Asn.Status.OPEN:
        return asn
    request = AsnRequest(
        external_reference=asn.external_reference,
        warehouse_code=asn.warehouse_code,
        lines=tuple(WmsAsnLine(sku=line.sku, expected=line.expected) for line in asn.lines.all()),
        expected_at=asn.expected_at,
    )
    code = asn.warehouse_code
    gateway(code, reference=request.external_reference).create_asn(request)
    Asn.objects.filter(pk=asn.pk, status=Asn.Status.OPEN).update(status=Asn.Status.ANNOUNCED)
    asn.refresh_from_db()
    return asn


def _asn_of(warehouse_code: str, reference: str) -> Asn:
    asn_id = reference[len(_REFERENCE_PREFIX) :] if reference.startswith(_REFERENCE_PREFIX) else ""
    asn = Asn.objects.filter(pk=int(asn_id), warehouse_code=warehouse_code).first() if asn_id.isdigit() else None
    if asn is None:
        raise AsnNotFound(f"No ASN {reference!r} at {warehouse_code}.", extra={"reference": reference})
    return asn


def asn_receipt_apply(*, warehouse_code: str, receipt: Receipt, actor: str = "") -> bool:
    """Add a receipt's accepted units to stock and record its discrepancies; False if it was
    applied before (nothing changes then)."""
    asn = _asn_of(warehouse_code, receipt.asn_reference)
    actor = actor or f"wms:{warehouse_code}"
    accepted: dict[str, int] = defaultdict(int)
    damaged: dict[str, int] = defaultdict(int)
    for line in receipt.lines:
        accepted[line.sku] += max(line.accepted, 0)
        damaged[line.sku] += max(line.damaged, 0)
    try:
        with transaction.atomic():
            asn = Asn.objects.select_for_update().get(pk=asn.pk)
            if AsnReceipt.objects.filter(asn=asn, receipt_id=receipt.receipt_id).exists():
                return False
            record = AsnReceipt.objects.create(
                asn=asn,
                receipt_id=receipt.receipt_id,
                received_at=receipt.received_at,
                lines=[{"sku": line.sku, "accepted": line.accepted, "damaged": line.damaged} for line in receipt.lines],
            )
            lines = {line.sku: line for line in asn.lines.select_for_update()}
            discrepancies = []
            for sku in sorted(set(accepted) | set(damaged)):
                line = lines.get(sku)
                if line is None:
                    line = AsnLine.objects.create(asn=asn, sku=sku, expected=0)
                    if accepted[sku]:
                        discrepancies.append(AsnDiscrepancy(sku=sku, kind="unexpected", quantity=accepted[sku]))
                elif accepted[sku]:
                    over = line.accepted + accepted[sku] - max(line.expected, line.accepted)
                    if over > 0:
                        discrepancies.append(AsnDiscrepancy(sku=sku, kind="over", quantity=over))
                if damaged[sku]:
                    discrepancies.append(AsnDiscrepancy(sku=sku, kind="damaged", quantity=damaged[sku]))
                line.accepted += accepted[sku]
                line.damaged += damaged[sku]
                line.save(update_fields=["accepted", "damaged"])
            for discrepancy in discrepancies:
                discrepancy.asn, discrepancy.receipt = asn, record
            AsnDiscrepancy.objects.bulk_create(discrepancies)
            stock_receive(
                merchant_id=asn.merchant_id,
                warehouse_code=warehouse_code,
                quantities=dict(accepted),
                occurred_at=receipt.received_at,
                reference=f"{asn.external_reference}/{receipt.receipt_id}",
                actor=actor,
            )
            if asn.status in (Asn.Status.OPEN, Asn.Status.ANNOUNCED):
                asn.status = Asn.Status.RECEIVING
                asn.save(update_fields=["status"])
            events.stock_received(
                merchant_id=asn.merchant_id, warehouse_code=warehouse_code, skus=list(accepted), actor=actor
            )
    except IntegrityError:
        if AsnReceipt.objects.filter(asn=asn, receipt_id=receipt.receipt_id).exists():
            return False
        raise
    warehouse_backorders_allocate(merchant_id=asn.merchant_id, warehouse_code=warehouse_code, skus=list(accepted))
    return True


def asn_receipts_poll(*, asn_id: int) -> int:
    """Ask the WMS for an ASN's receipts and apply the new ones; return how many were new."""
    asn = Asn.objects.get(pk=asn_id)
    code = asn.warehouse_code
    receipts = gateway(code, reference=asn.external_reference).receipts(asn.external_reference)
    return sum(asn_receipt_apply(warehouse_code=code, receipt=receipt) for receipt in receipts)


@transaction.atomic
def asn_close(*, asn_id: int, actor: str = ACTOR) -> Asn:
    """Close an ASN: whatever was expected and not received is recorded as short."""
    asn = Asn.objects.select_for_update().filter(pk=asn_id).first()
    if asn is None:
        raise AsnNotFound(f"ASN {asn_id} does not exist.", extra={"asn_id": asn_id})
    if asn.status == Asn.Status.CLOSED:
        return asn
    AsnDiscrepancy.objects.bulk_create(
        AsnDiscrepancy(asn=asn, sku=line.sku, kind="short", quantity=line.expected - line.accepted - line.damaged)
        for line in asn.lines.all()
        if line.expected > line.accepted + line.damaged
    )
    asn.status = Asn.Status.CLOSED
    asn.closed_at = timezone.now()
    asn.save(update_fields=["status", "closed_at"])
    return asn
