"""How every form's fields render, in one place (settings.FORM_RENDERER).

Django ties a field's error list to its input (the list's id in the input's aria-describedby, and
aria-invalid). On top of that, each single input carries its label as its accessible name, so an
input drawn without its <label> (a cell of a row of item fields, a filter) is still named; where
the label is drawn too, both say the same words."""

from django.forms import BoundField, CheckboxSelectMultiple, RadioSelect
from django.forms.renderers import DjangoTemplates


class LabelledBoundField(BoundField):
    def build_widget_attrs(self, attrs, widget=None):
        attrs = super().build_widget_attrs(attrs, widget)
        widget = widget or self.field.widget
        grouped = isinstance(widget, RadioSelect | CheckboxSelectMultiple)  # each option has its own label
        if self.label and not widget.is_hidden and not grouped and "aria-label" not in widget.attrs:
            attrs.setdefault("aria-label", str(self.label))
        return attrs


class AccessibleFormRenderer(DjangoTemplates):
    bound_field_class = LabelledBoundField
