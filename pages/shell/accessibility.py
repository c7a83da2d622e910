"""What every page needs for WCAG 2.1 AA beyond its own labels: a visible keyboard focus and readable colours.

Bound once per app (`bind_accessibility()`), before serving; the browser suite checks each screen with axe-core."""

from __future__ import annotations

from nicegui import app, ui

from services.texts import t

#: Quasar's green (#21ba45) is 2.6:1 on white, for «✓ Подтверждено» and white text on positive notifications alike
POSITIVE = '#1b7a36'  # 5.4:1 both ways

# A two-tone ring (dark inside, amber outside) shows on white cards and on the coloured header alike (2.4.7).
# Quasar hides the outline of its buttons and fields with `outline: 0 !important` in NiceGUI's last cascade layer
# (quasar_importants); an !important in the first layer (theme) is the one that outweighs it.
# The dialog backdrop: Quasar's z-index -1 makes contrast checkers (axe-core issue 3464) blend it over the dialog's
# own card; painted in DOM order instead it still sits under the card, and the page looks the same.
FOCUS_CSS = """
<style>
@layer theme {
  :focus-visible {
    outline: 3px solid #ffb300 !important;
    outline-offset: 2px !important;
    box-shadow: 0 0 0 2px #111 !important;
  }
}
.q-dialog__backdrop { z-index: auto; }
</style>
"""


def bind_accessibility() -> None:
    app.config.quasar_config['brand']['positive'] = POSITIVE
    # Quasar's loading bar turns into an unnamed progressbar while a request runs (axe: aria-progressbar-name)
    app.config.quasar_config['loadingBar']['aria-label'] = t('a11y.loading')
    ui.add_head_html(FOCUS_CSS, shared=True)
