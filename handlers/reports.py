"""/report: the month-end report of the user's agency (pre-filled, corrected, submitted, amended)
and /reports: the coordinators' submission table with a re-nudge of the missing agencies."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
)

from adapters.context import ItdaContext
from core.errors import DomainError
from core.text import escape
from handlers.common import (
    END,
    answer,
    canceller,
    explain,
    in_rows,
    is_member,
    keyboard,
    requires,
    say,
    stale,
    typed,
)
from handlers.status import earliest_month
from locales import Translator
from services import reports
from services.membership import Actor
from services.reports import REPORT_METRICS

log = logging.getLogger(__name__)
Draft = reports.ReportDraft

REVIEW, FIX_REGION, FIX_METRIC, FIX_VALUE, FIX_REASON, AMEND_REASON, CONFIRM = range(7)
DRAFT = "report_draft"
PENDING = "report_fix"


def _draft(context: ItdaContext) -> reports.ReportDraft | None:
    data = (context.user_data or {}).get(DRAFT)
    return reports.ReportDraft.from_dict(data) if data else None


def _with_draft(
    step: Callable[[Update, ItdaContext, Draft], Awaitable[int]],
) -> Callable[[Update, ItdaContext], Coroutine[Any, Any, int]]:
    """A step of the open report, given its draft (a button is answered first); without a
    draft the form is over (stale)."""

    @functools.wraps(step)
    async def run(update: Update, context: ItdaContext) -> int:
        await answer(update)
        draft = _draft(context)
        if draft is None:
            return await stale(update, context)
        return await step(update, context, draft)

    return run


def _keep(context: ItdaContext, draft: reports.ReportDraft) -> None:
    assert context.user_data is not None
    context.user_data[DRAFT] = draft.to_dict()


def _actor(update: Update, context: ItdaContext) -> Actor:
    user = update.effective_user
    assert user is not None
    return Actor(user.id, context.member)


def _figures_text(context: ItdaContext, draft: reports.ReportDraft) -> list[str]:
    tr, region_name = context.tr, context.runtime.council.region_name
    lines = []
    for region, values in draft.figures.items():
        parts = " \u00b7 ".join(
            f"{tr(f'status.metric.{m}')} {values.get(m, 0)}" for m in REPORT_METRICS
        )
        lines.append(f"\u2022 {escape(region_name(region))}: {parts}")
    if not lines:
        lines.append(tr("report.no_records"))
    total = reports.totals(draft.figures)
    lines.append(tr("report.total", figures=" \u00b7 ".join(
        f"{tr(f'status.metric.{m}')} {total[m]}" for m in REPORT_METRICS)))
    for fix in draft.corrections:
        lines.append(tr("report.correction_line", region=escape(region_name(fix["region"])),
                        metric=tr(f"status.metric.{fix['metric']}"), before=fix["from"],
                        after=fix["to"], reason=escape(fix["reason"])))
    return lines


async def _show_review(update: Update, context: ItdaContext, *, edit: bool = False) -> int:
    draft = _draft(context)
    if draft is None:
        return await stale(update, context)
    agency = context.agency
    key = "report.amend_title" if draft.base_version else "report.title"
    lines = [context.tr(key, agency=escape(agency.short_name if agency else "-"),
                        month=draft.month, version=draft.base_version + 1), ""]
    lines += _figures_text(context, draft)
    lines += ["", context.tr("report.review_hint")]
    rows = [[(context.tr("report.btn_fix"), "rep:fix"),
             (context.tr("report.btn_submit"), "rep:submit")],
            [(context.tr("common.btn_cancel"), "rep:cancel")]]
    await say(update, context, "\n".join(lines), keyboard(rows), edit=edit)
    return REVIEW


async def _month(update: Update, context: ItdaContext, text: str) -> str | None:
    """The month named after the command (this month when none); None when it is not one
    (the user was told why)."""
    today = context.runtime.clock.today()
    if not text.strip():
        return reports.month_of(today)
    try:
        return reports.parse_month(text, today=today, earliest=await earliest_month(context))
    except DomainError as error:
        await explain(update, context, error)
        return None


@requires("report")
async def start_report(update: Update, context: ItdaContext) -> int:
    """Open this month's (or the named month's) report of the user's agency."""
    agency = context.agency
    if agency is None or agency.id is None:
        await say(update, context, context.tr("report.no_agency"))
        return END
    runtime = context.runtime
    month = await _month(update, context, " ".join(context.args or []) if update.message else "")
    if month is None:
        return END
    async with runtime.session() as session:
        state = await reports.open_report(session=session, agency_id=agency.id, month=month)
    assert context.user_data is not None
    context.user_data.pop(PENDING, None)
    _keep(context, state.draft)
    submitted = state.submitted
    if submitted is None:
        return await _show_review(update, context)
    lines = [context.tr("report.locked_title", agency=escape(agency.short_name), month=month,
                        version=submitted.version)]
    for version in state.versions:
        at = version.submitted_at.strftime("%m/%d %H:%M") if version.submitted_at else "-"
        key = "report.version_line_late" if version.late else "report.version_line"
        lines.append(context.tr(key, version=version.version, at=at,
                                reason=escape(version.reason or "-")))
    lines.append("")
    lines += _figures_text(context, state.draft)
    rows = [[(context.tr("report.btn_amend"), "rep:amend"),
             (context.tr("report.btn_close"), "rep:cancel")]]
    await say(update, context, "\n".join(lines), keyboard(rows))
    return REVIEW


