"""axe-core (bundled by axe-playwright-python, so it works offline) on every screen the browser suite visits.

A serious or critical violation fails the test, and so does an input whose spoken name is not its visible label.
Every axe result is kept per screen and width in artifacts/browser/axe-<screen>.json; `write_summary` adds
axe-summary.json and axe-summary.md over the whole run."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

IMPACTS = ('critical', 'serious', 'moderate', 'minor')
FAILING = {'critical', 'serious'}
#: WCAG 2.1 A/AA plus axe's best practices (landmarks, heading order); only FAILING impacts fail a test
OPTIONS = {
    'runOnly': {'type': 'tag', 'values': ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']},
    'resultTypes': ['violations'],
}

#: axe fetches the page's stylesheets by XHR, which wakes Quasar's loading bar for the next run: not the page's own
CONTEXT = {'exclude': [['#q-loading-bar']]}

#: no Vue transition under way (its classes come a frame before the CSS one starts) and no finite CSS transition or
#: animation still running (a spinner's endless one does not count)
SETTLED = """!document.querySelector('[class*="-enter-"], [class*="-leave-"]') && document.getAnimations().every(
  animation => animation.playState !== 'running' || animation.effect?.getTiming().iterations === Infinity)"""

#: every visible input shows a label and is announced by that same text (axe only asks for *a* name)
UNLABELLED = """Array.from(document.querySelectorAll('input:not([type=hidden]), textarea, select'))
  .filter(input => input.getClientRects().length > 0)
  .map(input => ({
    input: input.outerHTML.slice(0, 120),
    name: (input.getAttribute('aria-label') || '').trim(),
    label: (input.closest('.q-field')?.querySelector('.q-field__label')?.innerText || '').trim(),
  }))
  .filter(field => !field.label || field.name !== field.label)"""

_axe = Axe()
#: screen name → width → {'counts': {impact: n}, 'violations': [...]}, for the whole run
RESULTS: dict[str, dict[str, dict]] = {}


def _violation(raw: dict) -> dict:
    return {
        'id': raw['id'],
        'impact': raw['impact'],
        'help': raw['help'],
        'helpUrl': raw['helpUrl'],
        'targets': [' '.join(node['target']) for node in raw['nodes']],
        'html': [node['html'][:200] for node in raw['nodes']],
        'why': [node.get('failureSummary', '') for node in raw['nodes']],
    }


def check(page: Page, screen: str, artifacts: Path) -> list[str]:
    """Run axe on what the page shows now; the serious or critical violations, each with rule, targets and help,
    and any input whose spoken name is not its visible label."""
    # mid-transition colours (a hint fading into an error) are not what the reader ends up with
    page.wait_for_function(SETTLED)
    violations = [_violation(v) for v in _axe.run(page, CONTEXT, OPTIONS).response['violations']]
    counts = Counter(v['impact'] for v in violations)
    width = str(page.viewport_size['width'])
    RESULTS.setdefault(screen, {})[width] = {
        'url': page.url,
        'counts': {impact: counts.get(impact, 0) for impact in IMPACTS},
        'violations': violations,
    }
    (artifacts / f'axe-{screen}.json').write_text(
        json.dumps(RESULTS[screen], ensure_ascii=False, indent=2), encoding='utf-8'
    )
    unlabelled = [
        f'«{screen}» at {width} px: input announced as «{field["name"]}» under the visible label «{field["label"]}»: '
        f'{field["input"]}'
        for field in page.evaluate(UNLABELLED)
    ]
    return unlabelled + [
        f'axe on «{screen}» at {width} px: {v["id"]} ({v["impact"]}): {v["help"]} — '
        f'{", ".join(v["targets"][:5])} — {v["helpUrl"]}'
        for v in violations
        if v['impact'] in FAILING
    ]


def write_summary(artifacts: Path) -> None:
    """artifacts/browser/axe-summary.json and .md: counts by impact for each screen and width of the run."""
    if not RESULTS:
        return
    summary = {
        screen: {
            width: {'counts': r['counts'], 'rules': sorted({v['id'] for v in r['violations']})}
            for width, r in widths.items()
        }
        for screen, widths in sorted(RESULTS.items())
    }
    (artifacts / 'axe-summary.json').write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding='utf-8')
    lines = ['| screen | width | ' + ' | '.join(IMPACTS) + ' | rules |', '|---|---|' + '---|' * len(IMPACTS) + '---|']
    for screen, widths in summary.items():
        for width, result in widths.items():
            counts = ' | '.join(str(result['counts'][impact]) for impact in IMPACTS)
            lines.append(f'| {screen} | {width} | {counts} | {", ".join(result["rules"]) or "—"} |')
    (artifacts / 'axe-summary.md').write_text('\n'.join(lines) + '\n', encoding='utf-8')
