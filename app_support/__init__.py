"""The app side of tlstudio, apart from the pages: session state (:mod:`.state`), cached calls into
``tlcore`` (:mod:`.engine`) and display helpers (:mod:`.display`). Pages lay out widgets and call these
and ``tlcore``; nothing here computes a number itself."""
