"""What the goal services say when they refuse: one sentence a person can act on."""

from __future__ import annotations

from goals.access import (
    CHECKIN_NOT_ACTIVE,  # noqa: F401
)

TITLE_REQUIRED = "Give the goal a title."


CYCLE_OTHER_ORG = "Choose a cycle of this organisation."


PARENT_OTHER_CYCLE = (
    "The parent goal belongs to another cycle: a goal contributes to a goal of its own cycle."
)


PARENT_LOOP = (
    "This parent would make a loop: a goal cannot contribute to itself or to one of its "
    "own sub-goals."
)


PARENT_NOT_FOUND = "Choose a goal you can see in this organisation."


ORG_OBJECTIVE_PARENT = "Organisation objectives are the top of the cascade and have no parent."


DUE_OUTSIDE_CYCLE = "The due date must fall inside the cycle ({start} – {end})."


DUE_AFTER_PARENT = "The due date cannot be after the parent goal's due date ({due})."


WEIGHT_POSITIVE = "The weight must be greater than 0."


MANUAL_RANGE = "Manual progress must be between 0 and 100."


UNIT_REQUIRED = "A unit goal needs a unit."


TARGET_EQUALS_START = "The target must differ from the start value."


MILESTONES_REQUIRED = "List at least one milestone, one per line."


BOOLEAN_VALUE = "Enter 1 for done or 0 for not done."


BOOLEAN_FROM_VALUE = (
    "Its current value is {value}: a done / not done key result is 1 or 0. Record a check-in "
    "of 1 or 0 first, or add a new key result."
)


MILESTONES_LATER = "Milestones are set when the key result is created: add a new key result."


COMMENT_REQUIRED = "Say what should change: a comment is required."


OWN_GOAL = "Nobody approves their own goal."


BAD_TRANSITION = "A goal that is {status} cannot be {action}."


CYCLE_DATES = "The cycle must end after it starts."


CASCADE_CLOSED = "A completed or cancelled goal cannot be cascaded."


CASCADE_NOT_ACTIVE = "Only an active goal can be cascaded: it needs approval first."


CASCADE_TITLE_REQUIRED = "Give the contributing goals a title of their own."


CASCADE_SAME_TITLE = (
    "Say what the contributing goals achieve toward “{title}” in their own words: "
    "a goal with its parent's title seems to contribute to itself."
)


CASCADE_NOBODY = "Choose at least one unit or person."


CASCADE_OUT_OF_REACH = "You can cascade only to units you lead and people in your subtree."


KR_REMOVAL_PENDING = (
    "The removal of this key result awaits re-approval: it can no longer be edited."
)


COMPLETE_PENDING = (
    "A change to this goal awaits re-approval: have it approved, or undo it, before marking "
    "the goal completed."
)


UNIT_DELETED = "The unit “{name}” was deleted; its goals moved here."
KPI_NEEDS_NUMBER = "Only a number, percentage or currency key result can follow a KPI."
KPI_NOT_FOUND = "Choose a KPI of this organisation that you can see."
