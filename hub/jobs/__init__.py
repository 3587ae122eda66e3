"""Background jobs and how they are woken: ``Job``/``JobRunner``, doorbells, and the PostgreSQL relay that
carries rings to the other hub workers."""
