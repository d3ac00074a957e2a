"""The simulated outside world: carrier APIs (and later warehouse systems) served over real HTTP
under /sandbox/, with knobs for latency, errors and outages. Imports no domain app; the
platform reaches it only over HTTP, exactly as it reaches a real carrier."""