async def entry_button(update: Update, context: ItdaContext) -> int:
    """The 실적보고 button of the private /status."""
    await answer(update)
    if not await is_member(update, context):
        return END
    context.args = []
    return await start_report(update, context)


@_with_draft
async def choose_region(update: Update, context: ItdaContext, draft: Draft) -> int:
    """Which 시군's figure to correct."""
    codes = list(draft.figures) + [
        r.code for r in context.runtime.council.regions if r.code not in draft.figures
    ]
    region_name = context.runtime.council.region_name
    buttons = [(region_name(c), f"rep:rg:{c}") for c in codes]
    rows = in_rows(buttons, 3) + [[(context.tr("report.btn_back"), "rep:back")]]
    await say(update, context, context.tr("report.choose_region"), keyboard(rows), edit=True)
    return FIX_REGION


async def choose_metric(update: Update, context: ItdaContext) -> int:
    """Which figure of the 시군."""
    await answer(update)
    query = update.callback_query
    assert query is not None and query.data is not None and context.user_data is not None
    region = query.data.split(":", 2)[2]
    draft = _draft(context)
    known = {r.code for r in context.runtime.council.regions} | set(draft.figures if draft else ())
    if draft is None or region not in known:  # an old or forged button: no such 시군
        return await stale(update, context)
    context.user_data[PENDING] = {"region": region}
    values = draft.figures.get(region, {}) if draft else {}
    buttons = [
        (f"{context.tr(f'status.metric.{m}')} ({values.get(m, 0)})", f"rep:mt:{m}")
        for m in REPORT_METRICS
    ]
    rows = in_rows(buttons, 2) + [[(context.tr("report.btn_back"), "rep:back")]]
    text = context.tr("report.choose_metric",
                      region=escape(context.runtime.council.region_name(region)))
    await say(update, context, text, keyboard(rows), edit=True)
    return FIX_METRIC


async def ask_value(update: Update, context: ItdaContext) -> int:
    """Ask for the corrected number."""
    await answer(update)
    query = update.callback_query
    assert query is not None and query.data is not None and context.user_data is not None
    pending = context.user_data.get(PENDING)
    metric = query.data.split(":", 2)[2]
    draft = _draft(context)
    if not pending or draft is None or metric not in REPORT_METRICS:
        return await stale(update, context)
    pending["metric"] = metric
    current = draft.figures.get(pending["region"], {}).get(metric, 0)
    await say(update, context, context.tr("report.ask_value",
                                          metric=context.tr(f"status.metric.{metric}"),
                                          current=current, limit=reports.MAX_FIGURE), edit=True)
    return FIX_VALUE


