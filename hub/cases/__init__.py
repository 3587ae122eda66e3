"""Case lifecycle (案件闭环): the pure state machine, timing (deadlines, three-colour levels), and the
transactional service that keeps ``cases`` and its audit trail ``case_events`` in step."""
from .service import CaseConflict, CaseService, DeviceTransition, OpenResult, TransitionOutcome
from .states import CaseState, Context, IllegalTransition, apply
from .timing import LevelPolicy

__all__ = ["CaseConflict", "CaseService", "CaseState", "Context", "DeviceTransition", "IllegalTransition",
           "LevelPolicy", "OpenResult", "TransitionOutcome", "apply"]
