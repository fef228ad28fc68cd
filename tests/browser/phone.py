"""What a phone page must be, measured in the browser: the helpers of the 375-px tests."""

PHONE = {"width": 375, "height": 740}
SMALLEST = {"width": 320, "height": 640}

# The controls a thumb taps: at least 44 px high (links inside running text are exempt).
TAP_TARGETS = (
    "button, .button, select, input:not([type=hidden]):not([type=checkbox]):not([type=radio]),"
    " .nav a, .account a, td a, .kind-link, .pager a, label.check"
)
# Elements whose text must never be squeezed to one character per line.
SQUEEZABLE = "button, .button, a, label, select, th, td, .badge, legend, h1, h2, h3, dt, dd"

_MEASURE = """([tapTargets, squeezable]) => {
  const visible = e => { const r = e.getBoundingClientRect(); const s = getComputedStyle(e);
    return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && !e.closest('.skip-link')
      && !e.closest('thead'); };
  const name = e => (e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + ' "' +
    (e.innerText || e.value || e.getAttribute('aria-label') || '').trim().slice(0, 20) + '"');
  const out = { overflow: document.documentElement.scrollWidth - window.innerWidth,
                small: [], squeezed: [] };
  for (const e of document.querySelectorAll(tapTargets)) {
    if (!visible(e)) continue;
    const r = e.getBoundingClientRect();
    if (r.height < 43.5) out.small.push(name(e) + ' ' + Math.round(r.width) + 'x' + Math.round(r.height));
  }
  for (const e of document.querySelectorAll(squeezable)) {
    if (!visible(e)) continue;
    const text = (e.innerText || '').trim();
    if ([...text].length < 3) continue;
    const size = parseFloat(getComputedStyle(e).fontSize);
    const r = e.getBoundingClientRect();
    // A squeezed element is about one character wide and several lines high.
    if (r.width < 2.2 * size && r.height > 2.5 * size) out.squeezed.push(name(e));
  }
  return out;
}"""


def measure(page) -> dict:
    return page.evaluate(_MEASURE, [TAP_TARGETS, SQUEEZABLE])


def assert_phone_friendly(page, what: str) -> None:
    """No sideways scrolling at 375 and at 320 px, nothing squeezed, thumb-sized targets."""
    for size in (PHONE, SMALLEST):
        page.set_viewport_size(size)
        page.wait_for_timeout(200)  # portal.js re-measures the scroll regions after a resize
        found = measure(page)
        assert found["overflow"] <= 0, (
            f"{what} at {size['width']} px scrolls sideways by {found['overflow']} px"
        )
        assert not found["squeezed"], (what, size["width"], found["squeezed"])
        assert not found["small"], (what, size["width"], found["small"])
    page.set_viewport_size(PHONE)
