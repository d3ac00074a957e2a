from apps.common.exceptions import Conflict


class WorkNotWaiting(Conflict):
    """Operations asked to hold, release or hurry work that is not waiting on its lane."""

    code = "work_not_waiting"
