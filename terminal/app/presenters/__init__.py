"""Plain-Python presenters of the terminal apps: every flow's logic and text, testable without a window.
Nothing in this package imports kivy."""
