"""回访: follow-up of closed cases with their reporters (kiosk prompts, 查进度, operators' calls) and 满意率.
The design is in :mod:`hub.followup.service`."""