async def got_value(update: Update, context: ItdaContext) -> int:
    """A number: check it, then ask why it differs from the records."""
    assert update.message is not None and context.user_data is not None
    try:
        value = reports.parse_figure(update.message.text or "")
    except DomainError as error:
        await say(update, context, context.tr(error.key, **error.shown))
        return FIX_VALUE
    context.user_data.setdefault(PENDING, {})["value"] = value
    await say(update, context, context.tr("report.ask_reason"))
    return FIX_REASON


async def got_reason(update: Update, context: ItdaContext) -> int:
    """The reason: the correction is applied to the draft, both figures kept."""
    assert update.message is not None and context.user_data is not None
    pending = context.user_data.get(PENDING) or {}
    draft = _draft(context)
    if draft is None or "value" not in pending:
        return await stale(update, context)
    try:
        draft = reports.correct(
            draft, region=pending["region"], metric=pending["metric"], value=pending["value"],
            reason=update.message.text or "", member_id=context.member.id if context.member
            else None, now=context.runtime.clock.now(),
        )
    except DomainError as error:
        await say(update, context, context.tr(error.key, **error.shown))
        return FIX_REASON
    context.user_data.pop(PENDING, None)
    _keep(context, draft)
    return await _show_review(update, context)


async def back(update: Update, context: ItdaContext) -> int:
    await answer(update)
    return await _show_review(update, context, edit=True)


async def ask_amend(update: Update, context: ItdaContext) -> int:
    """Amending a submitted report: first the reason for the new version."""
    await answer(update)
    await say(update, context, context.tr("report.ask_amend_reason"), edit=True)
    return AMEND_REASON


@_with_draft
async def got_amend_reason(update: Update, context: ItdaContext, draft: Draft) -> int:
    assert update.message is not None
    text = (update.message.text or "").strip()
    if len(text) < 2 or len(text) > reports.MAX_REASON:
        await say(update, context, context.tr("report.reason_needed"))
        return AMEND_REASON
    draft.amend_reason = text
    _keep(context, draft)
    return await _show_review(update, context)


@_with_draft
async def confirm_submit(update: Update, context: ItdaContext, draft: Draft) -> int:
    """One more look before the report is locked."""
    late = context.runtime.clock.today() > reports.month_deadline(draft.month)
    key = "report.confirm_late" if late else "report.confirm"
    rows = [[(context.tr("report.btn_send"), "rep:send"),
             (context.tr("report.btn_back"), "rep:back")]]
    await say(update, context, context.tr(key, month=draft.month), keyboard(rows), edit=True)
    return CONFIRM


@_with_draft
async def send(update: Update, context: ItdaContext, draft: Draft) -> int:
    """Submit: one transaction; a double tap or a colleague's earlier submission is refused."""
    assert context.user_data is not None
    try:
        async with context.runtime.session() as session:
            report = await reports.submit(
                session=session, clock=context.runtime.clock, actor=_actor(update, context),
                draft=draft,
            )
    except DomainError as error:
        context.user_data.pop(DRAFT, None)
        await say(update, context, context.tr(error.key, **error.shown), edit=True)
        return END
    context.user_data.pop(DRAFT, None)
    key = "report.submitted_late" if report.late else "report.submitted"
    await say(update, context, context.tr(key, month=report.month, version=report.version),
              edit=True)
    return END


cancel = canceller(DRAFT, PENDING)


async def not_a_button(update: Update, context: ItdaContext) -> int | None:
    """Typed text while the report waits for a button: say what to do."""
    await say(update, context, context.tr("report.use_buttons"))
    return None


