"""Which commands exist, who may use them and where: the one table behind /help, the Telegram
command menus and the authorization checks. Feature modules add their rows here."""

from __future__ import annotations

from dataclasses import dataclass

from core.statuses import AgencyKind, Role

GUEST = "guest"  # not a member (or deactivated)
PRIVATE = "private"
GROUP = "group"

ALL_ROLES = frozenset({GUEST, Role.STAFF, Role.COORDINATOR, Role.ADMIN})
MEMBERS = frozenset({Role.STAFF, Role.COORDINATOR, Role.ADMIN})
LEADS = frozenset({Role.COORDINATOR, Role.ADMIN})


@dataclass(frozen=True)
class CommandSpec:
    name: str
    description_key: str
    roles: frozenset[str]
    chats: frozenset[str] = frozenset({PRIVATE})
    # For staff only: the agency kinds whose staff may use it (coordinators and admins always may).
    staff_kinds: frozenset[str] | None = None
    # In a group, only in the registered council group (elsewhere: how a coordinator registers).
    council_group: bool = False
    # Acts for the member's own agency: not offered (in /help) to a member without one.
    needs_agency: bool = False


COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec("start", "cmd.start", ALL_ROLES),
    CommandSpec("help", "cmd.help", ALL_ROLES, frozenset({PRIVATE, GROUP})),
    CommandSpec("cancel", "cmd.cancel", ALL_ROLES),
    CommandSpec("language", "cmd.language", ALL_ROLES),
    CommandSpec("whoami", "cmd.whoami", MEMBERS),
    CommandSpec("invite", "cmd.invite", LEADS),
    CommandSpec("invites", "cmd.invites", LEADS),
    CommandSpec("members", "cmd.members", LEADS),
    CommandSpec("register_group", "cmd.register_group", LEADS, frozenset({GROUP})),
    CommandSpec("meetings", "cmd.meetings", MEMBERS),
    CommandSpec("council_meeting", "cmd.council_meeting", LEADS),
    CommandSpec(
        "meeting_day", "cmd.meeting_day", MEMBERS,
        staff_kinds=frozenset({AgencyKind.SAEIL_CENTER}),
    ),
    CommandSpec("status", "cmd.status", MEMBERS, frozenset({PRIVATE, GROUP}), council_group=True),
    CommandSpec("report", "cmd.report", MEMBERS),
    CommandSpec("reports", "cmd.reports", LEADS),
    CommandSpec("programme", "cmd.programme", LEADS),
    CommandSpec("targets", "cmd.targets", LEADS),
    CommandSpec("export", "cmd.export", LEADS),
    CommandSpec("reminders", "reminders.cmd", LEADS),
)

STAFF_OPENINGS = frozenset({AgencyKind.EMPLOYER_ASSOCIATION})
STAFF_SEEKERS = frozenset({AgencyKind.SAEIL_CENTER})

# Records (openings, seekers, matching, hires): issue 3.
COMMANDS += (
    CommandSpec("opening", "cmd.opening", MEMBERS, staff_kinds=STAFF_OPENINGS, needs_agency=True),
    CommandSpec("seeker", "cmd.seeker", frozenset({Role.STAFF}), staff_kinds=STAFF_SEEKERS),
    CommandSpec("mine", "cmd.mine", MEMBERS, staff_kinds=STAFF_OPENINGS | STAFF_SEEKERS,
                needs_agency=True),
    CommandSpec("match", "cmd.match", MEMBERS, staff_kinds=STAFF_OPENINGS | STAFF_SEEKERS),
    CommandSpec("hire", "cmd.hire", MEMBERS, staff_kinds=STAFF_SEEKERS, needs_agency=True),
    CommandSpec("hires", "cmd.hires", MEMBERS, staff_kinds=STAFF_SEEKERS, needs_agency=True),
    CommandSpec("followups", "followup.cmd", MEMBERS, staff_kinds=STAFF_SEEKERS),
)

# Bulk import from a spreadsheet: issue 15 (private chats only: seekers' personal data).
COMMANDS += (
    CommandSpec("import", "cmd.import", MEMBERS, staff_kinds=STAFF_OPENINGS | STAFF_SEEKERS),
)


def command(name: str) -> CommandSpec | None:
    for spec in COMMANDS:
        if spec.name == name:
            return spec
    return None


def may_use(spec: CommandSpec, *, role: str, agency_kind: str | None, chat: str) -> bool:
    """May someone with this role (and agency kind) use the command in this kind of chat?"""
    if chat not in spec.chats or role not in spec.roles:
        return False
    if role == Role.STAFF and spec.staff_kinds is not None:
        return agency_kind in spec.staff_kinds
    return True


def commands_for(
    *, role: str, agency_kind: str | None, chat: str, has_agency: bool = True
) -> list[CommandSpec]:
    """The commands someone may use here; `has_agency=False` (a member without an agency, such
    as an admin) leaves out those that act for one's own agency (/opening, /mine, /hire)."""
    return [s for s in COMMANDS
            if may_use(s, role=role, agency_kind=agency_kind, chat=chat)
            and (has_agency or not s.needs_agency)]
