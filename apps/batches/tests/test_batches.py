"""Label batches: buying what is to buy through intake and the lanes, reprinting what is bought,
one merged PDF, a double click buying once, every print logged."""

import io
import threading
import uuid

import pypdf
import pytest
from django.db import connection

from apps.batches.events import BATCH_BOUGHT
from apps.batches.exceptions import BatchRefused
from apps.batches.models import BatchOrder, LabelBatch, LabelPrint
from apps.batches.printing import batch_pdf
from apps.batches.selectors import label_batch_progress
from apps.batches.services import label_batch_create
from apps.batches.tests.conftest import book_all, submit, waiting_orders
from apps.common.models import OutboxEvent
from apps.merchants.tests.two_factor import TwoFactorClient
from apps.orders.models import Order
from apps.orders.selectors import order_history
from apps.scheduling.models import Lane
from apps.scheduling.services import lane_pause
from apps.shipping.services import order_cancel_request

pytestmark = pytest.mark.django_db(transaction=True)


def _actions(batch) -> dict[int, str]:
    return dict(batch.orders.values_list("order_id", "action"))


def test_a_batch_buys_the_labels_still_to_buy_and_reprints_those_bought(merchant, merchant_user, carriers):
    labelled = submit(merchant, "B-1")
    book_all()
    waiting = submit(merchant, "B-2", name="张伟")
    cancelled = submit(merchant, "B-3")
    order_cancel_request(
        merchant_id=merchant.pk, order_id=cancelled.id, actor="user:1", reason="", expected_version=None
    )

    batch, created = label_batch_create(
        merchant_id=merchant.pk,
        user=merchant_user,
        order_ids=[labelled.id, waiting.id, cancelled.id],
        chosen_route=None,
        idempotency_key=uuid.uuid4(),
    )

    assert created
    assert _actions(batch) == {labelled.id: "reprint", waiting.id: "buy", cancelled.id: "skip"}
    before = label_batch_progress(batch=batch)
    assert (before.labelled, before.waiting, before.skipped, before.done) == (1, 1, 1, False)
    book_all()
    after = label_batch_progress(batch=batch)
    assert (after.labelled, after.waiting, after.skipped, after.done) == (2, 0, 1, True)
    assert [line.status for line in after.lines] == ["labelled", "labelled", "skipped"]


def test_the_merged_pdf_holds_each_labelled_orders_label_and_customs_form_on_each_paper(
    merchant, merchant_user, carriers
):
    orders = [submit(merchant, f"P-{n}", name=name) for n, name in enumerate(["Jiří Dvořák", "山田太郎", "Иван"])]
    book_all()
    batch, _ = label_batch_create(
        merchant_id=merchant.pk,
        user=merchant_user,
        order_ids=[o.id for o in orders],
        chosen_route=None,
        idempotency_key=uuid.uuid4(),
    )

    pages = {}
    for paper, slips in (("4x6", False), ("4x6", True), ("a4-2", True), ("a4-4", True)):
        pdf, in_it, documents = batch_pdf(batch=batch, paper=paper, packing_slips=slips)
        pages[paper, slips] = (in_it, documents, len(pypdf.PdfReader(io.BytesIO(pdf)).pages))

    # CN to DE: a label and a CN22 each, and a packing slip when asked for.
    assert pages == {
        ("4x6", False): (3, 6, 6),
        ("4x6", True): (3, 9, 9),
        ("a4-2", True): (3, 9, 5),
        ("a4-4", True): (3, 9, 3),
    }
    pdf, _, _ = batch_pdf(batch=batch, paper="4x6", packing_slips=True)
    text = [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages]
    tracking = [Order.objects.get(pk=o.pk).tracking_number for o in orders]
    assert [t for t in tracking if t] == tracking
    assert tracking[0] in text[0] and "Jiří Dvořák" in text[0] and "CUSTOMS DECLARATION" in text[1]
    assert "PACKING SLIP" in text[2] and "Jiří Dvořák" in text[2] and "山田太郎" in text[3] and "Иван" in text[6]