def build_conversation() -> ConversationHandler:
    buttons_only: list[BaseHandler[Update, ItdaContext, object]] = [
        typed(not_a_button, private=True)
    ]
    return ConversationHandler(
        entry_points=[
            CommandHandler("report", start_report),
            CallbackQueryHandler(entry_button, pattern=r"^rep:open$"),
        ],
        states={
            REVIEW: [
                CallbackQueryHandler(choose_region, pattern=r"^rep:fix$"),
                CallbackQueryHandler(confirm_submit, pattern=r"^rep:submit$"),
                CallbackQueryHandler(ask_amend, pattern=r"^rep:amend$"),
                *buttons_only,
            ],
            FIX_REGION: [CallbackQueryHandler(choose_metric, pattern=r"^rep:rg:[\w-]+$"),
                         CallbackQueryHandler(back, pattern=r"^rep:back$"), *buttons_only],
            FIX_METRIC: [CallbackQueryHandler(ask_value, pattern=r"^rep:mt:\w+$"),
                         CallbackQueryHandler(back, pattern=r"^rep:back$"), *buttons_only],
            FIX_VALUE: [typed(got_value, private=True)],
            FIX_REASON: [typed(got_reason, private=True)],
            AMEND_REASON: [typed(got_amend_reason, private=True)],
            CONFIRM: [CallbackQueryHandler(send, pattern=r"^rep:send$"),
                      CallbackQueryHandler(back, pattern=r"^rep:back$"), *buttons_only],
        },
        fallbacks=[
            CommandHandler("cancel", cancel),
            CallbackQueryHandler(cancel, pattern=r"^rep:cancel$"),
        ],
        name="report",
        persistent=True,
        allow_reentry=True,
    )


# --- coordinators: who has reported ------------------------------------------------------------
async def _table(update: Update, context: ItdaContext, month: str, *, edit: bool = False) -> None:
    async with context.runtime.session() as session:
        rows = await reports.submission_table(session=session, month=month)
    missing = [r for r in rows if r.first is None]
    lines = [context.tr("reports.title", month=month, done=len(rows) - len(missing),
                        total=len(rows)), ""]
    for row in rows:
        name = escape(row.agency.short_name)
        if row.first is None:
            lines.append(context.tr("reports.line_missing", agency=name))
            continue
        at = row.first.submitted_at.strftime("%m/%d") if row.first.submitted_at else "-"
        key = "reports.line_late" if row.first.late else "reports.line_done"
        version = row.latest.version if row.latest else 1
        lines.append(context.tr(key, agency=name, at=at, version=version))
    markup = None
    if missing:
        markup = keyboard([[(context.tr("reports.btn_nudge", count=len(missing)),
                             f"rep:nudge:{month}")]])
    await say(update, context, "\n".join(lines), markup, edit=edit)


@requires("reports")
async def submission_table(update: Update, context: ItdaContext) -> None:
    """The submission table of this month or of the named month."""
    month = await _month(update, context, " ".join(context.args or []))
    if month is not None:
        await _table(update, context, month)


async def table_button(update: Update, context: ItdaContext) -> None:
    await answer(update)
    if not _actor(update, context).is_lead:
        await explain(update, context, DomainError("auth.leads_only"))
        return
    await _table(update, context, reports.month_of(context.runtime.clock.today()))


async def nudge(update: Update, context: ItdaContext) -> None:
    """Send each missing agency's active members a private reminder."""
    await answer(update)
    query = update.callback_query
    assert query is not None and query.data is not None
    month = query.data.split(":", 2)[2]
    try:
        reports.check_month(month, today=context.runtime.clock.today())
        async with context.runtime.session() as session:
            targets = await reports.nudge_recipients(
                session=session, clock=context.runtime.clock, actor=_actor(update, context),
                month=month,
            )
    except DomainError as error:
        await explain(update, context, error)
        return
    deadline = reports.month_deadline(month)
    sent = unreachable = 0
    for agency, members in targets:
        for member in members:
            text = Translator(member.language)(
                "reports.nudge_text", agency=escape(agency.short_name), month=month,
                deadline=f"{deadline.month}/{deadline.day}",
            )
            try:
                await context.bot.send_message(
                    member.telegram_id, text,
                    reply_markup=keyboard([[(Translator(member.language)("status.btn_report"),
                                             "rep:open")]]),
                )
                sent += 1
            except TelegramError as exc:
                unreachable += 1
                log.info("nudge to member %s failed: %s", member.id, type(exc).__name__)
    without = sum(1 for _, members in targets if not members)
    await say(update, context, context.tr("reports.nudged", agencies=len(targets), sent=sent,
                                          failed=unreachable, without=without))


HANDLERS = [
    CommandHandler("reports", submission_table),
    CallbackQueryHandler(table_button, pattern=r"^rep:table$"),
    CallbackQueryHandler(nudge, pattern=r"^rep:nudge:\d{4}-\d{2}$"),
]
