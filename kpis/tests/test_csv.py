"""CSV upload of a KPI's values: a preview with row errors, then all rows or none."""

from __future__ import annotations

from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

from core.tenancy import tenant_context
from kpis import csv_upload, services
from kpis.models import Kpi, Measurement, Source
from kpis.tests.helpers import count, make_kpi, url

GOOD = "measured_at,value,note\n2026-11-02,99.1,\n2026-11-09 09:30,99.4,after the fix\n"


def upload(client, kpi, cast, text: str | bytes, name: str = "values.csv"):
    data = text.encode() if isinstance(text, str) else text
    file = SimpleUploadedFile(name, data, content_type="text/csv")
    return client.post(url("kpi_upload", cast, kpi.pk), {"file": file})


def test_it_previews_the_rows_and_saves_nothing_yet(cast, login):
    kpi = make_kpi(cast.member)
    client = login(cast.member)
    response = upload(client, kpi, cast, GOOD)
    assert response.status_code == 200
    html = response.content.decode()
    assert "2 values to save" in html and "Row 3" in html and "after the fix" in html
    assert "99.4%" in html and "Save these 2 values" in html
    assert count(kpi) == 0


def test_confirming_saves_every_row_as_a_csv_upload(cast, login):
    kpi = make_kpi(cast.member)
    client = login(cast.member)
    text = upload(client, kpi, cast, GOOD).context["confirm_form"].initial["csv_text"]
    response = client.post(url("kpi_upload", cast, kpi.pk), {"csv_text": text})
    assert response.status_code == 302
    with tenant_context(cast.org.pk):
        rows = list(Measurement.objects.filter(kpi=kpi).order_by("measured_at"))
        assert [m.value for m in rows] == [Decimal("99.1"), Decimal("99.4")]
        assert {m.source for m in rows} == {Source.CSV}
        assert rows[1].note == "after the fix" and rows[1].entered_by == cast.member
        assert Kpi.objects.get(pk=kpi.pk).latest_value == Decimal("99.4")
    assert "2 values saved from the file" in client.get(response.url).content.decode()


def test_row_errors_name_their_line_and_nothing_can_be_saved(cast, login):
    kpi = make_kpi(cast.member)
    text = "measured_at,value\n2026-11-02,99.1\n2026-11-03,lots\n\nyesterday,99\n2099-01-01,99\n"
    response = upload(login(cast.member), kpi, cast, text)
    assert response.status_code == 400
    errors = [(e.row, e.message) for e in response.context["plan"].errors]
    assert errors == [
        (3, f"Value: {services.VALUE_REQUIRED}"),
        (5, csv_upload.BAD_WHEN.format(text="yesterday")),
        (6, f"Measured at: {services.WHEN_FUTURE}"),
    ]
    html = response.content.decode()
    assert "Row 3" in html and "Row 5" in html and "“yesterday” is not a date" in html
    assert "Save these" not in html
    assert count(kpi) == 0


def test_a_confirmed_file_with_a_bad_row_saves_nothing(cast, login):
    kpi = make_kpi(cast.member)
    client = login(cast.member)
    tampered = GOOD + "2026-11-16,not a number,\n"
    response = client.post(url("kpi_upload", cast, kpi.pk), {"csv_text": tampered})
    assert response.status_code == 400
    assert csv_upload.HAS_ERRORS in response.content.decode()
    assert count(kpi) == 0


def test_an_unreadable_file_gets_a_message_not_an_error(cast, login):
    kpi = make_kpi(cast.member)
    client = login(cast.member)
    cases = [
        (b"measured_at,value\n2026-11-02,\x0099\n", csv_upload.NOT_CSV),
        ("measured_at,value\n2026-11-02,99\n".encode("utf-16"), csv_upload.NOT_CSV),
        (b"\xff\xfe\xfa binary", csv_upload.NOT_CSV),
        (b"when,how much\n2026-11-02,99\n", csv_upload.MISSING_COLUMNS),
        (b"measured_at,value\n", csv_upload.NO_ROWS),
        (b"x" * (csv_upload.MAX_FILE_BYTES + 1), csv_upload.FILE_TOO_LARGE),
        (
            ("measured_at,value\n" + "2026-11-02,1\n" * (csv_upload.MAX_ROWS + 1)).encode(),
            csv_upload.TOO_MANY_ROWS,
        ),
    ]
    for data, message in cases:
        response = upload(client, kpi, cast, data)
        assert response.status_code == 400, message
        assert message in response.content.decode(), message
    nul = client.post(url("kpi_upload", cast, kpi.pk), {"csv_text": "measured_at,value\n\x00"})
    assert nul.status_code == 400
    assert count(kpi) == 0


def test_semicolons_and_a_bom_from_a_spreadsheet_are_fine(cast, login):
    kpi = make_kpi(cast.member)
    text = "\ufeffMeasured at;Value\n2026-11-02T08:00:00+01:00;1,234.5\n"
    response = upload(login(cast.member), kpi, cast, text)
    assert response.status_code == 200
    (row,) = response.context["plan"].rows
    assert row.value == Decimal("1234.5") and row.measured_at.isoformat().endswith("+01:00")


def test_only_those_who_may_record_can_upload(cast, login):
    kpi = make_kpi(cast.member2)
    client = login(cast.member)
    assert client.get(url("kpi_upload", cast, kpi.pk)).status_code == 403
    assert upload(client, kpi, cast, GOOD).status_code == 403
    assert client.post(url("kpi_upload", cast, kpi.pk), {"csv_text": GOOD}).status_code == 403
    assert count(kpi) == 0


def test_a_computed_kpi_takes_no_upload(cast, login):
    parent = make_kpi(cast.member, name="All teams")
    make_kpi(cast.member, name="Team A", parent=parent)
    client = login(cast.member)
    response = client.post(url("kpi_upload", cast, parent.pk), {"csv_text": GOOD})
    assert response.status_code == 400
    assert "computed from its child KPIs" in response.content.decode()
    assert count(parent) == 0
