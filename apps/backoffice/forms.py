from dataclasses import dataclass

from django import forms


@dataclass(frozen=True)
class SelectedItem:
    kind: str
    id: int
    order_id: int | None
    merchant_id: int | None


KINDS = ("order", "lane_entry", "distribution_order", "warehouse_order", "webhook_delivery")


def _parse_item(value: str) -> SelectedItem | None:
    # "kind:id:order_id:merchant_id", as the page writes each checkbox's value.
    parts = value.split(":")
    if len(parts) != 4 or parts[0] not in KINDS or not parts[1].isdigit():
        return None
    optional = [int(p) if p.isdigit() else None for p in parts[2:]]
    return SelectedItem(parts[0], int(parts[1]), *optional)


class StuckActionForm(forms.Form):
    ACTIONS = {
        "retry": "Retry",
        "reroute": "Re-route the orders",
        "cancel": "Cancel the orders",
        "assign": "Hand to a person",
    }

    action = forms.ChoiceField()
    assignee = forms.ModelChoiceField(queryset=None, required=False, label="Person")
    note = forms.CharField(required=False, max_length=300)

    def __init__(self, *args, actions: list[str], assignees, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [(a, self.ACTIONS[a]) for a in actions]
        self.fields["assignee"].queryset = assignees

    def clean(self):
        data = super().clean()
        # The selected work (checkboxes named "items"), at most 500 at once.
        parsed = [_parse_item(value) for value in self.data.getlist("items")[:500]]
        if not parsed or None in parsed:
            raise forms.ValidationError("Select the work to act on.")
        data["items"] = parsed
        if data.get("action") == "assign":
            if not data.get("assignee"):
                self.add_error("assignee", "Choose the person to hand the work to.")
            if not data.get("note"):
                self.add_error("note", "Say what the person should look at.")
        return data
