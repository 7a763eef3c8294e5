"""The Gradio web UI (`assistant ui`): chat with cited passages, an article library, `/ask`."""

from assistant.ui.app import UPLOAD_SUFFIXES, build_app, launch, parse_auth

__all__ = ["UPLOAD_SUFFIXES", "build_app", "launch", "parse_auth"]
