"""Accessibility checks with axe-core, from the copy committed in tests/browser/vendor/.

scripts/vendor.sh refreshes that copy from the version pinned in package.json; the tests never
need npm or the network.
"""

import json
from pathlib import Path

AXE_JS = Path(__file__).parent / "vendor" / "axe.min.js"

# WCAG 2.0, 2.1 and 2.2 at levels A and AA, plus Deque's best practices.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
FAILING_IMPACTS = ("serious", "critical")


def run_axe(page, *, context=None, tags=AXE_TAGS):
    """Run axe on the page as it is now and return its result (violations, passes, ...)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(path=AXE_JS)
    return page.evaluate(
        """([context, tags]) => axe.run(context || document, {
            runOnly: {type: "tag", values: tags},
            resultTypes: ["violations"],
        })""",
        [context, tags],
    )


def assert_accessible(page, *, context=None, impacts=FAILING_IMPACTS):
    """Fail listing every axe violation of `impacts` ("serious"/"critical") on the current page.

    `context` narrows the check: a CSS selector, or axe's {"include": [...], "exclude": [...]}.
    Minor and moderate findings do not fail the test; they are reported with the failures.
    """
    results = run_axe(page, context=context)
    failing = [v for v in results["violations"] if v["impact"] in impacts]
    if failing:
        others = [v for v in results["violations"] if v not in failing]
        raise AssertionError(
            f"{len(failing)} accessibility violation(s) on {page.url}:\n"
            + "\n".join(_describe(v) for v in failing)
            + ("\nAlso found (not failing): " + ", ".join(f"{v['id']} ({v['impact']})" for v in others) if others else "")
        )
    return results


def _describe(violation):
    lines = [f"- [{violation['impact']}] {violation['id']}: {violation['help']} ({violation['helpUrl']})"]
    for node in violation["nodes"][:10]:
        target = " ".join(json.dumps(t, ensure_ascii=False) if not isinstance(t, str) else t for t in node["target"])
        lines.append(f"    at {target}: {node['html'][:200]}")
        if node.get("failureSummary"):
            lines.append("      " + node["failureSummary"].replace("\n", "\n      "))
    if len(violation["nodes"]) > 10:
        lines.append(f"    … and {len(violation['nodes']) - 10} more")
    return "\n".join(lines)