def test_a_service_chosen_for_the_batch_reroutes_the_orders_still_waiting_and_not_the_labelled(
    merchant, merchant_user, carriers
):
    labelled = submit(merchant, "S-1")
    book_all()
    # work-post's lane is held (paused by operations): the next order waits on it for its label.
    lane_pause(lane_id=Lane.objects.get(key="carrier:work-post").pk, paused=True, actor="ops")
    waiting = submit(merchant, "S-2")
    book_all()
    assert Order.objects.get(pk=waiting.pk).tracking_number == ""

    batch, _ = label_batch_create(
        merchant_id=merchant.pk,
        user=merchant_user,
        order_ids=[labelled.id, waiting.id],
        chosen_route=("fast-post", "express"),
        idempotency_key=uuid.uuid4(),
    )
    # *Buy* answered without moving anything: the move waits for a worker.
    assert Order.objects.get(pk=waiting.pk).carrier_code == "work-post"
    before = label_batch_progress(batch=batch)
    assert (before.labelled, before.waiting, before.moving) == (1, 1, 1)
    assert [line.note for line in before.lines] == [
        "Labelled already with work-post/standard.",
        "Moving to fast-post/express before its label is bought.",
    ]
    book_all()  # the relay hands the batch to its worker, which moves the order; fast-post books it

    assert _actions(batch) == {labelled.id: "reprint", waiting.id: "buy"}
    after = label_batch_progress(batch=batch)
    assert [line.note for line in after.lines] == [
        "Labelled already with work-post/standard.",
        "Moved from work-post/standard.",
    ]
    rerouted, kept = Order.objects.get(pk=waiting.pk), Order.objects.get(pk=labelled.pk)
    assert (rerouted.carrier_code, rerouted.service_code) == ("fast-post", "express")
    assert rerouted.tracking_number.startswith("SBFAS")
    assert kept.carrier_code == "work-post"
    assert after.done and after.moving == 0


def test_a_double_click_on_buy_makes_one_batch(merchant, merchant_user, carriers):
    orders = waiting_orders(merchant, 3)
    form = {
        "order_ids": ",".join(str(o.id) for o in orders),
        "service": "fast-post/express",  # each order moves first: once
        "idempotency_key": str(uuid.uuid4()),
    }
    answers, start = [], threading.Barrier(2)

    def click():
        client = TwoFactorClient()  # its login passes the two-factor step, as the owner would
        client.force_login(merchant_user)
        start.wait()
        try:
            answers.append(client.post("/batches/new/", form))
        finally:
            connection.close()

    clicks = [threading.Thread(target=click) for _ in range(2)]
    for thread in clicks:
        thread.start()
    for thread in clicks:
        thread.join()

    batch = LabelBatch.objects.get(merchant_id=merchant.pk)
    assert [a.status_code for a in answers] == [302, 302]
    assert {a["Location"] for a in answers} == {f"/batches/{batch.pk}/"}
    assert BatchOrder.objects.filter(batch__merchant_id=merchant.pk).count() == 3
    assert OutboxEvent.objects.filter(event_type=BATCH_BOUGHT).count() == 1
    book_all()
    for order in orders:
        moves = [step for step in order_history(order_id=order.id) if step.transition == "reroute"]
        assert len(moves) == 1 and Order.objects.get(pk=order.pk).carrier_code == "fast-post"


def test_every_print_is_logged_and_only_the_first_is_not_a_reprint(merchant, merchant_user, carriers):
    order = submit(merchant, "R-1")
    book_all()
    batch, _ = label_batch_create(
        merchant_id=merchant.pk,
        user=merchant_user,
        order_ids=[order.id],
        chosen_route=None,
        idempotency_key=uuid.uuid4(),
    )
    client = TwoFactorClient()  # its login passes the two-factor step, as the owner would
    client.force_login(merchant_user)

    first = client.get(f"/batches/{batch.pk}/labels.pdf", {"paper": "a4-4", "packing_slips": "on"})
    again = client.get(f"/batches/{batch.pk}/labels.pdf", {"paper": "4x6"})
    single = [client.get(f"/orders/{order.number}/label.pdf") for _ in range(2)]

    assert first.status_code == again.status_code == 200 and first["Content-Type"] == "application/pdf"
    assert [s.status_code for s in single] == [200, 200]
    log = list(LabelPrint.objects.order_by("id").values_list("batch_id", "order_id", "paper", "reprint", "printed_by"))
    assert log == [
        (batch.pk, None, "a4-4", False, merchant_user.pk),
        (batch.pk, None, "4x6", True, merchant_user.pk),
        (None, order.id, "4x6", False, merchant_user.pk),
        (None, order.id, "4x6", True, merchant_user.pk),
    ]
    page = client.get(f"/batches/{batch.pk}/").content.decode()
    assert "reprint (free)" in page and "first print" in page


