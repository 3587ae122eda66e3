"""The Kivy layer: thin screens over the presenters. Importing this package imports kivy; set KIVY_* and
SDL_* environment variables before (``terminal.app.ui.boot.prepare_kivy`` does)."""
