"""The distribution center has no tasks of its own: every carrier call (booking, voiding, tracking
polls) runs as lane work of the scheduling center (`apps.scheduling.tasks.run_lane_work`), so that
the carrier's global rate and concurrency limits hold for all of them together."""