def test_another_merchants_orders_are_skipped_and_their_batches_are_404(merchant, merchant_user, carriers):
    from apps.merchants.tests.factories import MerchantFactory

    other = MerchantFactory()
    theirs = submit(other, "T-1")
    batch, _ = label_batch_create(
        merchant_id=other.pk, user=merchant_user, order_ids=[theirs.id], chosen_route=None, idempotency_key=uuid.uuid4()
    )
    client = TwoFactorClient()  # its login passes the two-factor step, as the owner would
    client.force_login(merchant_user)

    mine, _ = label_batch_create(
        merchant_id=merchant.pk,
        user=merchant_user,
        order_ids=[theirs.id],
        chosen_route=None,
        idempotency_key=uuid.uuid4(),
    )

    assert _actions(mine) == {theirs.id: "skip"}
    assert client.get(f"/batches/{batch.pk}/").status_code == 404
    assert client.get(f"/batches/{batch.pk}/labels.pdf").status_code == 404


def test_a_batch_holds_at_least_one_and_at_most_500_orders(merchant, merchant_user):
    for order_ids, message in (([], "Select at least one order."), (list(range(1, 502)), "at most 500 orders")):
        with pytest.raises(BatchRefused) as refused:
            label_batch_create(
                merchant_id=merchant.pk,
                user=merchant_user,
                order_ids=order_ids,
                chosen_route=None,
                idempotency_key=uuid.uuid4(),
            )
        assert message in refused.value.message
    assert not LabelBatch.objects.exists()
    client = TwoFactorClient()  # its login passes the two-factor step, as the owner would
    client.force_login(merchant_user)
    nothing = client.get("/batches/new/")
    assert nothing.status_code == 400 and "Select at least one order" in nothing.content.decode()


def test_the_batch_list_shows_the_merchants_batches_with_their_size(merchant, merchant_user):
    batch, _ = label_batch_create(
        merchant_id=merchant.pk, user=merchant_user, order_ids=[1, 2], chosen_route=None, idempotency_key=uuid.uuid4()
    )
    client = TwoFactorClient()  # its login passes the two-factor step, as the owner would
    client.force_login(merchant_user)

    page = client.get("/batches/").content.decode()

    assert f"/batches/{batch.pk}/" in page and ">2</td>" in page and "platform's choice" in page


def test_a_large_batchs_orders_are_shown_a_hundred_to_a_page(merchant, merchant_user):
    batch, _ = label_batch_create(
        merchant_id=merchant.pk,
        user=merchant_user,
        order_ids=list(range(1, 121)),
        chosen_route=None,
        idempotency_key=uuid.uuid4(),
    )
    client = TwoFactorClient()  # its login passes the two-factor step, as the owner would
    client.force_login(merchant_user)

    first = client.get(f"/batches/{batch.pk}/").content.decode()
    second = client.get(f"/batches/{batch.pk}/", {"page": "2"}).content.decode()
    beyond = client.get(f"/batches/{batch.pk}/", {"page": "x9"})

    def rows(page: str) -> int:
        return page[page.index('<table id="batch-orders">') : page.index("</table>")].count("<tr>") - 1  # less the head

    assert (rows(first), rows(second)) == (100, 20)
    assert "Orders 1 to 100 of 120." in first and '?page=2"' in first
    assert "Orders 101 to 120 of 120." in second and '?page=1"' in second
    assert beyond.status_code == 200 and rows(beyond.content.decode()) == 100  # a bad page number: the first
