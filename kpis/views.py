"""KPI pages: the list, a KPI's page (chart, forecast, measurements, entry), CSV upload,
corrections, and the create/edit form. Views parse, call kpis.services, render.

Times are entered and shown in the organisation's timezone. Every page reads a
fixed number of queries however many KPIs, measurements and goals there are
(kpis/tests/test_pages.py pins them).
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.forms import apply_service_errors
from core.htmx import page_or_partial
from goals.access import NOT_ALLOWED, Actor, request_actor
from kpis import access, csv_upload, selectors, services
from kpis.charts import history_chart
from kpis.forms import CorrectionForm, CsvConfirmForm, CsvUploadForm, KpiForm, MeasurementForm
from kpis.models import GoalKpi, Granularity, Kpi, Measurement, Source
from kpis.status import status_of

SOURCE_SHORT = {
    Source.MANUAL: "By hand",
    Source.CSV: "CSV upload",
    Source.API: "API",
    Source.ROLLUP: "Roll-up",
}
LIST_PAGE = 25
MEASUREMENTS_PAGE = 20
SAVED = "Value saved."
CORRECTED = "Value corrected; the old one stays in the history."
CREATED = "KPI “{name}” created."
KPI_SAVED = "KPI saved."
UPLOADED = "{count} value{s} saved from the file."


def _org_tz(request: HttpRequest) -> ZoneInfo:
    try:
        return ZoneInfo(request.org.timezone)
    except (ValueError, KeyError):
        return ZoneInfo("UTC")


def _recordable(actor: Actor, kpi_pk: int) -> Kpi:
    kpi = access.get_kpi(actor, kpi_pk)
    if not access.can_record(actor, kpi):
        raise PermissionDenied(NOT_ALLOWED)
    return kpi


# --- The list ------------------------------------------------------------------------


@require_GET
def kpi_list(request: HttpRequest, org_slug: str) -> HttpResponse:
    actor = request_actor(request)
    mine = request.GET.get("show") == "mine"
    page = Paginator(selectors.kpi_list(actor, mine=mine), LIST_PAGE).get_page(
        request.GET.get("page")
    )
    with timezone.override(_org_tz(request)):
        context = {
            "page": page,
            "rows": selectors.list_rows(list(page.object_list)),
            "mine": mine,
            "query": "show=mine" if mine else "",
        }
        return render(request, page_or_partial(request, "kpis/kpi_list.html", "results"), context)


# --- A KPI's page --------------------------------------------------------------------


def _history(
    request: HttpRequest,
    actor: Actor,
    kpi: Kpi,
    children: list[Kpi],
    *,
    form: MeasurementForm | None = None,
    page_number=None,
) -> dict:
    """The chart, forecast, a page of measurements and the entry form."""
    points = selectors.chart_points(kpi, computed=bool(children))
    result = selectors.kpi_forecast(kpi, points, selectors.forecast_end(kpi.org_id))
    page = Paginator(selectors.measurements(kpi), MEASUREMENTS_PAGE).get_page(page_number)
    can_record = access.can_record(actor, kpi) and not children
    if form is None and can_record:
        now = timezone.localtime(timezone.now()).replace(second=0, microsecond=0)
        form = MeasurementForm(initial={"measured_at": now})
    fmt = lambda v: selectors.value_text(kpi, v)  # noqa: E731
    for m in page.object_list:
        m.value_text = fmt(m.value)
        m.replaced_text = fmt(m.replaces.value) if m.replaces else ""
        m.source_text = SOURCE_SHORT.get(m.source, m.source)
    return {
        "chart": history_chart(kpi, points, forecast=result),
        "points": [(when, fmt(value)) for when, value in points],
        "forecast": result,
        "forecast_sentence": selectors.forecast_sentence(kpi, result),
        "forecast_value_text": fmt(round(result.value, 1)) if result else "",
        "measurements": page,
        "can_record": can_record,
        "computed": bool(children),
        "period_label": Granularity(kpi.granularity).label.lower(),
        "can_correct": access.can_record(actor, kpi),
        "entry_form": form,
    }


def _kpi_page(request: HttpRequest, actor: Actor, kpi: Kpi, **history) -> dict:
    children = selectors.children(kpi)
    child_count = len(children)
    if child_count == selectors.CHILDREN_SHOWN:
        child_count = Kpi.objects.filter(org=kpi.org_id, parent=kpi).count()
    parent = None
    if kpi.parent_id:
        parent = Kpi.objects.filter(org=kpi.org_id, pk=kpi.parent_id).first()
        if parent is not None and not access.can_view(actor, parent):
            parent = None
    shown_children = [c for c in children if access.can_view(actor, c)]
    for child in shown_children:
        child.value_text = selectors.value_text(child, child.latest_value)
        child.status = status_of(child, child.latest_value)
    rule = kpi.get_aggregation_display()
    return {
        "kpi": kpi,
        # "weighted mean (by each child KPI's weight)": lower case but for the acronym
        "aggregation_text": rule[:1].lower() + rule[1:],
        "value_text": selectors.value_text(kpi, kpi.latest_value),
        "status": status_of(kpi, kpi.latest_value),
        "overdue": selectors.is_overdue(kpi),
        "target_text": selectors.target_text(kpi),
        "threshold_text": _threshold_text(kpi),
        "parent": parent,
        "children": shown_children,
        "child_count": child_count,
        "goals": selectors.served_goals(actor, kpi),
        "can_edit": access.can_edit(actor, kpi),
        **_history(request, actor, kpi, children, **history),
    }


def _threshold_text(kpi: Kpi) -> str:
    fmt = lambda v: selectors.value_text(kpi, v)  # noqa: E731
    if kpi.direction == "higher":
        return f"amber below {fmt(kpi.amber_threshold)}, red below {fmt(kpi.red_threshold)}"
    if kpi.direction == "lower":
        return f"amber above {fmt(kpi.amber_threshold)}, red above {fmt(kpi.red_threshold)}"
    return (
        f"amber more than {fmt(kpi.amber_threshold)} outside the range, "
        f"red more than {fmt(kpi.red_threshold)} outside"
    )


@require_GET
def kpi_detail(request: HttpRequest, org_slug: str, kpi_pk: int) -> HttpResponse:
    actor = request_actor(request)
    kpi = access.get_kpi(actor, kpi_pk)
    with timezone.override(_org_tz(request)):
        context = _kpi_page(request, actor, kpi, page_number=request.GET.get("page"))
        template = page_or_partial(request, "kpis/kpi_detail.html", "history")
        return render(request, template, context)


@require_POST
def kpi_measurement_new(request: HttpRequest, org_slug: str, kpi_pk: int) -> HttpResponse:
    """Add one value (the inline form): the chart and table again, or the form's errors."""
    actor = request_actor(request)
    kpi = _recordable(actor, kpi_pk)
    with timezone.override(_org_tz(request)):
        form = MeasurementForm(request.POST)
        saved = False
        if form.is_valid():
            data = form.cleaned_data
            row = services.Row(data["value"], data["measured_at"], data["note"])
            try:
                services.record_measurements(actor=actor, kpi=kpi, rows=[row])
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                saved = True
        if saved and not request.htmx:
            messages.success(request, SAVED)
            return redirect("kpis:kpi_detail", org_slug=org_slug, kpi_pk=kpi.pk)
        context = _kpi_page(request, actor, kpi, form=None if saved else form)
        context["saved"] = saved
        template = "kpis/kpi_detail.html#history" if request.htmx else "kpis/kpi_detail.html"
        return render(request, template, context, status=200 if saved else 400)


