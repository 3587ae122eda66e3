"""查进度: the hub's answers to kiosks asking for a case's progress (``LookupRequest`` → ``LookupAnswer``)."""
