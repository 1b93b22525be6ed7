"""Every handler, registered in one place. Order matters: see the comments."""

from __future__ import annotations

import warnings

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from handlers import (
    basics,
    followups,
    form_faults,
    groups,
    hires,
    imports,
    invites,
    matching,
    meeting_days,
    meetings,
    members,
    onboarding,
    openings,
    records,
    reminders,
    seekers,
)
from handlers import export as export_handlers
from handlers import programme as programme_handlers
from handlers import reports as report_handlers
from handlers import status as status_handlers

# Our conversations are per user and chat on purpose (a form is not tied to one message).
warnings.filterwarnings("ignore", message="If 'per_message=False'", category=PTBUserWarning)


def register_handlers(app: Application) -> None:
    # Group -1: the gate runs first for every update: it loads the member and the language, and
    # stops strangers (ApplicationHandlerStop) before any feature sees their update.
    app.add_handler(TypeHandler(Update, basics.gate), group=-1)
    # Group -2, before the gate: a spreadsheet sent in a group is refused unread (issue 15).
    app.add_handler(imports.GROUP_DOCUMENTS, group=-2)

    # Group 0, first the conversations: while a form is open, its states own the user's input.
    app.add_handler(onboarding.build_conversation())
    app.add_handler(invites.build_conversation())
    app.add_handler(meetings.build_council_conversation())
    app.add_handler(meetings.build_notes_conversation())
    app.add_handler(meetings.build_move_conversation())
    app.add_handler(meeting_days.build_day_conversation())
    app.add_handler(meeting_days.build_capacity_conversation())
    app.add_handler(report_handlers.build_conversation())
    app.add_handler(programme_handlers.build_programme_conversation())
    app.add_handler(programme_handlers.build_targets_conversation())
    app.add_handler(openings.build_conversation())
    app.add_handler(seekers.build_conversation())
    app.add_handler(records.build_conversation())
    app.add_handler(matching.build_hire_conversation())
    app.add_handler(hires.build_conversation())
    app.add_handler(followups.build_conversation())
    app.add_handler(imports.build_conversation())

    # Then plain commands and the buttons of stateless screens.
    app.add_handler(CommandHandler("help", basics.show_help))
    app.add_handler(CommandHandler("whoami", basics.whoami))
    app.add_handler(CommandHandler("language", basics.choose_language))
    app.add_handler(CallbackQueryHandler(basics.set_language, pattern=r"^lang:\w+$"))
    # Each feature's stateless commands and buttons, in this order (imports last: the button of
    # its notice to the 새일센터).
    for feature in (invites, members, groups, meetings, meeting_days, status_handlers,
                    report_handlers, export_handlers, matching, reminders, followups, imports):
        app.add_handlers(feature.HANDLERS)

    # Last in group 0, the catch-alls: /cancel with no open form, buttons nobody owns any more
    # (old messages, finished forms, a restart) and text no form is waiting for.
    app.add_handler(CommandHandler("cancel", basics.cancel_outside))
    app.add_handler(CallbackQueryHandler(form_faults.repeated_save, pattern=r"^\w+:save$"))
    app.add_handler(CallbackQueryHandler(basics.stale_button))
    app.add_handler(MessageHandler(filters.ChatType.PRIVATE, basics.unknown_text))

    app.add_error_handler(basics.on_error)
