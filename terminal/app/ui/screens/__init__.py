"""Screen classes: properties the .kv files bind, and methods that forward touches to presenters."""
