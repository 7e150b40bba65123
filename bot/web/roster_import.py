"""/leaders/import: a leader roster (CSV/XLSX) imported at the desk, as chat's /import does it
(handlers/roster_upload.py): the file is read in a child process (bot.roster.dry_run) within the staff
member's communes, the report is chat's, the file waits in roster_uploads (one day at most, purged by
/delete_me) until "Áp dụng" applies it in one transaction (bot.roster.apply, same scope)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot import roster
from bot.clock import iso
from bot.store import audit
from bot.store import roster as roster_store
from bot.web.auth import current_staff, too_big
from bot.web.inbox import staff_person
from bot.web.render import SERVICES, page

PATH = "/leaders/import"
REPORT_LINES = 15  # as chat: rows listed per section


def routes(router: web.UrlDispatcher) -> None:
    """Register the import pages (before /leaders/{id})."""
    router.add_get(PATH, show)
    router.add_post(PATH, upload)
    router.add_post(PATH + "/{id:\\d+}/apply", apply)
    router.add_post(PATH + "/{id:\\d+}/cancel", cancel)


async def show(request: web.Request) -> web.StreamResponse:
    """GET /leaders/import: the upload form."""
    return form_page(request)


def form_page(request: web.Request, error: str | None = None, notice: str | None = None,
              status: int = 200) -> web.Response:
    """The upload form, with what went wrong or what was done."""
    return page(request, "leaders_import.html", status=status, error=error, notice=notice,
                limit_mb=roster.MAX_BYTES // (1024 * 1024))


def _year(request: web.Request) -> int:
    """This year in the province's time zone (birth years are checked against it)."""
    services = request.app[SERVICES]
    return services.clock.now().astimezone(services.config.tz).year


async def upload(request: web.Request) -> web.StreamResponse:
    """POST /leaders/import: the dry run of the sent file; the file waits for "Áp dụng" if it writes anything."""
    services = request.app[SERVICES]
    t = services.content.texts
    staff = current_staff(request)
    form = await request.post()
    sent: Any = form.get("file")
    if not isinstance(sent, web.FileField):
        return form_page(request, str(t("web.import_no_file")))
    data = sent.file.read(roster.MAX_BYTES + 1)
    if len(data) > roster.MAX_BYTES:
        return form_page(request, too_big(request), status=413)
    name = (sent.filename or "danh-sach")[:120]
    try:
        plan = await roster.dry_run(services.db, services.content, data, name, _year(request),
                                    staff.commune_filter)
    except roster.RosterError as exc:
        return form_page(request, roster.render_error(t, exc))
    report = roster.render_report(t, plan, name, limit=REPORT_LINES, note="roster.bot_note")
    upload_id = None
    if plan.writes_anything:
        person_id, _ = await staff_person(request, staff)
        upload_id = await roster_store.save_upload(services.db, person_id, name, data, iso(services.clock.now()))
    return page(request, "leaders_import_report.html", report=report, upload_id=upload_id, applied=False)


async def _stored(request: web.Request) -> tuple[int, tuple[str, bytes] | None]:
    """The upload of the URL if it is this staff member's and still waiting."""
    upload_id = int(request.match_info["id"])
    person_id, _ = await staff_person(request, current_staff(request))
    return upload_id, await roster_store.get_upload(request.app[SERVICES].db, upload_id, person_id)


async def apply(request: web.Request) -> web.StreamResponse:
    """POST /leaders/import/{id}/apply: written in one transaction within the staff member's communes, audited."""
    services = request.app[SERVICES]
    t = services.content.texts
    staff = current_staff(request)
    upload_id, stored = await _stored(request)
    if stored is None:  # applied, cancelled, expired, or someone else's: the same answer
        return form_page(request, str(t("web.import_gone")), status=404)
    name, data = stored
    now = iso(services.clock.now())
    try:
        plan = await roster.apply(services.db, services.content, data, name, _year(request), now,
                                  scope=staff.commune_filter)
    except roster.RosterError as exc:
        return form_page(request, roster.render_error(t, exc))
    finally:
        await roster_store.delete_upload(services.db, upload_id)
    await audit.record(services.db, now, str(staff.identity), "roster.import",
                       audit.scope_label(staff.commune_filter), f"added:{len(plan.add)} changed:{len(plan.change)}")
    report = roster.render_report(t, plan, name, limit=REPORT_LINES)
    return page(request, "leaders_import_report.html", report=f"{report}\n\n{t('roster.applied_note')}",
                upload_id=None, applied=True)


async def cancel(request: web.Request) -> web.StreamResponse:
    """POST /leaders/import/{id}/cancel: the waiting file is forgotten (only the sender's own)."""
    services = request.app[SERVICES]
    upload_id, stored = await _stored(request)
    if stored is not None:
        await roster_store.delete_upload(services.db, upload_id)
    return form_page(request, notice=str(services.content.texts("roster.cancelled")))
