"""What every screen sits in and every request passes: the frame, the brand, the language, the error pages, the
session middleware with its public paths, and the accessibility bindings."""
