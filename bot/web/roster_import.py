"""/leaders/import: a leader roster (CSV/XLSX) imported at the desk, as chat's /import does it
(handlers/roster_upload.py): the file is read in a child process (bot.roster.dry_run) within the staff
member's communes, the report is chat's, the file waits in roster_uploads (one day at most, purged by
/delete_me) until "Áp dụng" applies it in one transaction (bot.roster.apply, same scope).

Conflicting rows (a registered leader's own answers differ from the file) are skipped unless the staff
member ticks them, or chooses to overwrite them all (the command line's --update-conflicts). Every form
answers with a redirect (POST → 303 → GET): the waiting file's report has its own URL, and what was done
is shown through bot/web/flash.py, so a reload never sends or applies a file again."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot import roster
from bot.clock import iso
from bot.store import audit
from bot.store import roster as roster_store
from bot.web.auth import current_staff, too_big
from bot.web.flash import recall, redirect
from bot.web.inbox import staff_person
from bot.web.render import SERVICES, page

PATH = "/leaders/import"
REPORT_LINES = 15  # as chat: rows listed per section


def routes(router: web.UrlDispatcher) -> None:
    """Register the import pages (before /leaders/{id})."""
    router.add_get(PATH, show)
    router.add_post(PATH, upload)
    router.add_get(PATH + "/{id:\\d+}", waiting)
    router.add_post(PATH + "/{id:\\d+}/apply", apply)
    router.add_post(PATH + "/{id:\\d+}/cancel", cancel)


async def show(request: web.Request) -> web.StreamResponse:
    """GET /leaders/import: the upload form, or (`?r=`) what the last form did: a report, a notice, an error."""
    done = recall(request)
    if "report" in done:
        return page(request, "leaders_import_report.html", report=done["report"], upload_id=None,
                    applied=done.get("applied", False), conflicts=[])
    return form_page(request, done.get("error"), done.get("notice"))


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
        redirect(request, PATH, error=str(t("web.import_no_file")))
    data = sent.file.read(roster.MAX_BYTES + 1)
    if len(data) > roster.MAX_BYTES:
        redirect(request, PATH, error=too_big(request))
    name = (sent.filename or "danh-sach")[:120]
    try:
        plan = await roster.dry_run(services.db, services.content, data, name, _year(request),
                                    staff.commune_filter)
    except roster.RosterError as exc:
        redirect(request, PATH, error=roster.render_error(t, exc))
    if not plan.writes_anything:  # nothing waits: the report itself is the result
        redirect(request, PATH, report=_report(request, plan, name))
    person_id, _ = await staff_person(request, staff)
    upload_id = await roster_store.save_upload(services.db, person_id, name, data, iso(services.clock.now()))
    raise web.HTTPSeeOther(f"{PATH}/{upload_id}")


def _report(request: web.Request, plan: roster.Plan, name: str) -> str:
    """Chat's dry-run report, with the web's sentence on conflicts."""
    return roster.render_report(request.app[SERVICES].content.texts, plan, name, limit=REPORT_LINES,
                                note="roster.bot_note", conflict_note="web.import_conflict_note")


async def waiting(request: web.Request) -> web.StreamResponse:
    """GET /leaders/import/{id}: the dry run of the waiting file (read again: the report shows what applying
    would do now), with "Áp dụng", "Hủy" and a tick box per conflicting row."""
    services = request.app[SERVICES]
    upload_id, stored = await _stored(request)
    if stored is None:
        return form_page(request, str(services.content.texts("web.import_gone")), status=404)
    name, data = stored
    try:
        plan = await roster.dry_run(services.db, services.content, data, name, _year(request),
                                    current_staff(request).commune_filter)
    except roster.RosterError as exc:  # the same file was read before: only a changed limit gets here
        return form_page(request, roster.render_error(services.content.texts, exc))
    conflicts = [(c.row.line, roster.conflict_line(services.content.texts, c)) for c in plan.conflict]
    return page(request, "leaders_import_report.html", report=_report(request, plan, name), upload_id=upload_id,
                applied=False, conflicts=conflicts)


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
                                  update_conflicts=await _overwrite(request), scope=staff.commune_filter)
    except roster.RosterError as exc:
        redirect(request, PATH, error=roster.render_error(t, exc))
    finally:
        await roster_store.delete_upload(services.db, upload_id)
    overwritten = f" overwritten:{len(plan.updated)}" if plan.updated else ""
    await audit.record(services.db, now, str(staff.identity), "roster.import", audit.scope_label(staff.commune_filter),
                       f"added:{len(plan.add)} changed:{len(plan.change)}{overwritten}")
    report = roster.render_report(t, plan, name, limit=REPORT_LINES)
    redirect(request, PATH, report=f"{report}\n\n{t('roster.applied_note')}", applied=True)


async def _overwrite(request: web.Request) -> bool | frozenset[int]:
    """Which conflicts the form overwrites: all ("overwrite=all"), or the ticked rows' file lines."""
    form = await request.post()
    if form.get("overwrite") == "all":
        return True
    lines = (str(value) for value in form.getall("line", []))
    return frozenset(int(line) for line in lines if line.isdigit() and len(line) <= 6)


async def cancel(request: web.Request) -> web.StreamResponse:
    """POST /leaders/import/{id}/cancel: the waiting file is forgotten (only the sender's own)."""
    services = request.app[SERVICES]
    upload_id, stored = await _stored(request)
    if stored is not None:
        await roster_store.delete_upload(services.db, upload_id)
    redirect(request, PATH, notice=str(services.content.texts("roster.cancelled")))
