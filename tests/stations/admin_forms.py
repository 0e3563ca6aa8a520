"""Post an admin change form back as a browser would: every field of the form and its inlines."""

import datetime


def _as_post_value(value):
    if value is None or value is False:
        return None
    if value is True:
        return "on"
    if isinstance(value, (list, tuple)):
        return [str(getattr(v, "pk", v)) for v in value]
    if isinstance(value, datetime.time):
        return value.strftime("%H:%M")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(getattr(value, "pk", value))


def _add_form(data, form):
    for name in form.fields:
        bound = form[name]
        value = _as_post_value(bound.value())
        if value is not None:
            data[bound.html_name] = value


def change_form_data(response):
    """The POST data of an admin add/change page as it was rendered, inline management forms included."""
    data = {}
    _add_form(data, response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[management[name].html_name] = management[name].value()
        # The blank extra rows the page offers are left out, as a browser leaves them empty.
        data[management["TOTAL_FORMS"].html_name] = str(len(formset.initial_forms))
        for form in formset.initial_forms:
            _add_form(data, form)
    return data


def add_inline_row(data, prefix, fields):
    """Append a new row to the inline formset `prefix` (e.g. "photos") and return its index."""
    index = int(data[f"{prefix}-TOTAL_FORMS"])
    data[f"{prefix}-TOTAL_FORMS"] = str(index + 1)
    for name, value in fields.items():
        data[f"{prefix}-{index}-{name}"] = value
    return index
