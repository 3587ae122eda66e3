"""Community services (issue 18): service requests routed to the unit's legal adviser / mediator / property
contact, disputes (矛盾纠纷) graded blue / yellow / red with a plan per colour, and home visits (入户走访) whose needs
each become a service case. A service case IS a case (hub/cases): same closed loop, tasks, audit trail and 回访;
this package only decides its category and who takes it, and keeps what is particular to services
(hub/services/repo.py)."""