@require_http_methods(["GET", "POST"])
def kpi_measurement_correct(
    request: HttpRequest, org_slug: str, measurement_pk: int
) -> HttpResponse:
    actor = request_actor(request)
    measurement = (
        Measurement.objects.filter(org=request.org, pk=measurement_pk)
        .select_related("entered_by__user")
        .first()
    )
    if measurement is None:
        raise Http404("No such measurement")
    kpi = _recordable(actor, measurement.kpi_id)
    measurement.kpi = kpi
    form = CorrectionForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.correct_measurement(
                actor=actor,
                measurement=measurement,
                value=form.cleaned_data["value"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, CORRECTED)
            return redirect("kpis:kpi_detail", org_slug=org_slug, kpi_pk=kpi.pk)
    with timezone.override(_org_tz(request)):
        context = {
            "kpi": kpi,
            "measurement": measurement,
            "value_text": selectors.value_text(kpi, measurement.value),
            "form": form,
        }
        status = 400 if form.errors else 200
        return render(request, "kpis/correct.html", context, status=status)


# --- CSV upload ----------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def kpi_upload(request: HttpRequest, org_slug: str, kpi_pk: int) -> HttpResponse:
    actor = request_actor(request)
    kpi = _recordable(actor, kpi_pk)
    computed = Kpi.objects.filter(org=kpi.org_id, parent=kpi).exists()
    context = {"kpi": kpi, "computed": computed, "form": CsvUploadForm()}
    if request.method == "GET" or computed:
        return render(request, "kpis/upload.html", context, status=400 if computed else 200)
    tz = _org_tz(request)
    if "csv_text" in request.POST:
        return _upload_confirm(request, actor, kpi, context, tz)
    form = CsvUploadForm(request.POST, request.FILES)
    context["form"] = form
    if form.is_valid():
        try:
            text = csv_upload.read_upload(form.cleaned_data["file"])
            plan = csv_upload.plan(text, tz=tz)
        except ValidationError as error:
            form.add_error("file", error)
        else:
            return _upload_preview(request, kpi, context, plan, text, tz)
    return render(request, "kpis/upload.html", context, status=400)


def _upload_preview(request, kpi, context, plan, text, tz, *, notice: str = ""):
    fmt = lambda v: selectors.value_text(kpi, v)  # noqa: E731
    with timezone.override(tz):
        context = {
            **context,
            "plan": plan,
            "preview": [(row.row, row.measured_at, fmt(row.value), row.note) for row in plan.rows],
            "confirm_form": CsvConfirmForm(initial={"csv_text": text}),
            "notice": notice,
        }
        status = 400 if plan.errors or notice else 200
        return render(request, "kpis/upload.html", context, status=status)


def _upload_confirm(request, actor, kpi, context, tz):
    confirm = CsvConfirmForm(request.POST)
    if not confirm.is_valid():
        context["error"] = csv_upload.NOT_CSV
        return render(request, "kpis/upload.html", context, status=400)
    text = confirm.cleaned_data["csv_text"]
    try:
        plan = csv_upload.plan(text, tz=tz)
    except ValidationError as error:
        context["error"] = " ".join(error.messages)
        return render(request, "kpis/upload.html", context, status=400)
    if not plan.can_save:
        return _upload_preview(request, kpi, context, plan, text, tz, notice=csv_upload.HAS_ERRORS)
    try:
        services.record_measurements(
            actor=actor, kpi=kpi, rows=plan.service_rows(), source=Source.CSV
        )
    except ValidationError as error:
        return _upload_preview(
            request, kpi, context, plan, text, tz, notice=" ".join(error.messages)
        )
    count = len(plan.rows)
    messages.success(request, UPLOADED.format(count=count, s="" if count == 1 else "s"))
    return redirect("kpis:kpi_detail", org_slug=request.org.slug, kpi_pk=kpi.pk)


# --- Create and edit -----------------------------------------------------------------


def _kpi_initial(kpi: Kpi) -> dict:
    initial = {name: getattr(kpi, name) for name in services.KPI_FIELDS}
    for name in ("target", "target_low", "amber_threshold", "red_threshold", "weight"):
        if initial[name] is not None:
            initial[name] = initial[name].normalize()
    initial["owner"] = kpi.owner_id
    initial["unit"] = kpi.unit_id
    initial["parent"] = kpi.parent_id
    return initial


@require_http_methods(["GET", "POST"])
def kpi_create(request: HttpRequest, org_slug: str) -> HttpResponse:
    actor = request_actor(request)
    if not access.can_create(actor):
        raise PermissionDenied(NOT_ALLOWED)
    form = KpiForm(
        request.POST if request.method == "POST" else None,
        actor=actor,
        initial={"owner": actor.member.pk, "unit": actor.member.unit_id},
    )
    if request.method == "POST" and form.is_valid():
        try:
            kpi = services.create_kpi(
                actor=actor, goals=form.cleaned_data["goals"], **form.service_kwargs()
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        except PermissionDenied:
            form.add_error("owner", "You may only create KPIs that you own.")
        else:
            messages.success(request, CREATED.format(name=kpi.name))
            return redirect("kpis:kpi_detail", org_slug=org_slug, kpi_pk=kpi.pk)
    context = {"form": form, "kpi": None, "has_errors": bool(form.errors)}
    return render(request, "kpis/kpi_form.html", context, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def kpi_edit(request: HttpRequest, org_slug: str, kpi_pk: int) -> HttpResponse:
    actor = request_actor(request)
    kpi = access.get_kpi(actor, kpi_pk)
    if not access.can_edit(actor, kpi):
        raise PermissionDenied(NOT_ALLOWED)
    linked = list(GoalKpi.objects.filter(org=kpi.org_id, kpi=kpi).values_list("goal_id", flat=True))
    initial = {**_kpi_initial(kpi), "goals": linked}
    form = KpiForm(
        request.POST if request.method == "POST" else None, actor=actor, kpi=kpi, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        chosen = list(form.cleaned_data["goals"])
        # Unchanged links are left alone (links to goals the editor cannot see included).
        shown = {pk for pk in linked if pk in {g.pk for g in form.fields["goals"].queryset}}
        goals = None if {g.pk for g in chosen} == shown else chosen
        try:
            services.update_kpi(actor=actor, kpi=kpi, goals=goals, **form.service_kwargs())
        except ValidationError as error:
            apply_service_errors(form, error)
            kpi = access.get_kpi(actor, kpi_pk)  # the service changed the instance first
        else:
            messages.success(request, KPI_SAVED)
            return redirect("kpis:kpi_detail", org_slug=org_slug, kpi_pk=kpi.pk)
    context = {"form": form, "kpi": kpi, "has_errors": bool(form.errors)}
    return render(request, "kpis/kpi_form.html", context, status=400 if form.errors else 200)
