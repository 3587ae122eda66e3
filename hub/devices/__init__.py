"""Device identity: enrolment, per-device broker credentials and ACLs, revocation, spoofing flags."""
from hub.devices.broker_sync import BrokerAuthSync
from hub.devices.identities import DeviceIdentity, DeviceRegistry, Enrolled, EnrollmentCode, IdentityError
from hub.devices.mosquitto_auth import acl_file, mosquitto_hash, password_file, verify_mosquitto_hash

__all__ = ["BrokerAuthSync", "DeviceIdentity", "DeviceRegistry", "Enrolled", "EnrollmentCode", "IdentityError",
           "acl_file", "mosquitto_hash", "password_file", "verify_mosquitto_hash"]
