"""Case lifecycle (案件闭环): the pure state machine, timing (deadlines, three-colour levels), and the
transactional service that keeps ``cases`` and its audit trail ``case_events`` in step."""
from hub.cases.rows import CaseEvent, CaseRow, DeviceTransition, OpenResult, TransitionOutcome
from hub.cases.service import CaseConflict, CaseService
from hub.cases.states import CaseState, Context, IllegalTransition, apply
from hub.cases.timing import LevelPolicy

__all__ = ["CaseConflict", "CaseEvent", "CaseRow", "CaseService", "CaseState", "Context", "DeviceTransition",
           "IllegalTransition", "LevelPolicy", "OpenResult", "TransitionOutcome", "apply"]
