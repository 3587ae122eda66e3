"""Welfare watch (1+1+N 独居老人关爱): enrolments by pseudonymous resident key, the daily check, and the
case a missed check-in opens for the paired helper. See watch.py for the rules."""
from hub.welfare.enrolment import (
    AlreadyEnrolled,
    Enrolment,
    EnrolmentError,
    EnrolmentNotFound,
    EnrolmentRegistry,
    EnrolmentSpec,
)
from hub.welfare.repo import Checkin, WelfareCheck
from hub.welfare.sample import load_sample_enrolments
from hub.welfare.watch import WELFARE_CATEGORY, PassResult, WelfareWatch

__all__ = [
    "AlreadyEnrolled", "Checkin", "Enrolment", "EnrolmentError", "EnrolmentNotFound", "EnrolmentRegistry",
    "EnrolmentSpec", "PassResult", "WELFARE_CATEGORY", "WelfareCheck", "WelfareWatch", "load_sample_enrolments",
]
