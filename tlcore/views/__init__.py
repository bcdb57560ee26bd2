"""Views: the figures, tables, images and HTML reports the app shows, as pure functions (no streamlit).

The app's pages lay them out; the CLI and reports reuse them, so every view has one implementation.
"""
