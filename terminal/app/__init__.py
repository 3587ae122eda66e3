"""The Kivy terminal apps (kiosk, patrol tablet, phone). Only ``terminal.app.ui`` imports kivy; config,
context, i18n, taxonomy and presenters are plain Python."""
