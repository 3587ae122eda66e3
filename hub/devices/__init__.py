"""Device identity: enrolment, per-device broker credentials and ACLs, revocation, spoofing flags."""
from .broker_sync import BrokerAuthSync
from .identities import DeviceIdentity, DeviceRegistry, Enrolled, EnrollmentCode, IdentityError
from .mosquitto_auth import acl_file, mosquitto_hash, password_file, verify_mosquitto_hash

__all__ = ["BrokerAuthSync", "DeviceIdentity", "DeviceRegistry", "Enrolled", "EnrollmentCode", "IdentityError",
           "acl_file", "mosquitto_hash", "password_file", "verify_mosquitto_hash"]
