"""Patrol sessions (巡逻记录): the PatrolLog records the tablets send when a volunteer ends a patrol."""
