"""How every form's fields render, in one place (settings.FORM_RENDERER).

Django ties a field's error list to its input (the list's id in the input's aria-describedby, and
aria-invalid). On top of that, each single input carries its label as its accessible name, so an
input drawn without its <label> (a cell of a row of item fields, a filter) is still named; where
the label is drawn too, both say the same words."""

from html import escape

from django.forms import BaseFormSet, BoundField, CheckboxSelectMultiple, RadioSelect, Select
from django.forms.renderers import DjangoTemplates
from django.forms.utils import ErrorDict, flatatt
from django.utils.safestring import mark_safe


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


class QuickSelect(Select):
    """A <select> written out in Python instead of one template per option. A list of countries
    is 250 options, and the order form has six of them: through the option template they took
    most of the page's 100-140 ms of CPU (bench/portal_pages.py). Flat choices only (no groups);
    the attributes are those the field would give the template, and every value and label is
    escaped as the template would."""

    def render(self, name, value, attrs=None, renderer=None):
        chosen = {str(v) for v in self.format_value(value)}
        options = []
        for key, label in self.choices:
            key = str(key)
            selected = " selected" if key in chosen else ""
            options.append(f'<option value="{escape(key)}"{selected}>{escape(str(label))}</option>')
        attributes = flatatt(self.build_attrs(self.attrs, attrs))
        return mark_safe(f'<select name="{escape(name)}"{attributes}>{"".join(options)}</select>')  # noqa: S308


def drawn_as_typed(*forms_and_formsets) -> None:
    """Bound forms (and formsets) that draw what was posted without checking it: a form posted
    back to be drawn again, changed ("Add a parcel", a saved address chosen), is not a submit,
    and a field the merchant has not reached yet is not an error."""
    for entry in forms_and_formsets:
        if isinstance(entry, BaseFormSet):
            entry._non_form_errors = entry.error_class()
            entry._errors = []
            drawn_as_typed(*entry.forms)
        else:
            entry._errors = ErrorDict()
