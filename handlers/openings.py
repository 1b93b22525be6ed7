"""/opening: register a job opening (구인), then tell the 새일센터 serving its 시군."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import CallbackQueryHandler, CommandHandler

from adapters.context import ItdaContext
from core.text import escape
from handlers import forms
from handlers.common import END, actor, from_button, keyboard, passes, requires, say
from locales import Translator
from rendering.records import opening_line
from services import openings
from services.access import require_opening_author
from services.openings import JobOpening, Member

log = logging.getLogger(__name__)


def _warnings(context: ItdaContext, values: dict[str, Any]) -> list[str]:
    found = openings.rule_violations(
        values, year=context.runtime.clock.today().year,
        minimum_wage=context.runtime.council.minimum_wage,
    )
    return [context.tr(v.key, **v.values) for v in found]


async def _save(update: Update, context: ItdaContext, draft: dict[str, Any]) -> int:
    """Save the opening, share it with the 새일센터 of its 시군, and confirm.

    The sharing runs in its own task: with Telegram's round trip of about 250 ms, telling a
    large centre one member at a time takes seconds, and the author's next message must not wait
    behind it (updates of one chat are handled in order; docs/PERFORMANCE.md).

    A 저장 repeated after a crash (the draft's receipt finds the opening) only confirms again:
    the call that created the opening shared it, so the centres are told once."""
    runtime = context.runtime
    async with runtime.session() as session:
        opening, created = await openings.create_opening(
            session=session, clock=runtime.clock, actor=actor(update, context),
            draft=draft["v"], minimum_wage=runtime.council.minimum_wage,
            token=forms.token_of(draft),
        )
        recipients = (
            await openings.notification_recipients(session=session, opening=opening)
            if created else []
        )
    if created:  # after the commit: nobody is told of an opening that was not saved
        _share_later(update, context, opening, recipients)
    else:
        log.info("opening %s: save repeated, not shared again", opening.id)
    key = "opening.saved_flagged" if opening.rule_flags else "opening.saved"
    text = context.tr(key, id=opening.id, company=escape(opening.company_name))
    await say(update, context, text, edit=True)
    return END


def _share_later(
    update: Update, context: ItdaContext, opening: JobOpening, recipients: Sequence[Member]
) -> None:
    """Start telling the serving 새일센터 (not the author) in a task, before the author's
    confirmation: a confirmation that fails must not lose the notices, which a repeated 저장
    does not send again."""
    own = context.member.id if context.member is not None else None
    others = [m for m in recipients if m.id != own]
    agency = escape(context.agency.short_name if context.agency else "-")
    messages = []
    for member in others:
        tr = Translator(member.language)
        body = tr(
            "opening.notify",
            agency=agency,
            line=opening_line(context, opening, tr),
            hours=escape(opening.work_time or "-"),
        )
        markup = keyboard([[(tr("opening.btn_see_seekers"), f"match:o:{opening.id}")]])
        messages.append((member, body, markup))
    context.application.create_task(_share(context, opening.id or 0, messages), update=update)


async def _share(context: ItdaContext, opening_id: int, messages: list[Any]) -> None:
    """Tell each member of the serving 새일센터 about the new opening (one failure skips one)."""
    sent = 0
    for member, text, markup in messages:
        try:
            await context.bot.send_message(member.telegram_id, text, reply_markup=markup)
            sent += 1
        except TelegramError as exc:
            log.warning("opening %s not delivered to member %s: %s", opening_id, member.id,
                        type(exc).__name__)
    log.info("opening %s shared with %d member(s)", opening_id, sent)


FLOW = forms.FormFlow(
    name="opening",
    prefix="op",
    fields=openings.OPENING_FIELDS,
    summary_key="opening.summary",
    save=_save,
    warnings=_warnings,
)


@requires("opening")
async def start(update: Update, context: ItdaContext) -> int:
    """A new opening: check the agency, then the first question."""
    if not await passes(update, context, require_opening_author):
        return END
    forms.new_draft(context, FLOW)
    await say(update, context, context.tr("opening.intro"))
    return await forms.ask(update, context, FLOW)


def build_conversation():
    return forms.conversation(
        FLOW,
        entry_points=[
            CommandHandler("opening", start),
            CallbackQueryHandler(from_button(start), pattern=r"^op:new$"),  # reminder button
        ],
    )

