"""Open311 GeoReport v2 facade over cases and the taxonomy (services, requests list/get/post, tokens, and
the servicerequestupdates extension). See :mod:`hub.open311.facade` for how a POSTed request enters the
report → case pipeline."""
from hub.open311.facade import Open311Facade
from hub.open311.router import router

__all__ = ["Open311Facade", "router"]
