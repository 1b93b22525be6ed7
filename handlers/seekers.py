"""/seeker: register a job seeker (구직자) at a 새일센터, consent first (개인정보보호법 제15조)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from adapters.context import ItdaContext
from handlers import forms
from handlers.common import (
    END,
    actor,
    answer,
    from_button,
    keyboard,
    not_command,
    passes,
    requires,
    say,
)
from services import seekers
from services.access import require_seeker_author
from services.forms import FieldSpec

log = logging.getLogger(__name__)

CONSENT = 10


async def _check(update: Update, context: ItdaContext, spec: FieldSpec, value: Any) -> None:
    """A phone number some centre already registered is refused at once (no second record)."""
    if spec.key != "phone":
        return
    async with context.runtime.session() as session:
        await seekers.find_duplicate(session=session, cipher=context.runtime.cipher, phone=value)


async def _save(update: Update, context: ItdaContext, draft: dict[str, Any]) -> int:
    """Save the seeker (encrypted), confirm with the number only, never the name in logs."""
    runtime = context.runtime
    async with runtime.session() as session:
        seeker = await seekers.create_seeker(
            session=session, clock=runtime.clock, actor=actor(update, context),
            cipher=runtime.cipher, draft=draft["v"],
            consent_at=datetime.fromisoformat(draft["meta"]["consent_at"]),
            token=forms.token_of(draft),
        )
    log.info("seeker %s registered", seeker.id)
    await say(update, context, context.tr("seeker.saved", id=seeker.id), edit=True)
    return END


FLOW = forms.FormFlow(
    name="seeker",
    prefix="sk",
    fields=seekers.SEEKER_FIELDS,
    summary_key="seeker.summary",
    save=_save,
    check=_check,
    resume=lambda context, draft: consent_screen(context, draft),
)


@requires("seeker")
async def start(update: Update, context: ItdaContext) -> int:
    """Consent first: the four items of 제15조 with 동의 / 거부."""
    if not await passes(update, context, require_seeker_author):
        return END
    forms.new_draft(context, FLOW)["stage"] = "consent"  # nothing asked before the consent
    text, markup, _ = consent_screen(context, {})
    await forms.show(update, context, FLOW, CONSENT, text, markup)
    return CONSENT


def consent_screen(context: Any, draft: dict[str, Any]) -> tuple[str, Any, object]:
    """The four items of 제15조 with 동의 / 거부 (also shown again after a crash)."""
    lines = [context.tr("seeker.consent.title")]
    lines += [context.tr(key) for key in seekers.CONSENT_ITEMS]
    lines.append(context.tr("seeker.consent.question"))
    markup = keyboard([[(context.tr("seeker.consent.btn_agree"), "sk:agree"),
                        (context.tr("seeker.consent.btn_refuse"), "sk:refuse")]])
    return "\n\n".join(lines), markup, CONSENT


async def agreed(update: Update, context: ItdaContext) -> int:
    """동의: the consent time is kept in the draft and stored with the record."""
    await answer(update)
    draft = forms.draft_of(context, FLOW)
    if draft is None or draft.get("stage") != "consent":  # a second tap: the form is open
        if draft is not None:
            return await forms.ask(update, context, FLOW)
        await say(update, context, context.tr("stale.text"))
        return END
    draft.pop("stage")
    draft["meta"]["consent_at"] = context.runtime.clock.now().isoformat()
    draft["sent"] = False  # the first question is not out yet: shown again after a crash
    await forms.checkpoint(update, context, FLOW.name, forms.ASK)
    await say(update, context, context.tr("seeker.consent.agreed"), edit=True)
    return await forms.ask(update, context, FLOW)


async def refused(update: Update, context: ItdaContext) -> int:
    """거부: nothing is stored."""
    await answer(update)
    if context.user_data is not None:
        context.user_data.pop(FLOW.name, None)
    await say(update, context, context.tr("seeker.consent.refused"), edit=True)
    return END


async def consent_expected(update: Update, context: ItdaContext) -> int:
    await say(update, context, context.tr("seeker.consent.use_buttons"))
    return CONSENT


def build_conversation():
    return forms.conversation(
        FLOW,
        entry_points=[
            CommandHandler("seeker", start),
            CallbackQueryHandler(from_button(start), pattern=r"^sk:new$"),  # reminder button
        ],
        extra_states={
            CONSENT: [
                CallbackQueryHandler(agreed, pattern=r"^sk:agree$"),
                CallbackQueryHandler(refused, pattern=r"^sk:refuse$"),
                not_command(consent_expected),
            ]
        },
    )
