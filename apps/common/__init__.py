"""Shared kernel: global ids, the transactional outbox and event dispatch, the transition
recorder, domain errors. Every other app may import it; it imports no other app."""
