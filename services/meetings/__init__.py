"""Meetings: the council meeting (실무자협의회) and the regional meeting days (만남의 날).

Rules only (no Telegram), one module a job:
- `fields`: typed dates and times, places, capacity; the creation forms' fields;
- `base`: what every rule shares (lengths, checks, labels, the audit trail, save receipts);
- `council`: council meetings: invitations, RSVP until the start, check-in, the checklist, notes;
- `invitations`: meeting days before the day: companies, seekers and the waiting list;
- `checklist`: a meeting day on the day (who takes part, who is present);
- `results`: interviews, hires, the day's counts, closing the day;
- `changes`: cancelling and moving;
- `views`: what a member sees, and the rights they have on a meeting.
Seekers' details are shown to the host 새일센터 only, through `base.seeker_label`.
This package's namespace is the feature's API: callers import from `services.meetings`.
"""

from services.meetings.base import (
    CHECKIN_EARLY,
    CHECKLIST_EARLY,
    COUNCIL_LENGTH,
    MEETING_DAY_LENGTH,
    company_label,
    seeker_label,
)
from services.meetings.changes import Notice, cancel_meeting, move_meeting
from services.meetings.checklist import (
    COMPANY,
    SEEKER,
    DaySheet,
    Participant,
    day_sheet,
    seeker_result_view,
    toggle_day_presence,
)
from services.meetings.council import (
    RSVP_ANSWERS,
    AgencyAnswers,
    AnswerLine,
    AnswerSheet,
    answer_sheet,
    check_in,
    create_council_meeting,
    first_council_meeting_held,
    in_checkin_window,
    invitable_agencies,
    record_notes,
    set_rsvp,
    toggle_member_present,
)
from services.meetings.fields import (
    AGENCIES,
    CAPACITY_CHOICES,
    COUNCIL_FIELDS,
    DATE_FIELD,
    DAYS,
    HOST_REGIONS,
    MAX_AHEAD,
    MAX_CAPACITY,
    MEETING_DAY_FIELDS,
    TIME_CHOICES,
    TIME_FIELD,
    WHEN_FORMAT,
    check_day,
    check_start,
    clean_agenda,
    clean_contact,
    clean_notes,
    clean_place,
    clean_venue,
    combine,
    date_answer,
    date_choices,
    fmt_when,
    parse_capacity,
    parse_time,
    parse_when,
    starts_at,
    time_answer,
)
from services.meetings.invitations import (
    INVITED,
    REMOVED,
    WAITLISTED,
    CompanyChoice,
    SeekerChoice,
    SeekerToggle,
    change_capacity,
    company_choices,
    create_meeting_day,
    host_regions,
    seeker_choices,
    toggle_company,
    toggle_seeker,
)
from services.meetings.results import (
    DayCounts,
    close_meeting_day,
    day_counts,
    record_in_progress,
    record_interview,
    record_not_hired,
    record_spot_hire,
)
from services.meetings.views import MeetingRights, MeetingView, meeting_view, my_meetings

__all__ = [
    "AGENCIES", "CAPACITY_CHOICES", "CHECKIN_EARLY", "CHECKLIST_EARLY", "COMPANY",
    "COUNCIL_FIELDS", "COUNCIL_LENGTH", "DATE_FIELD", "DAYS", "HOST_REGIONS", "INVITED",
    "MAX_AHEAD", "MAX_CAPACITY", "MEETING_DAY_FIELDS", "MEETING_DAY_LENGTH", "REMOVED",
    "RSVP_ANSWERS", "SEEKER", "TIME_CHOICES", "TIME_FIELD", "WAITLISTED", "WHEN_FORMAT",
    "AgencyAnswers", "AnswerLine", "AnswerSheet", "CompanyChoice", "DayCounts", "DaySheet",
    "MeetingRights", "MeetingView", "Notice", "Participant", "SeekerChoice", "SeekerToggle",
    "answer_sheet", "cancel_meeting", "change_capacity", "check_day", "check_in", "check_start",
    "clean_agenda", "clean_contact", "clean_notes", "clean_place", "clean_venue",
    "close_meeting_day", "combine", "company_choices", "company_label", "create_council_meeting",
    "create_meeting_day", "date_answer", "date_choices", "day_counts", "day_sheet",
    "first_council_meeting_held", "fmt_when", "host_regions", "in_checkin_window",
    "invitable_agencies",
    "meeting_view", "move_meeting", "my_meetings", "parse_capacity", "parse_time", "parse_when",
    "record_in_progress", "record_interview", "record_not_hired", "record_notes",
    "record_spot_hire", "seeker_choices", "seeker_label", "seeker_result_view", "set_rsvp",
    "starts_at", "time_answer", "toggle_company", "toggle_day_presence",
    "toggle_member_present", "toggle_seeker",
]
