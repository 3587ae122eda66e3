"""议事 (deliberation): topics for the residents of a unit, their moderated comments and one vote per card."""
