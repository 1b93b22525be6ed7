"""/import (issue 15): send the template, take the filled file back, preview, save on 저장.

Thin: the rules live in `services.imports` (and the file reading in `services.sheets`). The file
is downloaded twice (for the preview and again at 저장), so nothing of it, and no seeker's
personal data, is ever kept in the persisted conversation state."""

from __future__ import annotations

import logging
from typing import Any

from telegram import Document, Update
from telegram.error import TelegramError
from telegram.ext import (
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from adapters.context import ItdaContext
from core.errors import DomainError
from core.text import escape
from handlers.common import (
    END,
    REFUSED,
    Press,
    actor,
    attempt,
    canceller,
    explain,
    in_rows,
    keyboard,
    requires,
    say,
)
from locales import Translator
from rendering.records import opening_line
from services import imports, sheets
from services.import_template import build_template, example_row

log = logging.getLogger(__name__)

CHOOSE_KIND, CHOOSE_AGENCY, WAITING_FILE, CONFIRM = range(4)
DRAFT = "import"


def _draft(context: ItdaContext) -> dict[str, Any]:
    assert context.user_data is not None
    return context.user_data.setdefault(DRAFT, {})


def _trs(context: ItdaContext) -> list[Any]:
    return [context.tr, Translator("ko"), Translator("en")]


@requires("import")
async def start(update: Update, context: ItdaContext) -> int:
    """Staff get their template at once; a coordinator first picks the kind and the agency."""
    assert context.user_data is not None
    context.user_data[DRAFT] = {}
    if actor(update, context).is_lead:
        rows = [[(context.tr(f"import.kind.{k}"), f"imp:k:{k}") for k in imports.KINDS],
                [(context.tr("import.btn_cancel"), "imp:no")]]
        await say(update, context, context.tr("import.choose_kind"), keyboard(rows))
        return CHOOSE_KIND
    return await _send_template(update, context)


async def pick_kind(update: Update, context: ItdaContext) -> int:
    """imp:k:<kind>: the agencies of that kind as buttons."""
    query = update.callback_query
    assert query is not None and query.data is not None
    kind = query.data.split(":")[2]
    agencies = await attempt(update, context, imports.agencies_for, kind=kind)
    if agencies is REFUSED:
        return END
    assert isinstance(agencies, list)
    buttons = [(a.short_name, f"imp:a:{kind}:{a.id}") for a in agencies]
    rows = [*in_rows(buttons), [(context.tr("import.btn_cancel"), "imp:no")]]
    text = context.tr("import.choose_agency", kind=context.tr(f"import.kind.{kind}"))
    await say(update, context, text, keyboard(rows), edit=True)
    return CHOOSE_AGENCY


async def pick_agency(update: Update, context: ItdaContext) -> int:
    """imp:a:<kind>:<agency id>: remember the choice, send the template."""
    query = update.callback_query
    assert query is not None and query.data is not None
    _, _, kind, agency_id = query.data.split(":")
    _draft(context).update(kind=kind, agency=int(agency_id))
    return await _send_template(update, context)


async def _target(update: Update, context: ItdaContext) -> imports.Target | None:
    draft = _draft(context)
    found = await attempt(update, context, imports.import_target, kind=draft.get("kind"),
                          agency_id=draft.get("agency"))
    return found if isinstance(found, imports.Target) else None


async def _send_template(update: Update, context: ItdaContext) -> int:
    target = await _target(update, context)
    if target is None:
        return END
    async with context.runtime.session() as session:
        regions = await imports.template_regions(session=session)
    template = build_template(target.kind, context.tr, regions)
    chat = update.effective_chat
    assert chat is not None
    kind = context.tr(f"import.kind.{target.kind}")
    intro = "import.intro_opening" if target.kind == imports.OPENING else "import.intro_seeker"
    await say(update, context, context.tr(
        intro, agency=escape(target.agency.short_name),
        rows=sheets.MAX_ROWS, mb=sheets.MAX_BYTES // (1024 * 1024)))
    await context.bot.send_document(
        chat.id, template, filename=f"itda-import-{target.kind}.xlsx",
        caption=context.tr("import.template_caption", kind=kind))
    return WAITING_FILE


async def _download(context: ItdaContext, file_id: str) -> bytes:
    file = await context.bot.get_file(file_id)
    return bytes(await file.download_as_bytearray())


async def got_file(update: Update, context: ItdaContext) -> int:
    """A document: refuse by type and size before downloading, then check it and preview."""
    message = update.effective_message
    assert message is not None and message.document is not None
    document: Document = message.document
    try:
        sheets.kind_of(document.file_name)
        sheets.check_size(document.file_size)
    except DomainError as error:
        await explain(update, context, error)
        return WAITING_FILE
    target = await _target(update, context)
    if target is None:
        return END
    data = await _download(context, document.file_id)
    runtime = context.runtime
    try:
        async with runtime.session() as session:
            checked = await imports.check_file(
                session=session, clock=runtime.clock, cipher=runtime.cipher, target=target,
                data=data, filename=document.file_name, trs=_trs(context),
                minimum_wage=runtime.council.minimum_wage,
                example=example_row(target.kind, context.tr))
    except DomainError as error:  # the whole file refused: nothing of it kept
        await explain(update, context, error)
        return WAITING_FILE
    log.info("import file checked: %s rows, %s ready (user %s)", len(checked.rows),
             len(checked.ready), update.effective_user.id if update.effective_user else "?")
    await _preview(update, context, checked)
    if not checked.ready:
        return WAITING_FILE
    _draft(context).update(file_id=document.file_id, name=document.file_name,
                           ready=len(checked.ready))
    return CONFIRM


async def _preview(update: Update, context: ItdaContext, checked: imports.Checked) -> None:
    tr = context.tr
    lines = [tr("import.preview", kind=tr(f"import.kind.{checked.kind}"),
                ready=len(checked.ready), problems=len(checked.with_problems),
                already=len(checked.already))]
    if checked.saved_before is not None:
        lines.append(tr("import.file_saved_before", count=checked.saved_before))
    problems = [imports.problem_text(checked.kind, r, p, tr)
                for r in checked.with_problems for p in r.problems]
    if problems:
        shown = problems[: imports.PREVIEW_LINES]
        lines += ["", tr("import.preview_problems", shown=len(shown)),
                  *(escape(line) for line in shown)]
    warnings = [imports.problem_text(checked.kind, r, w, tr)
                for r in checked.ready for w in r.warnings]
    if warnings:
        lines += ["", tr("import.preview_warnings"),
                  *(escape(line) for line in warnings[: imports.PREVIEW_LINES])]
    if not checked.ready:
        lines += ["", tr("import.preview_none")]
    markup = None
    if checked.ready:
        markup = keyboard([[(tr("import.btn_save", count=len(checked.ready)), "imp:go"),
                            (tr("import.btn_cancel"), "imp:no")]])
    chat = update.effective_chat
    assert chat is not None
    if checked.with_problems or checked.already:
        await context.bot.send_document(
            chat.id, imports.error_workbook(checked, tr), filename="itda-import-errors.xlsx",
            caption=tr("import.report_caption"))
    await say(update, context, "\n".join(lines), markup)


async def confirm(update: Update, context: ItdaContext) -> int:
    """imp:go: check the file again and save its ready rows in one transaction."""
    draft = _draft(context)
    target = await _target(update, context)
    if target is None or "file_id" not in draft:
        return END
    data = await _download(context, draft["file_id"])
    runtime = context.runtime
    try:
        async with runtime.session() as session:
            checked = await imports.check_file(
                session=session, clock=runtime.clock, cipher=runtime.cipher, target=target,
                data=data, filename=draft.get("name"), trs=_trs(context),
                minimum_wage=runtime.council.minimum_wage,
                example=example_row(target.kind, context.tr))
            saved = await imports.save_checked(
                session=session, clock=runtime.clock, actor=actor(update, context),
                cipher=runtime.cipher, target=target, checked=checked,
                minimum_wage=runtime.council.minimum_wage)
    except DomainError as error:
        await explain(update, context, error)
        return END
    finally:
        assert context.user_data is not None
        context.user_data.pop(DRAFT, None)
    log.info("import saved: %s %s record(s) for agency %s", len(saved.ids), saved.kind,
             saved.agency_id)
    text = context.tr("import.saved", kind=context.tr(f"import.kind.{saved.kind}"),
                      count=len(saved.ids), skipped=saved.skipped, problems=saved.problems)
    await say(update, context, text, edit=True)
    if saved.notices:
        context.application.create_task(_notify(context, target, saved), update=update)
    return END


async def _notify(context: ItdaContext, target: imports.Target, saved: imports.Saved) -> None:
    """One notice per member of each 새일센터 whose 시군 got new openings (one failure skips
    one)."""
    for notice in saved.notices:
        tr = Translator(notice.member.language)
        markup = keyboard([[(tr("import.btn_see"), f"imp:see:{saved.agency_id}:"
                                                   f"{notice.first_id}:{notice.last_id}")]])
        try:
            await context.bot.send_message(
                notice.member.telegram_id,
                tr("import.notify", count=notice.count, agency=escape(target.agency.short_name)),
                reply_markup=markup)
        except TelegramError as exc:
            log.warning("import notice not delivered to member %s: %s", notice.member.id,
                        type(exc).__name__)


async def see(update: Update, context: ItdaContext) -> None:
    """imp:see:<agency>:<first>:<last>: the openings of one import in the reader's 시군."""
    query = update.callback_query
    assert query is not None and query.data is not None
    _, _, agency_id, first, last = query.data.split(":")
    found = await attempt(update, context, imports.imported_openings, agency_id=int(agency_id),
                          first_id=int(first), last_id=int(last))
    if found is REFUSED:
        return
    assert isinstance(found, list | tuple)
    if not found:
        await say(update, context, context.tr("import.see_none"))
        return
    lines = [context.tr("import.see_title", count=len(found))]
    lines += [opening_line(context, o) for o in found[:30]]
    buttons = [(f"#{o.id}", f"match:o:{o.id}") for o in found[:12]]
    await say(update, context, "\n".join(lines), keyboard(in_rows(buttons, 4)))


cancel = canceller(DRAFT, said="import.cancelled")


async def waiting(update: Update, context: ItdaContext) -> int:
    """Text while a file is awaited."""
    await say(update, context, context.tr("import.waiting_file"))
    return WAITING_FILE


async def group_document(update: Update, context: ItdaContext) -> None:
    """A spreadsheet sent in a group is refused unread: personal data never in groups.

    Runs in group -2, before the gate (which drops every group message that is not a command),
    and always stops there: no other handler sees a document sent in a group."""
    message = update.effective_message
    if message is not None and message.document is not None:
        try:
            sheets.kind_of(message.document.file_name)
            spreadsheet = True
        except DomainError as error:
            spreadsheet = error.key != "import.bad_type"  # .xls, .xlsm: spreadsheets too
        if spreadsheet:
            log.info("spreadsheet in group %s refused unread", message.chat_id)
            await say(update, context, context.tr("import.group_refused"))
    raise ApplicationHandlerStop


def build_conversation() -> ConversationHandler:
    private = filters.ChatType.PRIVATE
    return ConversationHandler(
        entry_points=[CommandHandler("import", start)],
        states={
            CHOOSE_KIND: [Press(pick_kind, pattern=r"^imp:k:(opening|seeker)$")],
            CHOOSE_AGENCY: [Press(pick_agency, pattern=r"^imp:a:(opening|seeker):\d{1,9}$")],
            WAITING_FILE: [MessageHandler(private & filters.Document.ALL, got_file),
                           MessageHandler(private & filters.TEXT & ~filters.COMMAND, waiting)],
            CONFIRM: [Press(confirm, pattern=r"^imp:go$"),
                      MessageHandler(private & filters.Document.ALL, got_file)],
        },
        fallbacks=[CommandHandler("cancel", cancel),
                   CallbackQueryHandler(cancel, pattern=r"^imp:no$")],
        name="import",
        persistent=True,
        allow_reentry=True,
    )


HANDLERS = [Press(see, pattern=r"^imp:see:\d{1,9}:\d{1,12}:\d{1,12}$")]
# Registered in group -2, before the gate.
GROUP_DOCUMENTS = MessageHandler(filters.ChatType.GROUPS & filters.Document.ALL, group_document)
