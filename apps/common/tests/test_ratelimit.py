import threading
import uuid

from apps.common import ratelimit


def test_a_bucket_allows_its_capacity_then_refuses_with_a_wait():
    bucket = f"test:{uuid.uuid4()}"

    verdicts = [ratelimit.take(bucket=bucket, capacity=3, per_second=0.5) for _ in range(4)]

    assert [v.allowed for v in verdicts] == [True, True, True, False]
    assert 0 < verdicts[-1].retry_after_seconds <= 2


def test_concurrent_takers_never_overdraw_a_bucket():
    bucket = f"test:{uuid.uuid4()}"
    results = []
    lock = threading.Lock()

    def hammer():
        for _ in range(25):
            verdict = ratelimit.take(bucket=bucket, capacity=40, per_second=0.001)
            with lock:
                results.append(verdict.allowed)

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert results.count(True) == 40
    assert len(results) == 200


def test_the_limiter_lets_requests_through_when_redis_is_down(settings, monkeypatch):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    monkeypatch.setattr(ratelimit, "_client", None)

    verdict = ratelimit.take(bucket="test:down", capacity=1, per_second=1)

    assert verdict.allowed
    monkeypatch.setattr(ratelimit, "_client", None)
