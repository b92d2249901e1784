"""How big a graph is drawn: the layout options ``draw_graph`` takes, as two presets, and the screens
the projector's preset is made for.

The README promises that the slide network's graph, opened in a browser on a 1920×1080 screen,
shows whole at its natural size with text of 12 px or more, and that scaled to fit a 1024×768
screen its text is still 9 px or more. Graphviz writes sizes in points (1 pt = 4/3 CSS px), and
``draw_graph`` writes 11 pt text, 14.7 px at natural size; so the picture may be at most
``PROJECTOR_POINTS``: 1920 × 1080 px at natural size, and small enough that the 1024×768 scale
leaves 9 px text. ``PROJECTOR`` gets the slide network there: top to bottom keeps each rank one
Value wide; each Value one row (name | data | grad) keeps each rank short; a transpose folded into
the matmul that uses it saves two ranks a layer; dropping the dtype line and closing the ranks
saves more. ``FULL`` draws everything. tests/test_graph_projector.py measures the picture in a
browser. This module imports nothing, so the command line reads it without loading graphviz.
"""

RANKDIRS = ("TB", "LR", "BT", "RL")  # Graphviz's directions: top to bottom, left to right, and back
FIELDS = ("row", "column")  # a Value's name, data and grad side by side, or one under the other

PROJECTOR = {"rankdir": "TB", "fold_transpose": True, "show_dtype": False, "ranksep": 0.25, "legend": True,
             "fields": "row"}
FULL = {"rankdir": "LR", "fold_transpose": False, "show_dtype": True, "ranksep": None, "legend": False,
        "fields": None}

FONT_POINTS = 11  # the size draw_graph writes its text in
PX_PER_POINT = 96 / 72  # CSS: 96 px to the inch, 72 pt to the inch
# (width, height, smallest text) in CSS px: shown whole at natural size, and scaled to fit.
PROJECTOR_SCREEN = (1920, 1080, 12)
SMALL_SCREEN = (1024, 768, 9)


def largest_picture() -> tuple[float, float]:
    """The largest picture, in pt, that keeps both promises: whole on the projector at natural size
    with its text, and, scaled to fit the small screen, text of at least its smallest size."""
    font_px = FONT_POINTS * PX_PER_POINT  # 14.7 px: above the projector's 12 px at natural size
    shrink = font_px / SMALL_SCREEN[2]  # how far the small screen may scale the picture down
    return (min(PROJECTOR_SCREEN[0], SMALL_SCREEN[0] * shrink) / PX_PER_POINT,
            min(PROJECTOR_SCREEN[1], SMALL_SCREEN[1] * shrink) / PX_PER_POINT)


PROJECTOR_POINTS = largest_picture()  # about 1252 × 810 pt
