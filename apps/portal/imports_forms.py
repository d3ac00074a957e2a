"""The import pages' forms: the upload, the column mapping with the import settings (what a
file does not say), and the start. Their limits are the order's (`apps.shipping.limits`)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.common.text import refuse_control_characters
from apps.imports.headings import FIELDS, REQUIRED
from apps.imports.reading import MAX_BYTES
from apps.shipping import limits

SENDER_LABELS = {
    "name": _("Sender name"),
    "company": _("Sender company"),
    "line1": _("Sender address line 1"),
    "line2": _("Sender address line 2"),
    "city": _("Sender city"),
    "state": _("Sender state or province"),
    "postal_code": _("Sender postcode"),
    "country": _("Sender country (ISO code)"),
    "phone": _("Sender phone"),
    "email": _("Sender email"),
}
SENDER_REQUIRED = {"name", "line1", "city", "postal_code", "country"}


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("Spreadsheet (CSV or Excel .xlsx)"),
        help_text=_("At most 10 MB and 10,000 rows; the first row names the columns."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(limit)s MB; split it into several files.")
                % {"limit": MAX_BYTES // 1024 // 1024}
            )
        return upload


def _text(max_length: int, **options) -> forms.CharField:
    return forms.CharField(max_length=max_length, validators=[refuse_control_characters], **options)


class MappingForm(forms.Form):
    """A choice of the file's headings per field, then the import settings."""

    def __init__(self, *args, headings: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", _("— not in the file —")), *((h, h) for h in headings if h)]
        for name, label in FIELDS.items():
            self.fields[f"map_{name}"] = forms.ChoiceField(choices=choices, required=name in REQUIRED, label=label)
        for name, label in SENDER_LABELS.items():
            self.fields[f"sender_{name}"] = (forms.EmailField if name == "email" else forms.CharField)(
                max_length=limits.ADDRESS_MAX_LENGTH[name],
                required=name in SENDER_REQUIRED,
                label=label,
                validators=[refuse_control_characters],
            )
        self.fields["currency"] = _text(3, label=_("Currency when the file names none (ISO code)"))
        self.fields["origin_country"] = _text(2, label=_("Country of origin when the file names none"))
        self.fields["hs_code"] = forms.RegexField(
            regex=r"^\d{6}(\d{2}){0,2}$",
            required=False,
            label=_("HS code when the file names none"),
            error_messages={"invalid": _("An HS code has 6, 8 or 10 digits.")},
        )
        self.fields["service_level"] = forms.ChoiceField(
            choices=[("standard", _("Standard")), ("express", _("Express")), ("economy", _("Economy"))],
            label=_("Service level when the file names none"),
        )
        self.fields["weight_unit"] = forms.ChoiceField(
            choices=[("kg", "kg"), ("g", "g"), ("lb", "lb"), ("oz", "oz")],
            label=_("Weight unit when the heading names none"),
        )
        self.fields["weight_g"] = forms.IntegerField(
            min_value=1, max_value=limits.WEIGHT_G_MAX, label=_("Weight (g) when the file gives none")
        )
        for name, label in (
            ("length_mm", _("Length (mm)")),
            ("width_mm", _("Width (mm)")),
            ("height_mm", _("Height (mm)")),
        ):
            self.fields[name] = forms.IntegerField(min_value=1, max_value=limits.DIMENSION_MM_MAX, label=label)

    def mapping_fields(self):
        return [self[f"map_{name}"] for name in FIELDS]

    def sender_fields(self):
        return [self[f"sender_{name}"] for name in SENDER_LABELS]

    def setting_fields(self):
        names = ("currency", "origin_country", "hs_code", "service_level", "weight_unit", "weight_g")
        return [self[name] for name in (*names, "length_mm", "width_mm", "height_mm")]

    def clean(self):
        data = super().clean()
        used: dict[str, str] = {}
        for name in FIELDS:
            heading = data.get(f"map_{name}")
            if heading and heading in used:
                self.add_error(
                    f"map_{name}", _("This column is chosen for %(other)s already.") % {"other": FIELDS[used[heading]]}
                )
            elif heading:
                used[heading] = name
        return data

    def mapping(self) -> dict[str, str]:
        return {name: self.cleaned_data[f"map_{name}"] for name in FIELDS if self.cleaned_data.get(f"map_{name}")}

    def defaults(self) -> dict:
        names = [f"sender_{n}" for n in SENDER_LABELS] + [
            "currency",
            "origin_country",
            "hs_code",
            "service_level",
            "weight_unit",
            "weight_g",
            "length_mm",
            "width_mm",
            "height_mm",
        ]
        values = {name: self.cleaned_data[name] for name in names}
        for name in ("sender_country", "currency", "origin_country"):
            values[name] = values[name].strip().upper()
        return values

    @staticmethod
    def initial_for(mapping: dict[str, str], defaults: dict) -> dict:
        return {**{f"map_{name}": heading for name, heading in mapping.items()}, **defaults}


class StartForm(forms.Form):
    mode = forms.ChoiceField(
        choices=[("all", _("Import all or nothing")), ("valid", _("Import the valid rows"))], label=_("How")
    )
